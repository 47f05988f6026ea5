// Helpers for lazy-mm plugins that edit a step without copying its body: a diff that adds a
// statement inside an existing branch (x86 switch_mm_irqs_off's lazy same-mm return, powerpc's
// dangling `if (!new_on_cpu)`) wraps the step that owns the branch, so the arch module stays the
// one place that models the rest of the function.
import type { StepRegistry, FnName, StepOf, Step } from '../../core/model/index.ts';

/** The current body of hook.step (whoever registered or last replaced it). */
export function stepBody<F extends FnName>(r: StepRegistry, hook: F, step: StepOf<F>): Step<F> {
  const s = r.steps(hook).find((t) => t.name === step);
  if (!s) throw new Error(`no step ${hook}.${step}`);
  return r.meta.get(s.tap)!.fn as Step<F>;
}

/** Replace hook.step by `wrap(old)`; the step keeps its name and place. The wrapper is re-entered
 *  at the wrapped step's resume points (pc) and passes them on. */
export function wrapStep<F extends FnName>(r: StepRegistry, hook: F, step: StepOf<F>, wrap: (old: Step<F>) => Step<F>) {
  r.replace(hook, step, wrap(stepBody(r, hook, step)));
}

/** Remove every step of a kernel function the diff deletes (nobody calls it any more). */
export function removeFunction(r: StepRegistry, hook: FnName) {
  for (const s of r.steps(hook)) r.removeByName(hook, s.name);
}

// Helpers for lazy-mm plugins 01-12 that edit a step without copying its body: a diff that adds a
// statement inside an existing branch (x86 switch_mm_irqs_off's lazy same-mm return, powerpc's
// dangling `if (!new_on_cpu)`) wraps the step that owns the branch, so the arch module stays the
// one place that models the rest of the function.
import type { StepRegistry, StepFn } from '../../core/hooks.ts';

/** The current body of hook.step (whoever registered or last replaced it). */
export function stepBody(r: StepRegistry, hook: string, step: string): StepFn {
  const s = r.steps(hook).find((t) => t.name === step);
  if (!s) throw new Error(`no step ${hook}.${step}`);
  return r.meta.get(s.tap)!.fn;
}

/** Replace hook.step by `wrap(old)`; the step keeps its name and place. */
export function wrapStep(r: StepRegistry, hook: string, step: string, wrap: (old: StepFn) => StepFn) {
  r.replace(hook, step, wrap(stepBody(r, hook, step)));
}

/** Run a step body from inside another step (it may or may not be a generator). */
export function* runBody(fn: StepFn, ...args: Parameters<StepFn>): Generator<number, void, unknown> {
  const g = fn(...args);
  if (g !== undefined) yield* g;
}

/** Remove every step of a kernel function the diff deletes (nobody calls it any more). */
export function removeFunction(r: StepRegistry, hook: string) {
  for (const s of r.steps(hook)) r.remove(hook, s.name);
}

// Kernel functions as tapable hooks whose taps are named steps.
//
// tapable gives ordered registration (`before`) and interceptors. A hook is the *registry* of a
// function's body: its taps, in tapable's order, are compiled into an array of step functions the
// engine runs (engine.ts). A plugin inserts (`before`/`after`), replaces (a `register` interceptor
// rewrites the tap) or removes a step. Every plugin registers the same way, the baseline first.
import tapable from 'tapable';
import semver from 'semver';
import { HOOK_NAMES, H, type FnName, type Frame, type StepOf, type Step, type AnyStep } from './fns.ts';

const { SyncHook } = tapable;
export type SyncHookT = InstanceType<typeof SyncHook>;

export interface TapMeta {
  owner: string; // "baseline", "arch:x86", "lazy-mm/16", "user:/path/plugin.ts"
  step: string; // "mmgrab_lazy"
  fn: AnyStep;
  /** the step traces label their lines with (default: its own name) */
  traceAs?: string;
  /** the kernel versions the step exists in (semver range), when not all of them */
  kernels?: string;
}

/** Where a step goes; `traceAs`: label its trace lines as another step of the function (a
 *  statement split out of a step so that --drop-step can remove it, whose trace still reads as
 *  the branch it belongs to). */
export interface StepPosition<F extends string> {
  before?: StepOf<F>;
  after?: StepOf<F>;
  traceAs?: StepOf<F>;
  /** the kernel versions this code path exists in (semver range: '>=6.6.0'). The step is
   *  registered only if the configuration's kernel is in the range. */
  kernels?: string;
}

/** The kernel the baseline describes when a configuration names no other (the base of lazy-mm). */
export const BASELINE_KERNEL = '5.16.0';

/** Build a frozen object of fresh tapable hooks, one per kernel function. */
export function createHooks(): Readonly<Record<string, SyncHookT>> {
  const o: Record<string, SyncHookT> = {};
  for (const n of HOOK_NAMES) o[n] = new SyncHook(['frame'], n);
  return Object.freeze(o);
}

export class StepError extends Error {}

/** The registration side of hooks, used by the baseline, arch plugins and patches. */
export class StepRegistry {
  owner = 'baseline';
  readonly meta = new Map<string, TapMeta>(); // tap name -> meta

  /** `kernel`: the configuration's kernel version (semver) */
  constructor(readonly hooks: Readonly<Record<string, SyncHookT>>, readonly kernel: string = BASELINE_KERNEL) {}

  /** Does the configuration's kernel have the code of `range` (a semver range)? */
  inKernel(range: string): boolean {
    return semver.satisfies(this.kernel, range);
  }

  private hook(name: string): SyncHookT {
    const h = (this.hooks as Record<string, SyncHookT>)[name];
    if (!h) throw new StepError(`unknown kernel function '${name}'`);
    return h;
  }

  private tapName(owner: string, hook: string, step: string) {
    return `${owner}:${hook}.${step}`;
  }

  /** Index of the tap for `hook.step`, whoever owns it. */
  private find(hook: string, step: string): number {
    const taps = this.hook(hook).taps;
    for (let i = 0; i < taps.length; i++) if (this.meta.get(taps[i].name)!.step === step) return i;
    return -1;
  }

  has(hook: string, step: string): boolean {
    return this.find(hook, step) >= 0;
  }

  /** Insert a step; `before`/`after` name an existing step of the same function. */
  add<F extends FnName>(hook: F, step: string, fn: Step<F>, pos: StepPosition<F> = {}) {
    const h = this.hook(hook);
    if (pos.kernels !== undefined && !this.inKernel(pos.kernels)) return; // not in this kernel
    if (this.find(hook, step) >= 0) throw new StepError(`${hook}.${step} already exists`);
    const name = this.tapName(this.owner, hook, step);
    this.meta.set(name, { owner: this.owner, step, fn: fn as AnyStep, traceAs: pos.traceAs, ...(pos.kernels !== undefined ? { kernels: pos.kernels } : {}) });
    let before: string | undefined;
    if (pos.before) {
      const i = this.find(hook, pos.before);
      if (i < 0) throw new StepError(`${this.owner}: no step ${hook}.${pos.before} to insert before`);
      before = h.taps[i].name;
    } else if (pos.after) {
      const i = this.find(hook, pos.after);
      if (i < 0) throw new StepError(`${this.owner}: no step ${hook}.${pos.after} to insert after`);
      before = h.taps[i + 1]?.name;
    }
    h.tap(before ? { name, before } : { name }, () => {});
  }

  /** Replace the body of an existing step (the step keeps its place; the owner changes). */
  replace<F extends FnName>(hook: F, step: StepOf<F>, fn: Step<F>, newStep: string = step) {
    const h = this.hook(hook);
    const i = this.find(hook, step);
    if (i < 0) throw new StepError(`${this.owner}: no step ${hook}.${step} to replace`);
    const oldName = h.taps[i].name;
    const name = this.tapName(this.owner, hook, newStep);
    // a new body for the same step keeps the step's trace label; the code path it rewrites exists
    // where it did
    const old = this.meta.get(oldName)!;
    const traceAs = newStep === step ? old.traceAs : undefined;
    const kernels = old.kernels;
    this.meta.set(name, { owner: this.owner, step: newStep, fn: fn as AnyStep, traceAs, ...(kernels !== undefined ? { kernels } : {}) });
    // tapable interceptors apply to already-registered taps as well as future ones.
    h.intercept({ register: (tap) => (tap.name === oldName ? { ...tap, name } : tap) });
  }

  /** Remove a step (tapable has no untap: the tap array is edited in place). */
  remove<F extends FnName>(hook: F, step: StepOf<F>) {
    this.removeByName(hook, step);
  }

  /** remove() for names known only at run time (--drop-step). */
  removeByName(hook: string, step: string) {
    const h = this.hook(hook);
    const i = this.find(hook, step);
    if (i < 0) throw new StepError(`${this.owner}: no step ${hook}.${step} to remove`);
    h.taps.splice(i, 1);
  }

  /** Step list of a hook in call order. */
  steps(hook: string): { name: string; owner: string; tap: string; kernels?: string }[] {
    return this.hook(hook).taps.map((t) => {
      const m = this.meta.get(t.name)!;
      return { name: m.step, owner: m.owner, tap: t.name, ...(m.kernels !== undefined ? { kernels: m.kernels } : {}) };
    });
  }

  /** Compile every hook into arrays of step functions for the engine. */
  compile(): { fns: AnyStep[][]; names: string[][]; labels: string[][] } {
    const fns: AnyStep[][] = [];
    const names: string[][] = [];
    const labels: string[][] = [];
    for (const n of HOOK_NAMES) {
      const taps = this.hooks[n]?.taps ?? [];
      fns.push(taps.map((t) => this.meta.get(t.name)!.fn));
      names.push(taps.map((t) => this.meta.get(t.name)!.step));
      labels.push(taps.map((t) => { const m = this.meta.get(t.name)!; return m.traceAs ?? m.step; }));
    }
    return { fns, names, labels };
  }
}

export type { Frame };
export { H };

// Kernel functions as tapable hooks whose taps are named steps.
//
// tapable gives us ordered registration (`stage`, `before`) and interceptors, but a SyncHook cannot
// yield, and every step of ours must be able to yield at each shared access so the engine can
// interleave CPUs. So a hook is the *registry* of a function's body: its taps, in tapable's order,
// are compiled into an array of step functions that the engine runs as generators. A patch inserts
// (`before`/`after`), replaces (a `register` interceptor rewrites the tap) or removes a step.
import tapable from 'tapable';
import type { Kernel, Ctx } from './kernel.ts';

const { SyncHook } = tapable;
export type SyncHookT = InstanceType<typeof SyncHook>;

/** A step: one named piece of a kernel function's body. Returns a generator if it touches
 *  shared memory (it yields after each access), or nothing if it only changes CPU-local state. */
export type StepFn = (k: Kernel, x: Ctx, f: Frame) => Generator<number, void, unknown> | void;
// Frames hold a kernel function's arguments and locals, shared by its steps.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = any;

/** Every kernel function the model knows (hook ids index the compiled bodies). Modules that model
 *  more of the kernel (the page-level model, arches, series) add theirs with defineHooks(). */
const BASE_HOOKS = [
  // scheduler
  '__schedule', 'context_switch', 'switch_mm_irqs_off', 'enter_lazy_tlb', 'finish_task_switch',
  'switch_mm', 'activate_mm',
  // mm lifetime
  'mmgrab', 'mmdrop', '__mmdrop', 'mmget', 'mmput', '__mmput', 'exit_mmap', 'copy_mm', 'exit_mm',
  'exec_mmap', 'kthread_use_mm', 'kthread_unuse_mm',
  // TLB
  'flush_tlb_mm_range', 'flush_tlb_multi', 'flush_tlb_func', 'leave_mm', 'tlb_gather_mmu',
  'tlb_flush_mmu', 'tlb_flush_mmu_tlbonly', 'tlb_finish_mmu', 'free_pgtables', 'unmap_vmas',
  // membarrier
  'membarrier_private_expedited', 'membarrier_switch_mm', 'membarrier_update_current_mm',
  'membarrier_exec_mmap', 'membarrier_finish_switch_mm', 'membarrier_mm_sync_core_before_usermode',
  'ipi_mb', 'ipi_sync_core',
  // idle and hotplug
  'do_idle', 'do_idle_offline', 'cpuhp_report_idle_dead', 'arch_cpu_idle_dead', 'idle_task_exit',
  'finish_cpu', 'start_secondary', 'takedown_cpu', 'bringup_cpu', 'unlazy_mm_irqs_off',
  // NMI and arch entry points
  'nmi', 'perf_callchain_user', 'use_temporary_mm', 'unuse_temporary_mm', 'text_poke',
  'efi_enter_mm', 'efi_leave_mm', 'cpuidle_enter_state',
  // user-visible accesses
  'user_access',
] as const;
export type HookName = string;

export const HOOK_NAMES: string[] = [];
/** Hook ids by name. */
export const H: Record<string, number> = Object.create(null);

/** Declare kernel functions; returns their ids. Call at module top level, before kernels are built. */
export function defineHooks<const N extends readonly string[]>(names: N): { readonly [K in N[number]]: number } {
  for (const n of names) {
    if (H[n] !== undefined) continue;
    H[n] = HOOK_NAMES.length;
    HOOK_NAMES.push(n);
  }
  return H as { readonly [K in N[number]]: number };
}
defineHooks(BASE_HOOKS);

export interface TapMeta {
  owner: string; // "baseline", "arch:x86", "lazy-mm/16", "user:/path/plugin.ts"
  step: string; // "mmgrab_lazy"
  fn: StepFn;
}

export interface StepPosition { before?: string; after?: string }

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

  constructor(readonly hooks: Readonly<Record<string, SyncHookT>>) {}

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
  add(hook: HookName, step: string, fn: StepFn, pos: StepPosition = {}) {
    const h = this.hook(hook);
    if (this.find(hook, step) >= 0) throw new StepError(`${hook}.${step} already exists`);
    const name = this.tapName(this.owner, hook, step);
    this.meta.set(name, { owner: this.owner, step, fn });
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
  replace(hook: HookName, step: string, fn: StepFn, newStep = step) {
    const h = this.hook(hook);
    const i = this.find(hook, step);
    if (i < 0) throw new StepError(`${this.owner}: no step ${hook}.${step} to replace`);
    const oldName = h.taps[i].name;
    const name = this.tapName(this.owner, hook, newStep);
    this.meta.set(name, { owner: this.owner, step: newStep, fn });
    // tapable interceptors apply to already-registered taps as well as future ones.
    h.intercept({ register: (tap) => (tap.name === oldName ? { ...tap, name } : tap) });
  }

  /** Remove a step (tapable has no untap: the tap array is edited in place). */
  remove(hook: HookName, step: string) {
    const h = this.hook(hook);
    const i = this.find(hook, step);
    if (i < 0) throw new StepError(`${this.owner}: no step ${hook}.${step} to remove`);
    h.taps.splice(i, 1);
  }

  /** Step list of a hook in call order. */
  steps(hook: HookName): { name: string; owner: string; tap: string }[] {
    return this.hook(hook).taps.map((t) => {
      const m = this.meta.get(t.name)!;
      return { name: m.step, owner: m.owner, tap: t.name };
    });
  }

  /** Compile every hook into arrays of step functions for the engine. */
  compile(): { fns: StepFn[][]; names: string[][] } {
    const fns: StepFn[][] = [];
    const names: string[][] = [];
    for (const n of HOOK_NAMES) {
      const taps = this.hooks[n].taps;
      fns.push(taps.map((t) => this.meta.get(t.name)!.fn));
      names.push(taps.map((t) => `${n}.${this.meta.get(t.name)!.step}`));
    }
    return { fns, names };
  }
}

// The kernel model for one configuration: hooks built from baseline + arch + patches, the run
// state of one execution (memory, CPUs, tasks, mms) and the access API that steps use. Every
// access to shared memory goes through ld/st/rmw so that KASAN, footprints (for DPOR) and traces
// see it; steps `yield` after an access to let the engine run another CPU.
import { Memory, NULL } from './machine/memory.ts';
import { createHooks, StepRegistry, H, HOOK_NAMES, type StepFn, type Frame, type HookName } from './hooks.ts';
import * as L from './layout.ts';
import type { ArchPlugin } from '../arches/types.ts';
import type { PatchDef } from './series/types.ts';
import type { Op } from './program.ts';
import { registerBaseline } from './kernel/index.ts';

export type Params = Record<string, string>;

export interface KernelConfig {
  arch: ArchPlugin;
  cpus: number;
  patches: PatchDef[];
  params: Params;
  dropSteps: string[];
  memoryModel: 'sc' | 'tso';
}

/** An execution context on a CPU: task context (0), hardirq (1) or NMI (2). */
export class Ctx {
  gen: Generator<number, void, unknown> | null = null;
  /** Ids of the steps being executed, innermost last (for traces and reports). */
  stk = new Int32Array(64);
  sp = 0;
  wait: (() => boolean) | null = null;
  /** The trampoline's call stack (see Kernel.invoke and engine.resume): generator frames and
   *  function-body frames. Resuming a context costs O(1), not O(call depth) as yield* would. */
  fGen: (Generator<number, void, unknown> | null)[] = [];
  fHook = new Int32Array(64);
  fStep = new Int32Array(64);
  fFrame: Frame[] = [];
  fsp = 0;
  constructor(readonly cpu: number, readonly level: number) {}
}

/** What a step yields to call a kernel function through the trampoline. */
export const CALL = 2;

export type TaskStateG = 'runnable' | 'running' | 'sleeping' | 'waiting' | 'dead';
export interface TaskInfo {
  ref: number;
  name: string;
  kthread: boolean;
  isIdle: boolean;
  cpu: number;
  prog: Op[];
  pc: number;
  state: TaskStateG;
  timer: boolean; // asleep until its CPU's timer fires
  pendingWakes: number;
  usingMm: number; // kthread_use_mm in effect (ghost)
  heldUsers: number; // mm_users references taken by mmget_not_zero
  pinned: number[]; // mm_count references held from the start (scenario pins)
  reaped: boolean;
  regs?: Record<string, number>; // user registers of litmus loads
}

export interface MmInfo {
  ref: number;
  name: string;
  pgd: number;
  pt: number; // lower-level user page tables, freed by exit_mmap
  pt2: number; // a second page-table page, the one munmap frees
  pt2Freed: boolean;
  isInit: boolean;
  /** CPUs whose paging-structure caches may still hold the unlinked page tables (a CPU list, not
   *  a bitmask: the timing driver runs up to 1024 CPUs). */
  staleWalkers: readonly number[];
  pgtablesFreed: boolean;
  usersZero: boolean;
}

export interface Ipi {
  fn: number; // hook id of the handler
  arg: Frame;
  from: number;
  done: boolean;
  purpose: string;
}

export interface CpuState {
  id: number;
  curr: TaskInfo;
  idle: TaskInfo;
  irqsOff: boolean;
  rqLocked: boolean;
  rcuWatching: boolean;
  online: boolean; // ghost mirror of cpu_online_mask
  dying: boolean; // cpu_down requested: the CPU goes offline through its idle loop
  dead: boolean;
  upRequested: boolean;
  pending: Ipi[];
  nmiBudget: number;
  nmiArg: Frame;
  ctx: Ctx[]; // per level
  level: number; // current top level
  nmiSaved: number; // level an NMI interrupted
  /** membarrier strict-rule bookkeeping */
  lastF: number;
  invStart: number;
  needPostF: number; // mm that needs an F before its next user access (0 = none)
  tempMm: number; // use_temporary_mm in effect
}

export interface Violation {
  oracle: string;
  message: string;
  cpu: number;
  step: string;
  schedule?: string;
  trace?: string[];
}

export interface TraceLine { cpu: number; level: number; step: string; text: string; who?: string }

const LEVEL_NAMES = ['task', 'irq', 'nmi'];
const FATAL_ORACLES = new Set(['kasan', 'lifetime']);
const MAX_VIOLATIONS = 8;

/** The violation a run is reported by: the first fatal one, else the first. */
export function primaryViolation(vs: Violation[]): Violation | null {
  return vs.find((v) => FATAL_ORACLES.has(v.oracle)) ?? vs[0] ?? null;
}

export class Kernel {
  readonly hooks;
  readonly registry: StepRegistry;
  readonly fns: StepFn[][];
  readonly stepNames: string[][];
  /** Flat step ids for traces: stepIds[h][i] -> index into stepTable. */
  readonly stepTable: string[] = [];
  readonly stepIds: Int32Array[];
  readonly arch: ArchPlugin;
  readonly ncpus: number;
  readonly params: Params;
  readonly tso: boolean;

  // ---- run state (reset per execution) ----
  m!: Memory;
  ctxPool?: Ctx[][];
  enabledBuf?: Int32Array;
  cpus!: CpuState[];
  tasks!: TaskInfo[];
  taskByRef!: Map<number, TaskInfo>;
  /** Tasks assigned to each CPU, in creation order (the scheduler scans only its own). */
  rqTasks!: TaskInfo[][];
  mms!: Map<number, MmInfo>;
  rq!: number[];
  tlb!: number[];
  online!: number; // cpu_online_mask base
  init_mm!: number;
  /** Violations of this run, in order. KASAN/lifetime reports end the run (the kernel would be
   *  corrupt); WARNs and rule reports let it go on, as the kernel does, up to MAX_VIOLATIONS. */
  violations: Violation[] = [];
  fatal = false;
  actions = 0; // executed actions (a clock for oracles)
  tracing = false;
  trace: TraceLine[] = [];
  /** DPOR footprint of the current action: addr*2+isWrite, -1 = conflicts with everything. */
  fp = new Int32Array(16);
  fpn = 0;
  fpOn = false;
  counters: Record<string, number> = Object.create(null);
  /** Per-run state owned by the arch plugin (x86: CR3 per CPU, poking_mm, efi_mm...). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  archState: any = {};
  warnedOnce = new Set<string>();
  expectQuiescentFree = true;
  /** Observers the engine runs after every event (the conformance suite's invariants). They read
   *  state (peek, ghost) and may report through violate(); they never change it. */
  checkers: ((k: Kernel, ev: number) => void)[] = [];

  constructor(readonly cfg: KernelConfig) {
    this.arch = cfg.arch;
    this.ncpus = cfg.cpus;
    this.params = cfg.params;
    this.tso = cfg.memoryModel === 'tso';
    this.hooks = createHooks();
    this.registry = new StepRegistry(this.hooks);
    registerBaseline(this.registry);
    this.registry.owner = `arch:${cfg.arch.name}`;
    cfg.arch.apply(this.registry, this);
    for (const p of cfg.patches) {
      this.registry.owner = p.id;
      try {
        p.apply(this.registry, this);
      } catch (e) {
        throw new Error(`patch ${p.id} failed to apply: ${(e as Error).message}`);
      }
    }
    this.registry.owner = 'drop-step';
    for (const d of cfg.dropSteps) {
      const [hook, step] = splitStep(d, this.registry);
      this.registry.remove(hook, step);
    }
    const c = this.registry.compile();
    this.fns = c.fns;
    this.stepNames = c.names;
    this.stepIds = c.names.map((ns) => Int32Array.from(ns.map((n) => this.stepTable.push(n) - 1)));
  }

  param(name: string, dflt: string): string {
    return this.params[name] ?? dflt;
  }
  flag(name: string, dflt: boolean): boolean {
    const v = this.params[name];
    if (v === undefined) return dflt;
    return v === 'y' || v === '1' || v === 'true';
  }

  // ---- calling kernel functions ----------------------------------------------------------------

  pendingHook = 0;
  pendingFrame: Frame = null;
  /** `yield k.invoke(H.fn, frame)`: call a kernel function from a step. The engine runs the
   *  function's steps on the context's own stack (no generator delegation). */
  invoke(h: number, f: Frame): number {
    this.pendingHook = h;
    this.pendingFrame = f;
    return CALL;
  }

  /** Generator form of a call: `yield* k.call(H.fn, x, frame)`. Works anywhere, but every resume
   *  goes through each yield* level; steps should prefer `yield k.invoke(...)`. */
  *call(h: number, x: Ctx, f: Frame): Generator<number, void, unknown> {
    const body = this.fns[h];
    const ids = this.stepIds[h];
    for (let i = 0; i < body.length; i++) {
      x.stk[x.sp++] = ids[i];
      const g = body[i](this, x, f);
      if (g !== undefined) yield* g;
      x.sp--;
      if (f.ret_early) { f.ret_early = false; break; }
    }
  }

  /** Name of the innermost step running in x. */
  stepOf(x: Ctx): string {
    return x.sp > 0 ? this.stepTable[x.stk[x.sp - 1]] : x.level === 0 ? 'schedule' : 'irq';
  }

  /** Step id for a program operation, so traces name what the task was doing. */
  opStep(op: string): number {
    let i = this.opSteps.get(op);
    if (i === undefined) { i = this.stepTable.push(`sys_${op}`) - 1; this.opSteps.set(op, i); }
    return i;
  }
  private readonly opSteps = new Map<string, number>();

  // ---- memory access API -----------------------------------------------------------------------

  private note(x: Ctx, a: number, write: boolean) {
    if (!(a > 0)) throw new Error(`internal: access to bad address ${a} in ${this.stepOf(x)} (NULL dereference in the model)`);
    if (this.m.dead[a]) this.kasan(x, a, write);
    if (this.fpOn) this.fpAdd(a * 2 + (write ? 1 : 0));
  }

  ld(x: Ctx, a: number): number {
    this.note(x, a, false);
    const v = this.m.read(x.cpu, a);
    if (this.tracing) this.tr(x, `load ${this.m.nameOf(a)} = ${this.fmt(a, v)}`);
    return v;
  }

  st(x: Ctx, a: number, v: number) {
    this.note(x, a, true);
    this.m.write(x.cpu, a, v);
    if (this.tracing) this.tr(x, `store ${this.m.nameOf(a)} = ${this.fmt(a, v)}${this.tso ? ' (buffered)' : ''}`);
  }

  /** A locked read-modify-write: drains the store buffer (x86 LOCK), returns the new value. */
  atomicAdd(x: Ctx, a: number, d: number, name = d > 0 ? 'atomic_inc' : 'atomic_dec'): number {
    this.m.drainAll(x.cpu);
    this.note(x, a, true);
    const v = (this.m.mem[a] += d);
    this.count('atomics');
    if (this.tracing) this.tr(x, `${name} ${this.m.nameOf(a)}: ${v - d} -> ${v}`);
    return v;
  }

  /** cmpxchg: returns the old value; stores `nv` if it equalled `old`. Fully ordered. */
  cmpxchg(x: Ctx, a: number, old: number, nv: number): number {
    this.m.drainAll(x.cpu);
    this.note(x, a, true);
    const cur = this.m.mem[a];
    if (cur === old) this.m.mem[a] = nv;
    this.count('atomics');
    if (this.tracing) this.tr(x, `cmpxchg ${this.m.nameOf(a)}: ${this.fmt(a, cur)} ${cur === old ? '->' : '!='} ${this.fmt(a, cur === old ? nv : old)}`);
    return cur;
  }

  /** A full memory barrier (smp_mb and friends). Also an F event for the membarrier checker. */
  mb(x: Ctx, what = 'smp_mb') {
    this.m.drainAll(x.cpu);
    this.cpus[x.cpu].lastF = this.actions + 1;
    this.cpus[x.cpu].needPostF = 0;
    if (this.fpOn) this.fpAdd(-1);
    if (this.tracing) this.tr(x, what);
  }

  /** A full-barrier RMW (value-returning atomics) counts as F for membarrier. */
  /** Add to the current action's DPOR footprint. An action with more accesses than the buffer
   *  holds is marked as conflicting with everything: imprecise, but the reduction stays sound. */
  fpAdd(v: number) {
    if (this.fpn < 16) this.fp[this.fpn++] = v;
    else this.fp[15] = -1;
  }

  /** This action depends on state outside the footprint (scheduler ghost state): no POR. */
  fpGlobal() {
    if (this.fpOn) this.fpAdd(-1);
  }

  fullBarrierEvent(x: Ctx) {
    this.cpus[x.cpu].lastF = this.actions + 1;
    this.cpus[x.cpu].needPostF = 0;
  }

  /** Oracle-side read of memory, no interleaving and no KASAN (the checker is not the kernel). */
  peek(a: number): number {
    return this.m.mem[a];
  }

  fmt(a: number, v: number): string {
    const o = this.m.objAt(a);
    if (!o) return String(v);
    const f = o.fields[a - o.base];
    if (/mm$|curr$|pgd$/.test(f)) return v === L.LOADED_MM_SWITCHING ? 'LOADED_MM_SWITCHING' : this.m.ptrName(v);
    return String(v);
  }

  tr(x: Ctx, text: string) {
    this.trace.push({ cpu: x.cpu, level: x.level, step: this.stepOf(x), text, who: this.cpus[x.cpu].curr.name });
  }

  count(name: string, d = 1) {
    this.counters[name] = (this.counters[name] ?? 0) + d;
  }

  // ---- oracles' entry points -------------------------------------------------------------------

  violate(oracle: string, message: string, x: Ctx | null) {
    if (this.fatal) return;
    for (const v of this.violations) if (v.message === message) return;
    this.violations.push({ oracle, message, cpu: x ? x.cpu : -1, step: x ? this.stepOf(x) : '(end of run)' });
    if (FATAL_ORACLES.has(oracle) || this.violations.length >= MAX_VIOLATIONS) this.fatal = true;
    if (this.tracing && x) this.tr(x, `!! ${oracle}: ${message}`);
  }

  private kasan(x: Ctx, a: number, write: boolean) {
    const o = this.m.objAt(a)!;
    this.violate('kasan', `use-after-free ${write ? 'write' : 'read'} of ${this.m.nameOf(a)} (${o.kind} freed by ${o.freedBy})`, x);
  }

  /** A WARN_ON in the modelled code. */
  warn(x: Ctx, cond: boolean, what: string) {
    if (cond) this.violate('warn', `WARNING: ${what}`, x);
  }

  // ---- helpers on the run state ----------------------------------------------------------------

  mmByName(name: string): number {
    for (const mi of this.mms.values()) if (mi.name === name) return mi.ref;
    throw new Error(`no mm named '${name}'`);
  }
  task(ref: number): TaskInfo {
    return this.taskByRef.get(ref)!;
  }
  mmInfo(ref: number): MmInfo | undefined {
    return this.mms.get(ref);
  }
  name(ref: number): string {
    return this.m.ptrName(ref);
  }
  cur(x: Ctx): TaskInfo {
    return this.cpus[x.cpu].curr;
  }
  levelName(l: number) {
    return LEVEL_NAMES[l];
  }
  /** Does a hook have any step? (lets arch-optional paths be skipped) */
  hasBody(h: number) {
    return this.fns[h].length > 0;
  }
  hookName(h: number): HookName {
    return HOOK_NAMES[h];
  }
}

export function splitStep(spec: string, reg: StepRegistry): [HookName, string] {
  const dot = spec.indexOf('.');
  if (dot > 0) {
    const hook = spec.slice(0, dot) as HookName;
    const step = spec.slice(dot + 1);
    if (H[hook] === undefined) throw new Error(`unknown kernel function '${hook}' in step '${spec}'`);
    if (!reg.has(hook, step)) throw new Error(`unknown step '${spec}' (see: lazymm list hooks)`);
    return [hook, step];
  }
  const found: [HookName, string][] = [];
  for (const h of HOOK_NAMES) if (reg.has(h, spec)) found.push([h, spec]);
  if (found.length === 1) return found[0];
  if (found.length === 0) throw new Error(`unknown step '${spec}' (see: lazymm list hooks)`);
  throw new Error(`step name '${spec}' is ambiguous: ${found.map((f) => f.join('.')).join(', ')}`);
}

export { NULL, H, L };

// The kernel model for one configuration: hooks built from baseline + arch + patches, the declared
// run state of one execution (memory, CPUs, tasks, mms, call stacks, IPIs, checker state), and the
// one access path every step and oracle goes through. An access checks KASAN, records the DPOR
// footprint, charges timing, traces, and counts as an access of the current step, so the engine
// can refuse a step that accessed memory and neither yields nor says it is fused with what
// follows.
import { Memory, NULL, type ObjInfo } from './memory.ts';
import { RunState, type Region, type Snapshot, type Vec } from './state.ts';
import { createHooks, StepRegistry, StepError, BASELINE_KERNEL } from './registry.ts';
import {
  FN_DECLS, H, HOOK_NAMES, declGeneration, type AnyStep, type FnDecl, type FnId, type FnName, type Frame, type Kind,
} from './fns.ts';
import { sid, str } from './strings.ts';
import { declareRecord, type RecordSchema, type RecordView } from './records.ts';
import * as L from './layout.ts';
import type { ArchPlugin } from './arch.ts';
import type { PatchDef } from './patch.ts';
import type { Op } from './program.ts';
import type { Entry } from './entry.ts';
import { WATCH, WK_APPLY, watchEnter, watchLeave, watchLabel, newWid } from './watch.ts';

export type Params = Record<string, string>;

export interface KernelConfig {
  arch: ArchPlugin;
  cpus: number;
  patches: PatchDef[];
  params: Params;
  dropSteps: string[];
  memoryModel: 'sc' | 'tso';
  /** the kernel version modelled (semver, e.g. '6.14.0'): code paths with a `kernels` range
   *  outside it are not registered. Default: BASELINE_KERNEL (v5.16). */
  kernel?: string;
}

/** An error in the model or a plugin's use of it (bad address, stack overflow, an access without a
 *  scheduling point): reported with the step, never as a violation. */
export class ModelError extends Error {}

// ---- declared records -----------------------------------------------------------------------------

// CPU: scheduler and hotplug bookkeeping, the membarrier checker's per-CPU state, the IPI queue.
export const C_CURR = 0, C_IDLE = 1, C_IRQS_OFF = 2, C_RQ_LOCKED = 3, C_RCU_WATCHING = 4, C_ONLINE = 5,
  C_DYING = 6, C_DEAD = 7, C_UP_REQ = 8, C_NMI_BUDGET = 9, C_LEVEL = 10, C_NMI_SAVED = 11,
  C_NEED_POST_F = 12, C_TEMP_MM = 13,
  // membarrier checker (baseline/membarrier.ts): event-relative flags instead of a global clock
  C_F_SINCE_INV = 14, C_F_THIS_EVENT = 15, C_SKIPPED = 16, C_NEED_SYNC = 17,
  // the observed checker: the mm whose user memory this CPU loaded while its store that made it
  // rq->curr->mm was still in its store buffer
  C_EARLY_LOAD = 18,
  C_IPI_LEN = 19,
  // stop_machine (baseline/hotplug.ts): the multi_stop_data queued to this CPU's stopper (0: none)
  C_STOP_WORK = 20;
export const CW = 21;

// Task: identity (set at setup), scheduler state, the references a program holds, registers.
export const T_REF = 0, T_NAME = 1, T_KTHREAD = 2, T_IDLE = 3, T_CPU = 4, T_PROG = 5, T_PC = 6,
  T_STATE = 7, T_TIMER = 8, T_WAKES = 9, T_USING_MM = 10, T_HELD_USERS = 11, T_REAPED = 12,
  T_NPINNED = 13, T_PINNED = 14, T_REGS = 18, T_REGS_SET = 22, T_LOOPS = 23;
const TW = 27;
/** counted loops a program may have going at once (TaskView.loopLeft) */
const MAX_LOOPS = 2;
const MAX_PINS = 4;
const MAX_REGS = 4;
/** Task states (the model's; TASK_* in task_struct->__state are kernel memory, layout.ts). */
export const TS_RUNNABLE = 0, TS_RUNNING = 1, TS_SLEEPING = 2, TS_WAITING = 3, TS_DEAD = 4;
const TS_NAMES = ['runnable', 'running', 'sleeping', 'waiting', 'dead'];

// mm: the objects an mm_struct owns, lifetime flags, two words for the arch, and the CPUs whose
// paging-structure caches may still hold its unlinked page tables (a bitmask).
export const M_REF = 0, M_NAME = 1, M_PGD = 2, M_PT = 3, M_PT2 = 4, M_PT2_FREED = 5, M_IS_INIT = 6,
  M_PGT_FREED = 7, M_USERS_ZERO = 8, M_ARCH0 = 9, M_ARCH1 = 10, M_STALE = 11;

// Context (per CPU and level: task, hardirq, NMI): activity, wait condition, IPIs it waits for, the
// IPI it handles, and its call stack.
export const X_ACTIVE = 0, X_SP = 1, X_FTOP = 2, X_WAIT = 3, X_WA = 4, X_WB = 5, X_WC = 6,
  X_OUTSTANDING = 7;
export const XW = 8;
/** Activation record: function, step, resume point (-1: next step; -2: return), frame base (in the
 *  context's frame words), words this activation allocated (0 for an aliased struct frame). */
export const A_FN = 0, A_STEP = 1, A_PC = 2, A_BASE = 3, A_OWN = 4;
export const AW = 5;
export const MAXD = 48;
const FW_TASK = 2048;
const FW_IRQ = 512;

/** An IPI in a CPU's queue: the handler, the sending context, its purpose, the handler's frame image. */
export const I_FN = 0, I_FROM = 1, I_PURPOSE = 2, I_ARGS = 3;
export const IPI_ARGW = 24;
const IW = I_ARGS + IPI_ARGW;
/** IPIs a CPU's queue holds at first, and at most: the kernel's call_single_queue is a list, so
 *  the model's grows (a flush from every CPU of a large machine queues one IPI per sender). */
const IPI_CAP = 32;
const IPI_MAX = 4096;

// misc: stopped (the execution cannot go on: the report cap, or the model cannot continue past a
// report), the number of violations and WARN_ONCE keys, the trace length (output), a KASAN or
// lifetime report was made (derived from the violations: not part of the identity)
const G_FATAL = 0, G_NVIOL = 1, G_NWARNED = 2, G_TRACE_LEN = 3, G_NCOUNT = 4, G_HAS_FATAL = 5;
const GW = 6;
const VW = 4; // violation: oracle, message, cpu, step (string ids)

/** Reference ownership (ownership.ts): the words of a row of the 'mm references' table. */
export const REF_RW = 5;

/** Which pointer fields hold a counted mm reference in the kernel a configuration builds
 *  (ownership.ts). Set by the plugin whose diff changes the convention (in its apply()). */
export interface RefRules {
  /** a lazy ->active_mm (kernel thread, exited task) and rq->prev_mm hold an mm_count reference */
  lazyActiveMm: boolean;
  /** a kthread in kthread_use_mm() holds an mm_count reference for its ->active_mm == ->mm */
  usedMm: boolean;
}

/** Wait conditions a context can block on (engine.ts evaluates them). */
export const W_NONE = 0, W_UP_REQ = 1, W_HAS_WORK = 2, W_IPIS = 3, W_CPU_DEAD = 4, W_CPU_ONLINE = 5,
  W_ZERO_OR_DEAD = 6, W_ZERO = 7, W_NONNEG = 8, W_NE_OR_POS = 9, W_NE = 10, W_RQ_EMPTY = 11;

const LEVEL_NAMES = ['task', 'irq', 'nmi'];
const FATAL_ORACLES = new Set(['kasan', 'lifetime']);
/** Distinct reports an execution collects before it stops (kasan_multi_shot keeps going; a cap
 *  keeps a corrupted execution from running on forever). */
const MAX_VIOLATIONS = 16;

export interface Violation {
  oracle: string;
  message: string;
  cpu: number;
  step: string;
  schedule?: string;
  trace?: string[];
}

/** What a trace record is, where the structured renderers (Perfetto, ftrace, HTML) need it:
 *  accesses carry their address, an IPI its target CPU, an IRQ its sender's context. */
export type TraceOp = 'load' | 'store' | 'rmw' | 'fence' | 'ipi' | 'irq' | 'nmi' | 'commit' | 'drain' | 'violation';
/** One trace record. `hidden` records (a barrier's store-buffer drain) are for the structured
 *  renderers only: the text trace leaves them out. */
export interface TraceLine {
  cpu: number; level: number; step: string; text: string; who?: string;
  op?: TraceOp; addr?: number; peer?: number; hidden?: boolean;
  /** the functions on the context's stack, outermost first; IRQs off on the CPU */
  stack?: number[]; irqsOff?: boolean;
}

/** The violation a run is reported by (its headline): with a signature, the first report that
 *  matches it; else the first KASAN/lifetime report (what would have ended the execution before
 *  reports became multi-shot), else the first. Later reports never replace it. */
export function primaryViolation(vs: Violation[], match?: ViolationMatch | null): Violation | null {
  if (match) return vs.find(match) ?? null;
  return vs.find((v) => FATAL_ORACLES.has(v.oracle)) ?? vs[0] ?? null;
}

/** A violation signature: does (oracle, message) match? (bisect --match/--oracle) */
export type ViolationMatch = (v: Violation) => boolean;

/** An execution context: a CPU at a level (0 task, 1 hardirq, 2 NMI). A fixed handle; its state is
 *  in the kernel's declared regions. */
export class Ctx {
  constructor(readonly id: number, readonly cpu: number, readonly level: number) {}
}

/** What a timing observer (drivers/timing) is told about each access. */
export interface TimingHooks {
  load(a: number): void;
  store(a: number, v: number): void;
  rmw(a: number): void;
  barrier(what: string | undefined): void;
  counted(id: number, d: number): void;
  fn(h: number): void;
  ipiSent(target: number, slot: number, purpose: string): void;
  ipiTaken(cpu: number): void;
}

// ---- views of declared records ----------------------------------------------------------------------

export class TaskView {
  /** static for the run (set at setup) */
  name = '';
  prog: Op[] = [];
  /** register names of this task's `load` ops, by slot */
  regNames: string[] = [];
  /** the function of each op of prog (sys_<op>), resolved once */
  opFns: number[] = [];
  private readonly b: number;
  constructor(private readonly r: Region<Int32Array>, readonly tid: number, private readonly k: Kernel) {
    this.b = tid * TW;
  }
  get ref(): number { return this.r.a[this.b + T_REF]; }
  get kthread(): boolean { return this.r.a[this.b + T_KTHREAD] !== 0; }
  get isIdle(): boolean { return this.r.a[this.b + T_IDLE] !== 0; }
  get cpu(): number { return this.r.a[this.b + T_CPU]; }
  set cpu(v: number) { this.r.a[this.b + T_CPU] = v; }
  get pc(): number { return this.r.a[this.b + T_PC]; }
  set pc(v: number) { this.r.a[this.b + T_PC] = v; }
  /** TS_RUNNABLE... */
  get state(): number { return this.r.a[this.b + T_STATE]; }
  set state(v: number) { this.r.a[this.b + T_STATE] = v; }
  get stateName(): string { return TS_NAMES[this.state]; }
  get timer(): boolean { return this.r.a[this.b + T_TIMER] !== 0; }
  set timer(v: boolean) { this.r.a[this.b + T_TIMER] = v ? 1 : 0; }
  get pendingWakes(): number { return this.r.a[this.b + T_WAKES]; }
  set pendingWakes(v: number) { this.r.a[this.b + T_WAKES] = v; }
  get usingMm(): number { return this.r.a[this.b + T_USING_MM]; }
  set usingMm(v: number) { this.r.a[this.b + T_USING_MM] = v; }
  get heldUsers(): number { return this.r.a[this.b + T_HELD_USERS]; }
  set heldUsers(v: number) { this.r.a[this.b + T_HELD_USERS] = v; }
  get reaped(): boolean { return this.r.a[this.b + T_REAPED] !== 0; }
  set reaped(v: boolean) { this.r.a[this.b + T_REAPED] = v ? 1 : 0; }
  /** mm_count references held from the start (scenario pins), in order */
  get pinned(): number[] {
    const a = this.r.a, b = this.b, out: number[] = [];
    for (let i = 0; i < a[b + T_NPINNED]; i++) out.push(a[b + T_PINNED + i]);
    return out;
  }
  pin(mm: number) {
    const a = this.r.a, b = this.b, n = a[b + T_NPINNED];
    if (n === MAX_PINS) throw new ModelError(`${this.name}: at most ${MAX_PINS} pinned mms`);
    a[b + T_PINNED + n] = mm;
    a[b + T_NPINNED] = n + 1;
  }
  /** Drop the first pin of mm; false if the task holds none. */
  unpin(mm: number): boolean {
    const a = this.r.a, b = this.b, n = a[b + T_NPINNED];
    for (let i = 0; i < n; i++) {
      if (a[b + T_PINNED + i] !== mm) continue;
      for (let j = i; j < n - 1; j++) a[b + T_PINNED + j] = a[b + T_PINNED + j + 1];
      a[b + T_PINNED + n - 1] = 0;
      a[b + T_NPINNED] = n - 1;
      return true;
    }
    return false;
  }
  /** A user register loaded by a `load` op, or undefined if never loaded. */
  reg(name: string): number | undefined {
    const i = this.regNames.indexOf(name);
    if (i < 0 || !(this.r.a[this.b + T_REGS_SET] & (1 << i))) return undefined;
    return this.r.a[this.b + T_REGS + i];
  }
  setReg(name: string, v: number) {
    const i = this.regNames.indexOf(name);
    if (i < 0) throw new ModelError(`${this.name}: register '${name}' is not loaded by any of its ops`);
    this.r.a[this.b + T_REGS + i] = v;
    this.r.a[this.b + T_REGS_SET] |= 1 << i;
  }
  /** Iterations left of the counted loop at program index `at` (undefined: not started). */
  loopLeft(at: number): number | undefined {
    const a = this.r.a, b = this.b + T_LOOPS;
    for (let i = 0; i < MAX_LOOPS; i++) if (a[b + 2 * i + 1] !== 0 && a[b + 2 * i] === at) return a[b + 2 * i + 1];
    return undefined;
  }
  /** Set (left > 0) or end (0) the counted loop at program index `at`. */
  setLoopLeft(at: number, left: number) {
    const a = this.r.a, b = this.b + T_LOOPS;
    let free = -1;
    for (let i = 0; i < MAX_LOOPS; i++) {
      if (a[b + 2 * i + 1] !== 0 && a[b + 2 * i] === at) { a[b + 2 * i + 1] = left; return; }
      if (a[b + 2 * i + 1] === 0 && free < 0) free = i;
    }
    if (left === 0) return;
    if (free < 0) throw new ModelError(`${this.name}: more than ${MAX_LOOPS} counted loops at once`);
    a[b + 2 * free] = at;
    a[b + 2 * free + 1] = left;
  }
  /** internal: identity at setup */
  init(ref: number, name: string, kthread: boolean, idle: boolean, cpu: number, prog: Op[]) {
    const a = this.r.a, b = this.b;
    a.fill(0, b, b + TW);
    a[b + T_REF] = ref;
    a[b + T_NAME] = sid(name);
    a[b + T_KTHREAD] = kthread ? 1 : 0;
    a[b + T_IDLE] = idle ? 1 : 0;
    a[b + T_CPU] = cpu;
    a[b + T_PROG] = this.tid;
    this.name = name;
    this.prog = prog;
    this.opFns = prog.map((op) => {
      const h = (H as Record<string, number>)[`sys_${op.op}`];
      if (h === undefined) throw new ModelError(`${name}: no operation '${op.op}' (declare sys_${op.op} with opFns)`);
      return h;
    });
    this.regNames = [];
    for (const op of prog) if (op.op === 'load' && !this.regNames.includes(op.reg)) this.regNames.push(op.reg);
    if (this.regNames.length > MAX_REGS) throw new ModelError(`${name}: at most ${MAX_REGS} registers`);
  }
  get k0(): Kernel { return this.k; }
}

export class CpuView {
  private readonly b: number;
  constructor(private readonly a: Int32Array, readonly id: number, private readonly k: Kernel) {
    this.b = id * CW;
  }
  get curr(): TaskView { return this.k.tasks[this.a[this.b + C_CURR]]; }
  set curr(t: TaskView) { this.a[this.b + C_CURR] = t.tid; }
  get idle(): TaskView { return this.k.tasks[this.a[this.b + C_IDLE]]; }
  set idle(t: TaskView) { this.a[this.b + C_IDLE] = t.tid; }
  get irqsOff(): boolean { return this.a[this.b + C_IRQS_OFF] !== 0; }
  set irqsOff(v: boolean) { this.a[this.b + C_IRQS_OFF] = v ? 1 : 0; }
  get rqLocked(): boolean { return this.a[this.b + C_RQ_LOCKED] !== 0; }
  set rqLocked(v: boolean) { this.a[this.b + C_RQ_LOCKED] = v ? 1 : 0; }
  get rcuWatching(): boolean { return this.a[this.b + C_RCU_WATCHING] !== 0; }
  set rcuWatching(v: boolean) { this.a[this.b + C_RCU_WATCHING] = v ? 1 : 0; }
  /** ghost mirror of cpu_online_mask */
  get online(): boolean { return this.a[this.b + C_ONLINE] !== 0; }
  set online(v: boolean) { this.a[this.b + C_ONLINE] = v ? 1 : 0; }
  /** cpu_down requested: the CPU goes offline through its idle loop */
  get dying(): boolean { return this.a[this.b + C_DYING] !== 0; }
  set dying(v: boolean) { this.a[this.b + C_DYING] = v ? 1 : 0; }
  get dead(): boolean { return this.a[this.b + C_DEAD] !== 0; }
  set dead(v: boolean) { this.a[this.b + C_DEAD] = v ? 1 : 0; }
  get upRequested(): boolean { return this.a[this.b + C_UP_REQ] !== 0; }
  set upRequested(v: boolean) { this.a[this.b + C_UP_REQ] = v ? 1 : 0; }
  get nmiBudget(): number { return this.a[this.b + C_NMI_BUDGET]; }
  set nmiBudget(v: number) { this.a[this.b + C_NMI_BUDGET] = v; }
  /** the current top level (0 task, 1 hardirq, 2 NMI) */
  get level(): number { return this.a[this.b + C_LEVEL]; }
  set level(v: number) { this.a[this.b + C_LEVEL] = v; }
  get nmiSaved(): number { return this.a[this.b + C_NMI_SAVED]; }
  set nmiSaved(v: number) { this.a[this.b + C_NMI_SAVED] = v; }
  /** membarrier: the mm that needs an F before this CPU's next user access (0: none) */
  get needPostF(): number { return this.a[this.b + C_NEED_POST_F]; }
  set needPostF(v: number) { this.a[this.b + C_NEED_POST_F] = v; }
  /** use_temporary_mm() in effect */
  get tempMm(): number { return this.a[this.b + C_TEMP_MM]; }
  set tempMm(v: number) { this.a[this.b + C_TEMP_MM] = v; }
  /** stop_machine: the multi_stop_data address queued to this CPU's stopper (0: no work) */
  get stopWork(): number { return this.a[this.b + C_STOP_WORK]; }
  set stopWork(v: number) { this.a[this.b + C_STOP_WORK] = v; }
  /** IPIs queued for this CPU */
  get pendingLen(): number { return this.a[this.b + C_IPI_LEN]; }
  /** the contexts (task, hardirq, NMI) of this CPU */
  get ctx(): readonly Ctx[] { return this.k.ctxOfCpu[this.id]; }
  /** raw word access for model parts that keep per-CPU fields here */
  word(i: number): number { return this.a[this.b + i]; }
  setWord(i: number, v: number) { this.a[this.b + i] = v; }
}

export class MmView {
  private readonly b: number;
  constructor(private readonly r: Region<Int32Array>, readonly index: number, mw: number, private readonly ncpus: number) {
    this.b = index * mw;
  }
  get ref(): number { return this.r.a[this.b + M_REF]; }
  get name(): string { return str(this.r.a[this.b + M_NAME]); }
  get pgd(): number { return this.r.a[this.b + M_PGD]; }
  /** lower-level user page tables, freed by exit_mmap */
  get pt(): number { return this.r.a[this.b + M_PT]; }
  /** a second page-table page, the one munmap frees (a workload's mmap may bring a new one) */
  get pt2(): number { return this.r.a[this.b + M_PT2]; }
  set pt2(v: number) { this.r.a[this.b + M_PT2] = v; }
  get pt2Freed(): boolean { return this.r.a[this.b + M_PT2_FREED] !== 0; }
  set pt2Freed(v: boolean) { this.r.a[this.b + M_PT2_FREED] = v ? 1 : 0; }
  get isInit(): boolean { return this.r.a[this.b + M_IS_INIT] !== 0; }
  get pgtablesFreed(): boolean { return this.r.a[this.b + M_PGT_FREED] !== 0; }
  set pgtablesFreed(v: boolean) { this.r.a[this.b + M_PGT_FREED] = v ? 1 : 0; }
  get usersZero(): boolean { return this.r.a[this.b + M_USERS_ZERO] !== 0; }
  set usersZero(v: boolean) { this.r.a[this.b + M_USERS_ZERO] = v ? 1 : 0; }
  /** two words an arch may keep per mm (powerpc: the mm->context object) */
  get arch0(): number { return this.r.a[this.b + M_ARCH0]; }
  set arch0(v: number) { this.r.a[this.b + M_ARCH0] = v; }
  get arch1(): number { return this.r.a[this.b + M_ARCH1]; }
  set arch1(v: number) { this.r.a[this.b + M_ARCH1] = v; }
  /** CPUs whose paging-structure caches may still hold the unlinked page tables */
  get staleWalkers(): number[] {
    const a = this.r.a, out: number[] = [];
    for (let c = 0; c < this.ncpus; c++) if (a[this.b + M_STALE + (c >>> 5)] & (1 << (c & 31))) out.push(c);
    return out;
  }
  set staleWalkers(cs: readonly number[]) {
    const a = this.r.a, n = (this.ncpus + 31) >>> 5;
    a.fill(0, this.b + M_STALE, this.b + M_STALE + n);
    for (const c of cs) a[this.b + M_STALE + (c >>> 5)] |= 1 << (c & 31);
  }
  get hasStaleWalkers(): boolean {
    const a = this.r.a, n = (this.ncpus + 31) >>> 5;
    for (let i = 0; i < n; i++) if (a[this.b + M_STALE + i] !== 0) return true;
    return false;
  }
  isStaleWalker(c: number): boolean { return (this.r.a[this.b + M_STALE + (c >>> 5)] & (1 << (c & 31))) !== 0; }
  clearStaleWalker(c: number) { this.r.a[this.b + M_STALE + (c >>> 5)] &= ~(1 << (c & 31)); }
  clearStaleWalkers() { this.r.a.fill(0, this.b + M_STALE, this.b + M_STALE + ((this.ncpus + 31) >>> 5)); }
}

/** Where a frame view points: the context's frame words and the frame's base in them. One class
 *  for every view, so positioning a view before a step is a monomorphic store (views themselves
 *  have one class per function). */
export class Cursor {
  w: Int32Array = new Int32Array(0);
  b = 0;
}
/** A view of a frame: generated per function (fixed offsets), reading through its cursor. */
export interface FrameView { readonly $c: Cursor; readonly $h: number }

// Model parts that keep declared state of their own (the page model, lazy MMU mode) register a
// declarer; it runs once per kernel and its reset at every boot.
export interface StatePart { declare(k: Kernel): void; boot(k: Kernel): void }
export const STATE_PARTS: StatePart[] = [];
let nextPartSlot = 0;
/** A slot in Kernel.parts for a model part's per-kernel data (its record views, settings read
 *  once): an array index where a WeakMap keyed by the kernel would be a hash lookup per step. */
export function partSlot(): number { return nextPartSlot++; }

/** Counter ids, process-wide (names are stable; the values are per-run state). */
const COUNTER_IDS = new Map<string, number>();
export const COUNTER_NAMES: string[] = [];
export function counterId(name: string): number {
  let i = COUNTER_IDS.get(name);
  if (i === undefined) { i = COUNTER_NAMES.length; COUNTER_IDS.set(name, i); COUNTER_NAMES.push(name); }
  return i;
}
const CNT_ATOMICS = counterId('atomics');

/** Registers the v5.16 baseline: set by baseline/index.ts (the model's first plugin). */
export const BASELINE: { register: ((r: StepRegistry, k: Kernel) => void) | null; boot: ((k: Kernel) => void) | null } = { register: null, boot: null };

export class Kernel {
  readonly hooks;
  readonly registry: StepRegistry;
  /** compiled bodies: fns[h][i] is step i of function h */
  readonly fns: AnyStep[][];
  readonly stepNames: string[][];
  /** trace label of each step (index into stepTable), -1: the caller's */
  readonly labels: Int32Array[];
  readonly stepTable: string[] = [];
  readonly arch: ArchPlugin;
  readonly ncpus: number;
  readonly params: Params;
  readonly tso: boolean;

  // ---- frames
  readonly frameSize: Int32Array;
  /** views steps get (f), callee views (k.call), returned views (k.ret), views at a pointer (k.at),
   *  and IPI argument images (k.ipiArgs): separate sets so one use never repositions another */
  readonly fViews: FrameView[];
  /** the cursors of fViews, by function (what the engine positions before a step) */
  readonly fCursors: Cursor[];
  private readonly callViews: FrameView[];
  private readonly callCursors: Cursor[];
  private readonly retViews: FrameView[];
  private readonly retCursors: Cursor[];
  private readonly atViews: FrameView[];
  private readonly atCursors: Cursor[];
  private readonly argViews: FrameView[];
  private readonly argCursors: Cursor[];
  readonly fieldOffset: Map<string, number>[];

  // ---- declared run state
  readonly runState = new RunState();
  readonly m: Memory;
  readonly cpuR: Region<Int32Array>;
  readonly taskR: Region<Int32Array>;
  readonly mmR: Region<Int32Array>;
  readonly mmW: number;
  readonly hdr: Int32Array;
  readonly act: Int32Array[];
  readonly fw: Int32Array[];
  readonly ipiQ: Int32Array[];
  private ipiEpoch = 0;
  private readonly ipiR: Region<Int32Array>[];
  private readonly misc: Int32Array;
  private readonly violR: Region<Int32Array>;
  private readonly warnR: Region<Int32Array>;
  private readonly countR: Region<Float64Array>;
  private readonly countOrderR: Region<Int32Array>;
  /** reference ownership (ownership.ts): rows (mm, kind, owner, site), sorted */
  readonly refR: Region<Int32Array>;
  readonly cpus: CpuView[] = [];
  readonly ctxs: Ctx[] = [];
  readonly ctxOfCpu: Ctx[][] = [];
  tasks: TaskView[] = [];
  /** Tasks assigned to each CPU, in creation order: an index derived from the tasks' cpu fields
   *  (rebuilt after a migration or a restore), not state of its own. */
  rqTasks: TaskView[][] = [];
  private mmViews: MmView[] = [];
  /** the arch's declared per-run state (ArchPlugin.state) */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly archState: any;

  // ---- constant for the kernel (boot allocates them at the same addresses every run)
  rq: number[] = [];
  tlb: number[] = [];
  online = 0; // cpu_online_mask base
  init_mm = 0;

  // ---- per-event and output state (not part of the state's identity)
  tracing = false;
  trace: TraceLine[] = [];
  /** DPOR footprint of the current event: addr*2+isWrite, -1 = conflicts with everything. */
  fp = new Int32Array(16);
  fpn = 0;
  fpOn = false;
  /** shared accesses of the current step (the engine checks them against its return code) */
  acc = 0;
  /** a callee was pushed in the current step: the step may only set its arguments and return */
  callPending = false;
  /** the timing observer, when the timing driver runs this kernel */
  tm: TimingHooks | null = null;
  /** model parts' per-kernel data, by partSlot() */
  readonly parts: unknown[] = [];
  expectQuiescentFree = true;
  /** Which pointer fields hold counted mm references in this kernel (ownership.ts): plugins whose
   *  diff changes the convention set it in apply(). Configuration, not run state. */
  readonly refRules: RefRules = { lazyActiveMm: true, usedMm: true };
  /** track reference ownership (the explorer; the timing driver turns it off) */
  refTracking = true;
  /** 1 + the context that took, dropped or moved a reference in the current event (0: none) */
  refDirty = 0;
  /** the watched fields stored in the current event (a reference in hand looks there first) */
  readonly refStored = new Int32Array(8);
  refStoredN = 0;
  /** Observers the engine runs after every event (the conformance suite's invariants). They read
   *  state and may report through violate(); they never change it. */
  checkers: ((k: Kernel, ev: number) => void)[] = [];

  /** this kernel's id for the watchdog's step names (watch.ts) */
  readonly wid = newWid();

  constructor(readonly cfg: KernelConfig) {
    this.arch = cfg.arch;
    this.ncpus = cfg.cpus;
    this.params = cfg.params;
    this.tso = cfg.memoryModel === 'tso';
    this.hooks = createHooks();
    this.registry = new StepRegistry(this.hooks, cfg.kernel ?? BASELINE_KERNEL);
    if (!BASELINE.register) throw new Error('internal: the baseline is not loaded');
    BASELINE.register(this.registry, this);
    this.registry.owner = `arch:${cfg.arch.name}`;
    // apply() is plugin code: watched (a loop that never returns is stopped and named), and what
    // it throws names the plugin
    let prev = watchEnter(WK_APPLY, watchLabel(`arch ${cfg.arch.name}`));
    try {
      cfg.arch.apply(this.registry, this);
    } catch (e) {
      throw new StepError(`arch ${cfg.arch.name} failed to apply: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      watchLeave(prev);
    }
    for (const p of cfg.patches) {
      this.registry.owner = p.id;
      prev = watchEnter(WK_APPLY, watchLabel(`plugin ${p.id}`));
      try {
        p.apply(this.registry, this);
      } catch (e) {
        throw new StepError(`patch ${p.id} failed to apply: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        watchLeave(prev);
      }
    }
    this.registry.owner = 'drop-step';
    for (const d of cfg.dropSteps) {
      const [hook, step] = splitStep(d, this.registry);
      this.registry.removeByName(hook, step);
    }
    const c = this.registry.compile();
    this.fns = c.fns;
    this.stepNames = c.names;
    if (WATCH.onKernel) WATCH.onKernel(this.wid, HOOK_NAMES.map((h) => this.registry.steps(h).map((st) => `${h}.${st.name} (${st.owner})`)));
    const labelIndex = new Map<string, number>();
    this.labels = c.labels.map((ns, h) => Int32Array.from(ns, (n) => this.labelOf(FN_DECLS[h], n, labelIndex)));

    // frames: laid out once per set of declarations and mask width (kernels share the result)
    const maskWords = (this.ncpus + 31) >>> 5;
    const lkey = `${declGeneration()}|${maskWords}`;
    let frames = FRAME_LAYOUTS.get(lkey);
    if (!frames) {
      const n = FN_DECLS.length;
      frames = { frameSize: new Int32Array(n), fieldOffset: [], classes: [] };
      for (let h = 0; h < n; h++) {
        const lay = this.layout(FN_DECLS[h], new Set());
        frames.frameSize[h] = lay.size;
        frames.fieldOffset.push(new Map(lay.fields.map(([name, off]) => [name, off])));
        frames.classes.push(viewClass(FN_DECLS[h].name, lay.fields, maskWords));
      }
      FRAME_LAYOUTS.set(lkey, frames);
    }
    this.frameSize = frames.frameSize;
    this.fieldOffset = frames.fieldOffset;
    const classes = frames.classes;
    // The view sets are shared by the kernels of one layout as well: a view is positioned (its
    // cursor set to this kernel's frames) right before every use, and one kernel runs at a time.
    if (!frames.views) {
      const mk = (): [FrameView[], Cursor[]] => {
        const cs = classes.map(() => new Cursor());
        return [classes.map((C, h) => new C(cs[h], h)), cs];
      };
      frames.views = [mk(), mk(), mk(), mk(), mk()];
    }
    [[this.fViews, this.fCursors], [this.callViews, this.callCursors], [this.retViews, this.retCursors],
      [this.atViews, this.atCursors], [this.argViews, this.argCursors]] = frames.views;

    // run state
    const nc = this.ncpus;
    this.m = new Memory(this.runState, nc, this.tso);
    this.cpuR = this.runState.region('cpus', new Int32Array(nc * CW), nc * CW, { key: true });
    this.taskR = this.runState.region('tasks', new Int32Array(16 * TW), 0, { key: true });
    this.mmW = M_STALE + ((nc + 31) >>> 5);
    this.mmR = this.runState.region('mms', new Int32Array(8 * this.mmW), 0, { key: true });
    const nctx = nc * 3;
    const hdrR = this.runState.region('contexts', new Int32Array(nctx * XW), nctx * XW, { key: true });
    this.hdr = hdrR.a;
    this.act = [];
    this.fw = [];
    this.ipiQ = [];
    this.ipiR = [];
    // The per-CPU regions are views of one arena: a typed array of its own each would be a
    // backing store (allocation, zeroing, GC tracking) per region, thousands on a large machine.
    const even = (n: number) => (n + 1) & ~1;
    const arena = new Int32Array(nc * (3 * even(MAXD * AW) + even(FW_TASK) + 2 * even(FW_IRQ) + even(IPI_CAP * IW)));
    let used = 0;
    // (each region starts on an 8-byte boundary: verify compares states two words at a time)
    const take = (n: number) => { const r = arena.subarray(used, used + n); used += (n + 1) & ~1; return r; };
    for (let cpu = 0; cpu < nc; cpu++) {
      const cs: Ctx[] = [];
      for (let level = 0; level < 3; level++) {
        const id = cpu * 3 + level;
        const x = new Ctx(id, cpu, level);
        this.ctxs.push(x);
        cs.push(x);
        const hb = id * XW;
        const hdr = this.hdr;
        this.act.push(this.runState.region(`cpu${cpu}.${LEVEL_NAMES[level]}.stack`, take(MAXD * AW), 0, {
          key: true, liveFrom: { from: hdr, at: hb + X_SP, per: AW },
        }).a);
        this.fw.push(this.runState.region(`cpu${cpu}.${LEVEL_NAMES[level]}.frames`, take(level === 0 ? FW_TASK : FW_IRQ), 0, {
          key: true, liveFrom: { from: hdr, at: hb + X_FTOP, per: 1 },
        }).a);
      }
      this.ctxOfCpu.push(cs);
      const cpuA = this.cpuR.a;
      const cb = cpu * CW;
      const q = this.runState.region(`cpu${cpu}.ipis`, take(IPI_CAP * IW), 0, { key: true, liveFrom: { from: cpuA, at: cb + C_IPI_LEN, per: IW } });
      this.ipiR.push(q);
      this.ipiQ.push(q.a);
      this.cpus.push(new CpuView(this.cpuR.a, cpu, this));
    }
    this.misc = this.runState.region('misc', new Int32Array(GW), GW, { key: true, canon: (v) => this.canonMisc(v) }).a;
    this.violR = this.runState.region('violations', new Int32Array(MAX_VIOLATIONS * VW), 0, { key: true, liveFrom: { from: this.misc, at: G_NVIOL, per: VW } });
    this.warnR = this.runState.region('warned once', new Int32Array(16), 0, { key: true, liveFrom: { from: this.misc, at: G_NWARNED, per: 1 } });
    this.countR = this.runState.region('counters', new Float64Array(64), 0, { key: false });
    this.refR = this.runState.region('mm references', new Int32Array(16 * REF_RW), 0, { key: true });
    this.countOrderR = this.runState.region('counter order', new Int32Array(64), 0, { key: false, liveFrom: { from: this.misc, at: G_NCOUNT, per: 1 } });
    this.archState = cfg.arch.state ? declareRecord(this.runState, `arch ${cfg.arch.name}`, cfg.arch.state, nc) : {};
    for (const p of STATE_PARTS) p.declare(this);
  }

  /** Declare a record of state for a model part (see STATE_PARTS). */
  declareRecord<S extends RecordSchema>(name: string, schema: S): RecordView<S> {
    return declareRecord(this.runState, name, schema, this.ncpus);
  }

  private labelOf(d: FnDecl, step: string, index: Map<string, number>): number {
    if (d.label === 'caller') return -1;
    const name = d.label === 'steps' ? `${d.name}.${step}` : d.label;
    let i = index.get(name);
    if (i === undefined) { i = this.stepTable.push(name) - 1; index.set(name, i); }
    return i;
  }

  private layout(d: FnDecl, seen: Set<string>): { size: number; fields: [string, number, Kind, number][] } {
    if (seen.has(d.name)) throw new Error(`internal: frame of ${d.name} embeds itself`);
    seen.add(d.name);
    if (d.alias) {
      const t = FN_DECLS.find((x) => x.name === d.alias);
      if (!t) throw new Error(`internal: ${d.name} aliases unknown struct ${d.alias}`);
      return this.layout(t, seen);
    }
    const fields: [string, number, Kind, number][] = [];
    let off = 0;
    for (const [name, kind] of d.fields) {
      let size = 1;
      if (kind === 'entry') size = 2;
      else if (kind === 'args') size = IPI_ARGW;
      else if (kind === 'cpus') size = (this.ncpus + 31) >>> 5;
      else if (kind.startsWith('struct:')) {
        const t = FN_DECLS.find((x) => x.name === kind.slice(7));
        if (!t) throw new Error(`internal: ${d.name}.${name} embeds unknown ${kind}`);
        size = this.layout(t, new Set(seen)).size;
      }
      fields.push([name, off, kind, size]);
      off += size;
    }
    seen.delete(d.name);
    return { size: off, fields };
  }

  param(name: string, dflt: string): string {
    return this.params[name] ?? dflt;
  }
  flag(name: string, dflt: boolean): boolean {
    const v = this.params[name];
    if (v === undefined) return dflt;
    return v === 'y' || v === '1' || v === 'true';
  }

  // ---- run state: boot, snapshot, restore, identity ----------------------------------------------

  /** Reset the declared state to an empty machine (boot.ts fills it). */
  resetState() {
    this.m.reset();
    this.cpuR.a.fill(0);
    this.taskR.n = 0;
    this.mmR.n = 0;
    this.hdr.fill(0);
    for (const q of this.ipiR) q.n = 0;
    this.misc.fill(0);
    this.refR.n = 0;
    this.refDirty = 0;
    this.refStoredN = 0;
    this.countR.a.fill(0);
    this.countR.n = 0;
    this.trace = [];
    this.tasks = [];
  }

  snapshot(into?: Snapshot): Snapshot {
    this.misc[G_TRACE_LEN] = this.trace.length;
    return this.runState.snapshot(into);
  }

  restore(s: Snapshot) {
    this.runState.restore(s);
    this.m.refresh();
    if (this.ipiEpoch !== this.runState.epoch) {
      // a queue may have grown (restore makes room for the snapshot's)
      for (let t = 0; t < this.ncpus; t++) this.ipiQ[t] = this.ipiR[t].a;
      this.ipiEpoch = this.runState.epoch;
    }
    if (this.trace.length > this.misc[G_TRACE_LEN]) this.trace.length = this.misc[G_TRACE_LEN];
    this.rebuildRq();
  }

  /** Recompute rqTasks from the tasks' cpu fields (creation order), unless they are as indexed. */
  rebuildRq() {
    const n = this.taskCount();
    let same = n === this.rqCpus.length;
    for (let i = 0; same && i < n; i++) if (this.tasks[i].cpu !== this.rqCpus[i]) same = false;
    if (same) return;
    const rq: TaskView[][] = Array.from({ length: this.ncpus }, () => []);
    this.rqCpus = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      rq[this.tasks[i].cpu].push(this.tasks[i]);
      this.rqCpus[i] = this.tasks[i].cpu;
    }
    this.rqTasks = rq;
  }
  /** the task cpus rqTasks was built from (emptied at boot: rebuilt at the next restore) */
  private rqCpus = new Int32Array(0);
  /** A fresh run builds rqTasks itself (newTask); forget the last index. */
  resetRq(ncpus: number) {
    this.rqTasks = Array.from({ length: ncpus }, () => []);
    this.rqCpus = new Int32Array(0);
  }

  /** The canonical state vector: equal vectors, equal futures (outputs excluded). */
  stateVector(): Int32Array {
    return this.runState.stateVector();
  }

  stateKey(): string {
    return this.runState.stateKey();
  }

  private canonMisc(v: Vec) {
    v.push(this.misc[G_FATAL]);
  }

  // ---- tasks and mms -------------------------------------------------------------------------------

  /** A new task record (setup only). */
  newTaskRecord(): TaskView {
    const tid = this.taskR.n / TW;
    this.taskR.ensure(this.taskR.n + TW);
    this.taskR.n += TW;
    const v = new TaskView(this.taskR, tid, this);
    this.tasks[tid] = v;
    return v;
  }
  /** The tasks of this run (views; the records are in the 'tasks' region). */
  taskCount(): number { return this.taskR.n / TW; }

  /** A new mm record for the mm_struct at `ref`. */
  newMmRecord(ref: number, name: string, pgd: number, pt: number, pt2: number, isInit: boolean): MmView {
    const i = this.mmR.n / this.mmW;
    this.mmR.ensure(this.mmR.n + this.mmW);
    const a = this.mmR.a, b = i * this.mmW;
    a.fill(0, b, b + this.mmW);
    a[b + M_REF] = ref;
    a[b + M_NAME] = sid(name);
    a[b + M_PGD] = pgd;
    a[b + M_PT] = pt;
    a[b + M_PT2] = pt2;
    a[b + M_IS_INIT] = isInit ? 1 : 0;
    this.mmR.n += this.mmW;
    this.m.setAux(this.m.objIndex(ref), i + 1);
    return this.mmView(i);
  }
  private mmView(i: number): MmView {
    let v = this.mmViews[i];
    if (!v) { v = new MmView(this.mmR, i, this.mmW, this.ncpus); this.mmViews[i] = v; }
    return v;
  }
  /** The number of mms of this run, and the i-th (creation order): mmList() without an array. */
  mmCount(): number { return this.mmR.n / this.mmW; }
  mmAt(i: number): MmView { return this.mmView(i); }
  /** The mms of this run, in creation order. */
  mmList(): MmView[] {
    const out: MmView[] = [];
    for (let i = 0; i < this.mmR.n / this.mmW; i++) out.push(this.mmView(i));
    return out;
  }
  mmInfo(ref: number): MmView | undefined {
    const o = this.m.objIndex(ref);
    if (o < 0 || this.m.objBase(o) !== ref) return undefined;
    const i = this.m.aux(o) - 1;
    return i >= 0 && i < this.mmR.n / this.mmW ? this.mmView(i) : undefined;
  }
  mmByName(name: string): number {
    for (const mi of this.mmList()) if (mi.name === name) return mi.ref;
    throw new ModelError(`no mm named '${name}'`);
  }
  /** The task whose task_struct is at ref. */
  task(ref: number): TaskView {
    const t = this.tasks[this.m.aux(this.m.objIndex(ref)) - 1];
    if (t === undefined || t.ref !== ref) throw new ModelError(`internal: no task at ${ref}`);
    return t;
  }
  taskByName(name: string): TaskView | undefined {
    for (let i = 0; i < this.taskCount(); i++) if (this.tasks[i].name === name) return this.tasks[i];
    return undefined;
  }
  name(ref: number): string {
    return this.m.ptrName(ref);
  }
  cur(x: Ctx): TaskView {
    return this.cpus[x.cpu].curr;
  }
  levelName(l: number) {
    return LEVEL_NAMES[l];
  }
  /** Does a hook have any step? (lets arch-optional paths be skipped) */
  hasBody(h: number) {
    return this.fns[h].length > 0;
  }
  hookName(h: number): string {
    return HOOK_NAMES[h];
  }

  // ---- calls ---------------------------------------------------------------------------------------

  /** Push a call of function h on x's stack and return the callee's frame (zeroed) for its
   *  arguments. The step then returns CALL (or callAgain(pc)). Nothing between k.call() and the
   *  return may trace or report: the callee is already the innermost function. */
  call<F extends FnName>(x: Ctx, h: FnId<F>): Frame<F> {
    const c = x.id, hb = c * XW, hdr = this.hdr;
    const sp = hdr[hb + X_SP];
    const size = this.frameSize[h];
    const base = hdr[hb + X_FTOP];
    const w = this.fw[c];
    const end = base + size;
    if (sp >= MAXD || end > w.length) throw this.overflow(x, h, sp >= MAXD);
    for (let i = base; i < end; i++) w[i] = 0; // (a loop: fill() costs a runtime call for a few words)
    const a = this.act[c], r = sp * AW;
    a[r + A_FN] = h; a[r + A_STEP] = 0; a[r + A_PC] = 0; a[r + A_BASE] = base; a[r + A_OWN] = size;
    hdr[hb + X_SP] = sp + 1;
    hdr[hb + X_FTOP] = base + size;
    this.callPending = true;
    if (this.tm !== null) this.tm.fn(h);
    const cur = this.callCursors[h];
    cur.w = w;
    cur.b = base;
    return this.callViews[h] as unknown as Frame<F>;
  }

  // (Error paths out of line: the access path and call() stay small enough for the JIT to inline
  // into the steps.)
  private overflow(x: Ctx, h: number, stack: boolean): ModelError {
    return new ModelError(stack
      ? `kernel call stack overflow calling ${HOOK_NAMES[h]} in ${this.stepOf(x)} (deeper than ${MAXD})`
      : `kernel frame stack overflow calling ${HOOK_NAMES[h]} in ${this.stepOf(x)}`);
  }

  /** Call h with the first IPI_ARGW words of its frame copied from `src` in x's frames (an IPI's
   *  argument image). */
  callWith<F extends FnName>(x: Ctx, h: FnId<F>, src: number): Frame<F> {
    const v = this.call(x, h) as unknown as FrameView;
    const n = Math.min(this.frameSize[h], IPI_ARGW);
    v.$c.w.copyWithin(v.$c.b, src, src + n);
    return v as unknown as Frame<F>;
  }

  /** The outermost function of a context (the CPU loop, an interrupt's entry): not a call. */
  callRoot(x: Ctx, h: number) {
    const c = x.id, hb = c * XW, hdr = this.hdr;
    const size = this.frameSize[h];
    const w = this.fw[c];
    for (let i = 0; i < size; i++) w[i] = 0; // (fill() is a runtime call)
    const a = this.act[c];
    a[A_FN] = h; a[A_STEP] = 0; a[A_PC] = 0; a[A_BASE] = 0; a[A_OWN] = size;
    hdr[hb + X_SP] = 1;
    hdr[hb + X_FTOP] = size;
  }

  /** Call h on a frame that already exists: `p` points to a struct of h's layout in a frame of
   *  this context (C's pass-by-pointer: tlb_flush_mmu(&tlb)). */
  callOn<F extends FnName>(x: Ctx, h: FnId<F>, p: number): void {
    const c = x.id, hb = c * XW, hdr = this.hdr;
    const sp = hdr[hb + X_SP];
    if (sp >= MAXD) throw new ModelError(`kernel call stack overflow calling ${HOOK_NAMES[h]} in ${this.stepOf(x)} (deeper than ${MAXD})`);
    const a = this.act[c], r = sp * AW;
    a[r + A_FN] = h; a[r + A_STEP] = 0; a[r + A_PC] = 0; a[r + A_BASE] = p; a[r + A_OWN] = 0;
    hdr[hb + X_SP] = sp + 1;
    this.callPending = true;
    if (this.tm !== null) this.tm.fn(h);
  }

  /** The frame of the function x just returned from (read it before pushing another call). */
  ret<F extends FnName>(x: Ctx, h: FnId<F>): Frame<F> {
    const c = x.id;
    const sp = this.hdr[c * XW + X_SP];
    const r = sp * AW; // the popped record is still above the stack pointer
    const a = this.act[c];
    if (a[r + A_FN] !== h) throw new ModelError(`internal: ${this.stepOf(x)} reads the return of ${HOOK_NAMES[h]}, but ${HOOK_NAMES[a[r + A_FN]]} returned`);
    const cur = this.retCursors[h];
    cur.w = this.fw[c];
    cur.b = a[r + A_BASE];
    return this.retViews[h] as unknown as Frame<F>;
  }

  /** A view of h's frame layout at pointer p in x's frames (an embedded struct, a caller's frame). */
  at<F extends FnName>(x: Ctx, h: FnId<F>, p: number): Frame<F> {
    const cur = this.atCursors[h];
    cur.w = this.fw[x.id];
    cur.b = p;
    return this.atViews[h] as unknown as Frame<F>;
  }

  /** Copy the frame (or struct) layout of h from src to dst, both in x's frames. */
  copyFrame(x: Ctx, h: number, dst: number, src: number) {
    const w = this.fw[x.id];
    w.copyWithin(dst, src, src + this.frameSize[h]);
  }

  /** The base of a frame view (a pointer to the frame, for callOn/at: C's `&frame`). */
  ptr(f: object): number {
    return (f as FrameView).$c.b;
  }

  /** A view of handler h's frame over the argument image (an `args` field) of a frame: what an
   *  IPI carries to its handler (baseline/ipi.ts). */
  ipiArgs<F extends FnName>(frame: object, h: FnId<F>, field = 'args'): Frame<F> {
    const s = frame as FrameView;
    if (this.frameSize[h] > IPI_ARGW) throw new ModelError(`${HOOK_NAMES[h]}'s frame (${this.frameSize[h]} words) is too large for an IPI handler (${IPI_ARGW})`);
    const cur = this.argCursors[h];
    cur.w = s.$c.w;
    cur.b = s.$c.b + this.fieldOffset[s.$h].get(field)!;
    return this.argViews[h] as unknown as Frame<F>;
  }

  /** Is cpu c in the cpumask field `field` of frame f? (without building the CPU list) */
  maskHas(f: object, field: string, c: number): boolean {
    const v = f as FrameView;
    return (v.$c.w[v.$c.b + this.fieldOffset[v.$h].get(field)! + (c >>> 5)] & (1 << (c & 31))) !== 0;
  }

  /** The address of frame field `field` of f (C's `&f->field`, for k.at/k.callOn). */
  fieldPtr(f: object, field: string): number {
    const v = f as FrameView;
    const o = this.fieldOffset[v.$h].get(field);
    if (o === undefined) throw new ModelError(`internal: ${HOOK_NAMES[v.$h]} has no frame field '${field}'`);
    return v.$c.b + o;
  }

  /** Block x until a wait condition (W_*) holds; the step returns block(pc). */
  wait(x: Ctx, kind: number, a = 0, b = 0, c = 0) {
    const hb = x.id * XW;
    this.hdr[hb + X_WAIT] = kind;
    this.hdr[hb + X_WA] = a;
    this.hdr[hb + X_WB] = b;
    this.hdr[hb + X_WC] = c;
  }

  // ---- IPIs ----------------------------------------------------------------------------------------

  /** Queue an IPI for cpu `t`: handler h, frame image copied from `img` (IPI_ARGW words of x's
   *  frames), sent by context x, which waits for it. */
  ipiQueue(x: Ctx, t: number, h: number, img: number, purpose: string) {
    const cb = t * CW, ca = this.cpuR.a;
    const len = ca[cb + C_IPI_LEN];
    if (len * IW === this.ipiQ[t].length) {
      if (len === IPI_MAX) throw new ModelError(`cpu${t}'s IPI queue is full (${IPI_MAX})`);
      this.ipiR[t].ensure((len + 1) * IW);
      this.ipiQ[t] = this.ipiR[t].a;
      this.m.refresh();
    }
    const q = this.ipiQ[t], o = len * IW;
    q[o + I_FN] = h;
    q[o + I_FROM] = x.id;
    q[o + I_PURPOSE] = sid(purpose);
    q.set(this.fw[x.id].subarray(img, img + IPI_ARGW), o + I_ARGS);
    ca[cb + C_IPI_LEN] = len + 1;
    this.hdr[x.id * XW + X_OUTSTANDING]++;
    if (this.tm !== null) this.tm.ipiSent(t, len, purpose);
  }

  /** Take the oldest IPI of cpu t into `out` (IW words); returns its handler. */
  ipiDequeue(t: number, out: Int32Array, at: number): number {
    const cb = t * CW, ca = this.cpuR.a;
    const len = ca[cb + C_IPI_LEN];
    const q = this.ipiQ[t];
    out.set(q.subarray(0, IW), at);
    q.copyWithin(0, IW, len * IW);
    ca[cb + C_IPI_LEN] = len - 1;
    if (this.tm !== null) this.tm.ipiTaken(t);
    return out[at + I_FN];
  }

  /** The context that sent the oldest pending IPI of cpu t. */
  ipiSender(t: number): number {
    return this.ipiQ[t][I_FROM];
  }

  /** The handler of an IPI sent by context `from` has run. */
  ipiDone(from: number) {
    if (from >= 0) this.hdr[from * XW + X_OUTSTANDING]--;
  }

  /** Purpose of the oldest pending IPI of cpu t (the timing driver's arrival bookkeeping). */
  ipiPurpose(t: number, i: number): string {
    return str(this.ipiQ[t][i * IW + I_PURPOSE]);
  }

  /** The context (Ctx.id) that sent the i-th pending IPI of cpu t, oldest first (read-only, for
   *  observers: the conformance checkers attribute flush IPIs to their sender's flush). */
  ipiFrom(t: number, i: number): number {
    return this.ipiQ[t][i * IW + I_FROM];
  }

  // ---- the access path ----------------------------------------------------------------------------

  private note(x: Ctx, a: number, write: boolean) {
    if (this.callPending || !(a > 0 && a < this.m.top) || (a | 0) !== a) throw this.badAccess(x, a, write);
    if (this.m.dead[a]) this.kasan(x, a, write);
    if (this.fpOn) this.fpAdd(a * 2 + (write ? 1 : 0));
    this.acc++;
  }

  private badAccess(x: Ctx, a: number, write: boolean): ModelError {
    if (this.callPending) return new ModelError(`${this.stepOf(x)}: a memory access after k.call() (read the value before the call: the callee is already running)`);
    return new ModelError(`${this.stepOf(x)} ${write ? 'writes' : 'reads'} ${a === 0 ? 'NULL' : `address ${String(a)}, outside every object`} (a NULL or wild pointer in the model)`);
  }

  ld(x: Ctx, a: number): number {
    this.note(x, a, false);
    const v = this.m.read(x.cpu, a);
    if (this.tm !== null) this.tm.load(a);
    if (this.tracing) this.trAccess(x, 'load', a, v);
    return v;
  }

  st(x: Ctx, a: number, v: number) {
    this.note(x, a, true);
    if (this.m.watch[a] !== 0) this.refStore(x, a);
    this.m.write(x.cpu, a, v);
    if (this.tm !== null) this.tm.store(a, v);
    if (this.tracing) this.trAccess(x, 'store', a, v);
  }

  private trAccess(x: Ctx, what: 'load' | 'store', a: number, v: number) {
    this.tr(x, `${what} ${this.m.nameOf(a)} = ${this.fmt(a, v)}${what === 'store' && this.tso ? ' (buffered)' : ''}`, what, a);
  }

  /** A store to a field that may own an mm reference (ownership.ts settles it at the end of the
   *  event). */
  private refStore(x: Ctx, a: number) {
    this.refDirty = x.id + 1;
    if (this.refStoredN < this.refStored.length) this.refStored[this.refStoredN++] = a;
  }

  /** Commit x's buffered stores (a LOCK-prefixed RMW, a barrier): they become visible to other
   *  CPUs here, so they are writes of this event's footprint. */
  private drain(x: Ctx) {
    const c = x.cpu, len = this.m.sbLen[c];
    if (len === 0) return;
    if (this.fpOn) { const b = this.m.sb[c]; for (let i = 0; i < 2 * len; i += 2) this.fpAdd(b[i] * 2 + 1); }
    if (this.tracing) this.traceDrain(x, len);
    this.m.drainAll(c);
  }

  /** A locked read-modify-write: drains the store buffer (x86 LOCK), returns the new value.
   *  `ordered` false: the RMW alone, its ordering left to explicit fence() steps (a fully ordered
   *  atomic whose implied barriers are steps of their own, so --drop-step can remove them). */
  atomicAdd(x: Ctx, a: number, d: number, name = d > 0 ? 'atomic_inc' : 'atomic_dec', ordered = true): number {
    if (ordered) this.drain(x);
    this.note(x, a, true);
    const v = (this.m.mem[a] += d);
    this.countId(CNT_ATOMICS);
    if (this.tm !== null) this.tm.rmw(a);
    if (this.tracing) this.trRmw(x, name, a, v, d);
    return v;
  }

  /** cmpxchg: returns the old value; stores `nv` if it equalled `old`. Fully ordered. */
  cmpxchg(x: Ctx, a: number, old: number, nv: number): number {
    this.drain(x);
    this.note(x, a, true);
    const cur = this.m.mem[a];
    if (cur === old) this.m.mem[a] = nv;
    if (this.m.watch[a] !== 0) this.refStore(x, a);
    this.countId(CNT_ATOMICS);
    if (this.tm !== null) this.tm.rmw(a);
    if (this.tracing) this.trCmpxchg(x, a, cur, old, nv);
    return cur;
  }

  private trRmw(x: Ctx, name: string, a: number, v: number, d: number) {
    this.tr(x, `${name} ${this.m.nameOf(a)}: ${v - d} -> ${v}`, 'rmw', a);
  }
  private trCmpxchg(x: Ctx, a: number, cur: number, old: number, nv: number) {
    this.tr(x, `cmpxchg ${this.m.nameOf(a)}: ${this.fmt(a, cur)} ${cur === old ? '->' : '!='} ${this.fmt(a, cur === old ? nv : old)}`, 'rmw', a);
  }

  /** A full memory barrier (smp_mb and friends). Also an F event for the membarrier checker. */
  mb(x: Ctx, what = 'smp_mb') {
    // Its footprint is the stores it commits (drain); the membarrier checker's flags it sets are
    // this CPU's own (a checker that reads another CPU's conflicts with everything itself).
    this.drain(x);
    this.fEvent(x);
    this.acc++;
    if (this.tm !== null) this.tm.barrier(what);
    if (this.tracing) this.tr(x, what, 'fence');
  }

  /** A full-barrier RMW (value-returning atomics) is an F for membarrier too. */
  fullBarrierEvent(x: Ctx) {
    this.fEvent(x);
  }

  /** The full ordering a fully ordered atomic implies (include/linux/atomic.h's
   *  __atomic_pre_full_fence/__atomic_post_full_fence around the relaxed op): commits x's
   *  buffered stores and is an F for membarrier. Not traced, not a scheduling point of its own,
   *  not charged by the timing driver (the LOCKed RMW's cost covers it): it goes with the RMW. */
  fence(x: Ctx) {
    this.drain(x);
    this.fEvent(x);
  }

  /** membarrier checker: a full barrier (F) on x's CPU (baseline/membarrier.ts reads these flags). */
  private fEvent(x: Ctx) {
    const a = this.cpuR.a, b = x.cpu * CW;
    a[b + C_F_SINCE_INV] = 1;
    a[b + C_F_THIS_EVENT] = 1;
    a[b + C_NEED_POST_F] = 0;
  }

  /** Add to the current event's DPOR footprint. An event with more accesses than the buffer
   *  holds is marked as conflicting with everything: imprecise, but the reduction stays sound. */
  fpAdd(v: number) {
    if (this.fpn < 16) this.fp[this.fpn++] = v;
    else this.fp[15] = -1;
  }

  /** This event depends on state outside the footprint (scheduler ghost state): no POR. */
  fpGlobal() {
    if (this.fpOn) this.fpAdd(-1);
  }

  /** An oracle's or checker's read of memory: no interleaving and no KASAN (the checker is not
   *  the kernel), but in the footprint: the order of the event that wrote it decides the verdict. */
  peek(a: number): number {
    if (this.fpOn) this.fpAdd(a * 2);
    return this.m.mem[a];
  }

  /** What CPU `cpu` sees at a: its own store buffer first (TSO store forwarding), then memory. For
   *  oracles that check a CPU's own view (WARN_ON(mm == current->active_mm) reads what that CPU
   *  would read, not memory its own buffered stores have not reached yet). Footprinted like peek:
   *  the CPU's own buffered stores are its own events, memory is what others' events wrote. */
  view(cpu: number, a: number): number {
    if (this.fpOn) this.fpAdd(a * 2);
    return this.m.read(cpu, a);
  }

  /** An access the model makes outside ld/st (the MMU's locked A/D update, a TLB entry): footprint only. */
  notefp(a: number, write: boolean) {
    if (this.fpOn) this.fpAdd(a * 2 + (write ? 1 : 0));
  }

  fmt(a: number, v: number): string {
    const o = this.m.objAt(a);
    if (!o) return String(v);
    const f = o.fields[a - o.base];
    if (/mm$|curr$|pgd$/.test(f)) return v === L.LOADED_MM_SWITCHING ? 'LOADED_MM_SWITCHING' : this.m.ptrName(v);
    return String(v);
  }

  tr(x: Ctx, text: string, op?: TraceOp, addr?: number, peer?: number) {
    if (this.callPending) throw new ModelError(`${this.stepOf(x)}: a trace line after k.call() (trace before the call: the callee is already running)`);
    const cpu = this.cpus[x.cpu];
    this.trace.push({ cpu: x.cpu, level: x.level, step: this.stepOf(x), text, who: cpu.curr.name, op, addr, peer, stack: this.stackFns(x), irqsOff: cpu.irqsOff });
  }

  /** Hidden records of the stores a barrier or locked RMW commits (oldest first): the structured
   *  renderers draw them as store-buffer commits; the text trace leaves them out, as before. */
  traceDrain(x: Ctx, len: number) {
    const b = this.m.sb[x.cpu], step = this.stepOf(x), cpu = this.cpus[x.cpu], who = cpu.curr.name;
    for (let i = 0; i < 2 * len; i += 2)
      this.trace.push({ cpu: x.cpu, level: x.level, step, text: `commit ${this.m.nameOf(b[i])} = ${this.fmt(b[i], b[i + 1])}`, who, op: 'drain', addr: b[i], hidden: true, irqsOff: cpu.irqsOff });
  }

  /** Count an event (metrics). */
  count(name: string, d = 1) {
    this.countId(counterId(name), d);
  }
  countId(id: number, d = 1) {
    if (id >= this.countR.n) { this.countR.ensure(id + 1); this.countR.n = id + 1; }
    const a = this.countR.a;
    if (a[id] === 0 && !this.counted(id)) {
      const n = this.misc[G_NCOUNT];
      this.countOrderR.ensure(n + 1);
      this.countOrderR.a[n] = id;
      this.misc[G_NCOUNT] = n + 1;
    }
    a[id] += d;
    if (this.tm !== null) this.tm.counted(id, d);
  }
  private counted(id: number): boolean {
    const o = this.countOrderR.a;
    for (let i = 0; i < this.misc[G_NCOUNT]; i++) if (o[i] === id) return true;
    return false;
  }
  /** This run's counters, in the order they were first counted. */
  get counters(): Record<string, number> {
    const out: Record<string, number> = Object.create(null);
    const o = this.countOrderR.a;
    for (let i = 0; i < this.misc[G_NCOUNT]; i++) out[COUNTER_NAMES[o[i]]] = this.countR.a[o[i]];
    return out;
  }
  /** Add this run's counters into a driver's totals, in the order they were first counted (the
   *  same keys and order as `counters`, without building an object per run). */
  addCountersTo(into: Record<string, number>) {
    const o = this.countOrderR.a, a = this.countR.a, n = this.misc[G_NCOUNT];
    for (let i = 0; i < n; i++) {
      const name = COUNTER_NAMES[o[i]];
      into[name] = (into[name] ?? 0) + a[o[i]];
    }
  }
  counterValue(id: number): number {
    return id < this.countR.n ? this.countR.a[id] : 0;
  }

  // ---- where a context is ---------------------------------------------------------------------------

  /** Name of the innermost step running in x (traces, reports). */
  stepOf(x: Ctx): string {
    const c = x.id;
    const a = this.act[c];
    for (let j = this.hdr[c * XW + X_SP] - 1; j >= 0; j--) {
      const r = j * AW;
      const l = this.labels[a[r + A_FN]][a[r + A_STEP]];
      if (l !== undefined && l >= 0) return this.stepTable[l];
    }
    return x.level === 0 ? 'schedule' : 'irq';
  }

  /** The functions on x's stack, outermost first. */
  stackFns(x: Ctx): number[] {
    const a = this.act[x.id], out: number[] = [];
    for (let j = 0; j < this.hdr[x.id * XW + X_SP]; j++) out.push(a[j * AW + A_FN]);
    return out;
  }

  /** Is a function on x's stack? */
  inFn(x: Ctx, h: number): boolean {
    const a = this.act[x.id];
    for (let j = this.hdr[x.id * XW + X_SP] - 1; j >= 0; j--) if (a[j * AW + A_FN] === h) return true;
    return false;
  }

  /** Depth of x's call stack. */
  depth(x: Ctx): number {
    return this.hdr[x.id * XW + X_SP];
  }

  /** The activation at `depth` of x's stack (0: the outermost): its function, the base of its
   *  frame (read it with k.at(x, H.fn, base)) and where it will resume (step index, and pc: -1 the
   *  next step, -2 return). Read-only, for observers (the conformance checkers): an activation is
   *  identified by (context, depth) while it lives, and its step index never decreases. */
  frameAt(x: Ctx, depth: number): { fn: number; base: number; step: number; pc: number } {
    const a = this.act[x.id], r = depth * AW;
    if (depth < 0 || depth >= this.hdr[x.id * XW + X_SP]) throw new ModelError(`internal: no frame at depth ${depth} of cpu${x.cpu}'s ${LEVEL_NAMES[x.level]} context`);
    return { fn: a[r + A_FN], base: a[r + A_BASE], step: a[r + A_STEP], pc: a[r + A_PC] };
  }

  /** The system call a task context is in ('' if none): the op function under the CPU loop. */
  syscallOf(x: Ctx): string {
    if (this.hdr[x.id * XW + X_SP] < 2) return '';
    const name = HOOK_NAMES[this.act[x.id][AW + A_FN]];
    return name.startsWith('sys_') ? name.slice(4) : '';
  }

  isActive(x: Ctx): boolean {
    return this.hdr[x.id * XW + X_ACTIVE] !== 0;
  }

  // ---- oracles' entry points -------------------------------------------------------------------------

  /** The execution has stopped: the report cap was reached, or the model could not go on past a
   *  report (stop()). Drivers end the execution here. */
  get fatal(): boolean { return this.misc[G_FATAL] !== 0; }
  /** A KASAN or lifetime report was made (the execution goes on: multi-shot). */
  get hasFatal(): boolean { return this.misc[G_HAS_FATAL] !== 0; }

  /** End the execution after a report the model cannot continue past. */
  stop() { this.misc[G_FATAL] = 1; }

  /** This run's violations, in order. Every distinct report is kept, as kasan_multi_shot does:
   *  a KASAN or lifetime report no longer ends the execution (freed memory keeps its last
   *  contents, so the model can go on, and each distinct later access is reported too); the
   *  headline is still the first of them (primaryViolation). At most MAX_VIOLATIONS. */
  get violations(): Violation[] {
    const out: Violation[] = [];
    const a = this.violR.a;
    for (let i = 0; i < this.misc[G_NVIOL]; i++) {
      const o = i * VW;
      out.push({ oracle: str(a[o]), message: str(a[o + 1]), cpu: a[o + 2], step: str(a[o + 3]) });
    }
    return out;
  }
  get violationCount(): number { return this.misc[G_NVIOL]; }

  /** What the search is looking for: null, any violation; else a signature (bisect --match). */
  interest: ViolationMatch | null = null;

  /** Has this execution reported what the search is looking for? */
  found(): boolean {
    const n = this.misc[G_NVIOL];
    if (n === 0) return false;
    const m = this.interest;
    if (m === null) return true;
    return this.violations.some(m);
  }

  violate(oracle: string, message: string, x: Ctx | null) {
    if (this.misc[G_FATAL]) return;
    const msg = sid(message);
    const a = this.violR.a, n = this.misc[G_NVIOL];
    for (let i = 0; i < n; i++) if (a[i * VW + 1] === msg) return;
    const o = n * VW;
    a[o] = sid(oracle);
    a[o + 1] = msg;
    a[o + 2] = x ? x.cpu : -1;
    a[o + 3] = sid(x ? this.stepOf(x) : '(end of run)');
    this.misc[G_NVIOL] = n + 1;
    if (FATAL_ORACLES.has(oracle)) this.misc[G_HAS_FATAL] = 1;
    if (n + 1 >= MAX_VIOLATIONS) this.misc[G_FATAL] = 1;
    if (this.tracing && x) this.tr(x, `!! ${oracle}: ${message}`, 'violation');
  }

  private kasan(x: Ctx, a: number, write: boolean) {
    const o = this.m.objAt(a)!;
    this.violate('kasan', `use-after-free ${write ? 'write' : 'read'} of ${this.m.nameOf(a)} (${o.kind} freed by ${o.freedBy})`, x);
  }

  /** A WARN_ON in the modelled code. */
  warn(x: Ctx, cond: boolean, what: string) {
    if (cond) this.violate('warn', `WARNING: ${what}`, x);
  }

  /** WARN_ON_ONCE bookkeeping: true the first time `key` is seen in this run. */
  once(key: string): boolean {
    const id = sid(key);
    const n = this.misc[G_NWARNED];
    const a = this.warnR.a;
    for (let i = 0; i < n; i++) if (a[i] === id) return false;
    this.warnR.ensure(n + 1);
    this.warnR.a[n] = id;
    this.misc[G_NWARNED] = n + 1;
    return true;
  }

  objAt(a: number): ObjInfo | undefined {
    return this.m.objAt(a);
  }
}

/** Frame layouts by declaration generation and cpumask width (read-only once built). */
const FRAME_LAYOUTS = new Map<string, {
  frameSize: Int32Array; fieldOffset: Map<string, number>[]; classes: (new (c: Cursor, h: number) => FrameView)[];
  views?: [FrameView[], Cursor[]][];
}>();

/** Generated view classes, shared by every kernel with the same layout: a kernel built per
 *  configuration (bisect, ab runs) reuses the JIT's work instead of compiling new classes. */
const VIEW_CLASSES = new Map<string, new (c: Cursor, h: number) => FrameView>();

/** A frame view class for one function: accessors at fixed offsets. */
function viewClass(fn: string, fields: [string, number, Kind, number][], maskWords: number): new (c: Cursor, h: number) => FrameView {
  const key = `${fn}|${maskWords}|${fields.map((f) => `${f[0]}:${f[1]}:${f[2]}`).join(',')}`;
  let cls = VIEW_CLASSES.get(key);
  if (!cls) { cls = makeViewClass(fn, fields, maskWords); VIEW_CLASSES.set(key, cls); }
  return cls;
}

function makeViewClass(fn: string, fields: [string, number, Kind, number][], maskWords: number): new (c: Cursor, h: number) => FrameView {
  const body: string[] = ['constructor(c, h) { this.$c = c; this.$h = h; }'];
  for (const [name, off, kind] of fields) {
    const at = `this.$c.w[this.$c.b + ${off}]`;
    switch (kind) {
      case 'bool':
        body.push(`get ${name}() { return ${at} !== 0; }`, `set ${name}(v) { ${at} = v ? 1 : 0; }`);
        break;
      case 'str':
        body.push(`get ${name}() { return str(${at}); }`, `set ${name}(v) { ${at} = sid(v); }`);
        break;
      case 'entry':
        body.push(`get ${name}() { return { lo: ${at}, hi: this.$c.w[this.$c.b + ${off + 1}] }; }`,
          `set ${name}(v) { ${at} = v.lo; this.$c.w[this.$c.b + ${off + 1}] = v.hi; }`);
        break;
      case 'cpus':
        body.push(`get ${name}() { const w = this.$c.w, b = this.$c.b + ${off}, out = []; for (let i = 0; i < ${maskWords * 32}; i++) if (w[b + (i >>> 5)] & (1 << (i & 31))) out.push(i); return out; }`,
          `set ${name}(v) { const w = this.$c.w, b = this.$c.b + ${off}; w.fill(0, b, b + ${maskWords}); for (const c of v) w[b + (c >>> 5)] |= 1 << (c & 31); }`);
        break;
      default:
        if (kind.startsWith('struct:') || kind === 'args') body.push(`get ${name}() { return this.$c.b + ${off}; }`);
        else body.push(`get ${name}() { return ${at}; }`, `set ${name}(v) { ${at} = v; }`);
    }
  }
  const cls = new Function('sid', 'str', `return class ${fn.replace(/\W/g, '_')}_frame { ${body.join('\n')} }`)(sid, str);
  return cls as new (c: Cursor, h: number) => FrameView;
}

export function splitStep(spec: string, reg: StepRegistry): [string, string] {
  const dot = spec.indexOf('.');
  if (dot > 0) {
    const hook = spec.slice(0, dot);
    const step = spec.slice(dot + 1);
    if ((H as Record<string, number>)[hook] === undefined) throw new StepError(`unknown kernel function '${hook}' in step '${spec}'`);
    if (!reg.has(hook, step)) throw new StepError(`unknown step '${spec}' (see: lazymm list hooks)`);
    return [hook, step];
  }
  const found: [string, string][] = [];
  for (const h of HOOK_NAMES) if (reg.has(h, spec)) found.push([h, spec]);
  if (found.length === 1) return found[0];
  if (found.length === 0) throw new StepError(`unknown step '${spec}' (see: lazymm list hooks)`);
  throw new StepError(`step name '${spec}' is ambiguous: ${found.map((f) => f.join('.')).join(', ')}`);
}

export type { Entry };
export { NULL, H, L };

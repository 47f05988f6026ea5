// The engine runs one execution of a scenario on a kernel, letting a Chooser pick the next event
// at every point. Events: a CPU's next action (its top context: task, hardirq or NMI), delivery
// of a pending IPI, commit of the oldest store in a CPU's store buffer (TSO), and an NMI.
//
// A context's position is its call stack of activation records (function, step, resume point,
// frame), all in declared state. resume() runs steps until one returns a code with a scheduling
// point: that is the end of the event.
import {
  H, NEXT, RET, AGAIN, CALL, CALL_AGAIN, BLOCK, Y, FUSED, HOOK_NAMES,
} from './fns.ts';
import {
  ModelError, XW, CW, X_ACTIVE, X_SP, X_FTOP, X_WAIT, X_WA, X_WB, X_WC, X_OUTSTANDING, A_FN, A_STEP, A_PC,
  A_BASE, A_OWN, AW, MAXD, C_F_THIS_EVENT, IPI_ARGW, I_FROM, I_ARGS,
  W_UP_REQ, W_HAS_WORK, W_IPIS, W_CPU_DEAD, W_CPU_ONLINE, W_ZERO_OR_DEAD, W_ZERO, W_NONNEG, W_NE_OR_POS, W_NE, W_RQ_EMPTY,
  type Kernel, type Ctx, type Violation,
} from './kernel.ts';
import { boot } from './baseline/boot.ts';
import { hasWork, rqEmpty } from './baseline/sched.ts';
import type { ScenarioDef } from './scenario.ts';
import { buildScenario, scenarioLabel } from './scenario.ts';
import { quiescenceOracles } from './oracles.ts';
import { settleRefs } from './ownership.ts';
import { ScenarioError, StepFault, UsageError } from './errors.ts';
import { WATCH, W_SEQ, W_KIND, W_EVENT, W_STEP, W_KERNEL, WK_EVENT, WK_IDLE, WK_FORBID, watchEnter, watchLeave } from './watch.ts';
export type { Violation };

export const EV_STEP = 0;
export const EV_IRQ = 1;
export const EV_FLUSH = 2;
export const EV_NMI = 3;
const KIND_PREFIX = ['', 'i', 'f', 'n'];

// An event is (kind << 12) | cpu: up to 4096 CPUs for the timing driver.
export const evKind = (e: number) => e >> 12;
export const evCpu = (e: number) => e & 0xfff;
export const mkEv = (kind: number, cpu: number) => (kind << 12) | cpu;

export interface Chooser {
  /** Pick an index into enabled[0..n). `last` is the previous event (-1 at start). */
  choose(enabled: Int32Array, n: number, last: number, depth: number): number;
}

// defined with the other errors (errors.ts) so the CLI can recognize them without loading the engine
import { RunawayError, ScheduleError } from './errors.ts';
export { RunawayError, ScheduleError };

export interface RunOptions {
  maxSteps: number;
  trace?: boolean;
  /** called after each event with its footprint (DPOR) */
  onEvent?: (depth: number, ev: number, k: Kernel) => void;
}

export interface RunResult {
  violations: Violation[];
  steps: number;
  events: number[];
}

const DONE = -1;
const BLOCKED = 1;

function pop(hdr: Int32Array, hb: number, a: Int32Array) {
  const sp = hdr[hb + X_SP] - 1;
  hdr[hb + X_SP] = sp;
  hdr[hb + X_FTOP] -= a[sp * AW + A_OWN];
}

/** A step broke the step protocol (the engine's own checks). */
class ProtocolError extends ModelError {}

function stepError(k: Kernel, x: Ctx, fn: number, step: number, what: string): ModelError {
  return new ProtocolError(`step ${HOOK_NAMES[fn]}.${k.stepNames[fn][step]} ${what}`);
}

/** Run context x until its next scheduling point. Returns 0 (yielded), BLOCKED, or DONE when its
 *  outermost function has returned. */
export function resume(k: Kernel, x: Ctx): number {
  const c = x.id, hb = c * XW, hdr = k.hdr, a = k.act[c], w = k.fw[c];
  const fns = k.fns, views = k.fViews, cursors = k.fCursors, wd = WATCH.a;
  outer: for (;;) {
    const sp = hdr[hb + X_SP];
    if (sp === 0) return DONE;
    const r = (sp - 1) * AW;
    const fn = a[r + A_FN];
    let step = a[r + A_STEP];
    let pc = a[r + A_PC];
    if (pc < 0) {
      if (pc === -2) { pop(hdr, hb, a); continue; }
      step++;
      pc = 0;
      a[r + A_STEP] = step;
      a[r + A_PC] = 0;
    }
    const body = fns[fn], n = body.length;
    if (step >= n) { pop(hdr, hb, a); continue; }
    const cur = cursors[fn], f = views[fn];
    cur.w = w;
    cur.b = a[r + A_BASE];
    // The steps of this activation, while they go on to the next one (NEXT or FUSE, no call):
    // the record is updated as the outer loop would, without re-reading it.
    for (;;) {
      k.acc = 0;
      wd[W_STEP] = (fn << 16) | step;
      const code = body[step](k, x, f, pc);
      k.callPending = false;
      if ((code | 0) !== code) throw stepError(k, x, fn, step, `returned ${describeValue(code)}, not a step code (a step is a plain function that returns NEXT, YIELD, RET, CALL, again(pc)...; generator steps are the old protocol: docs/model.md)`);
      if (k.acc !== 0 && (code & (Y | FUSED)) === 0) throw stepError(k, x, fn, step, 'accessed shared memory and returned without a scheduling point (return YIELD, or FUSE if the accesses are atomic with what follows)');
      const kind = code & 7;
      const pushed = hdr[hb + X_SP] - sp;
      if (pushed !== (kind === CALL || kind === CALL_AGAIN ? 1 : 0))
        throw stepError(k, x, fn, step, pushed ? 'called a function (k.call) but did not return CALL' : 'returned CALL without calling a function (k.call)');
      switch (kind) {
        case NEXT:
          if (code & Y) { a[r + A_PC] = -1; return 0; }
          step++;
          pc = 0;
          a[r + A_STEP] = step;
          a[r + A_PC] = 0;
          if (step >= n) { pop(hdr, hb, a); continue outer; }
          continue;
        case RET:
          if (code & Y) { a[r + A_PC] = -2; return 0; }
          pop(hdr, hb, a);
          continue outer;
        case AGAIN:
          a[r + A_PC] = code >>> 5;
          if (code & Y) return 0;
          continue outer;
        case CALL:
          a[r + A_PC] = -1;
          continue outer;
        case CALL_AGAIN:
          a[r + A_PC] = code >>> 5;
          continue outer;
        case BLOCK:
          a[r + A_PC] = code >>> 5;
          if (hdr[hb + X_WAIT] === 0) throw stepError(k, x, fn, step, 'blocked without a wait condition (k.wait)');
          return BLOCKED;
        default:
          throw stepError(k, x, fn, step, `returned an unknown code ${code} (a step returns NEXT, YIELD, RET, CALL, again(pc)...)`);
      }
    }
  }
}

/** Is x's wait condition satisfied? */
export function waitOk(k: Kernel, c: number): boolean {
  const hdr = k.hdr, hb = c * XW;
  const wa = hdr[hb + X_WA];
  switch (hdr[hb + X_WAIT]) {
    case 0: return true;
    case W_UP_REQ: return k.cpus[wa].upRequested;
    case W_HAS_WORK: return hasWork(k, k.cpus[wa]);
    case W_IPIS: return hdr[hb + X_OUTSTANDING] === 0;
    case W_CPU_DEAD: return k.cpus[wa].dead;
    case W_CPU_ONLINE: return k.cpus[wa].online;
    case W_ZERO_OR_DEAD: return k.m.mem[wa] === 0 || k.m.dead[wa] === 1;
    case W_ZERO: return k.m.mem[wa] === 0;
    case W_NONNEG: return k.m.mem[wa] >= 0;
    case W_NE_OR_POS: return k.m.mem[wa] !== hdr[hb + X_WB] || k.m.mem[hdr[hb + X_WC]] > 0;
    case W_NE: return k.m.mem[wa] !== hdr[hb + X_WB];
    case W_RQ_EMPTY: return rqEmpty(k, k.cpus[wa]);
  }
  throw new ModelError(`internal: unknown wait condition ${hdr[hb + X_WAIT]}`);
}

/** Can context x run (active, and not waiting for something that has not happened)? */
export function ctxRunnable(k: Kernel, x: Ctx): boolean {
  const hb = x.id * XW;
  return k.hdr[hb + X_ACTIVE] !== 0 && (k.hdr[hb + X_WAIT] === 0 || waitOk(k, x.id));
}

export function enabledEvents(k: Kernel, out: Int32Array): number {
  let n = 0;
  const cpus = k.cpus;
  const sbLen = k.m.sbLen;
  const hdr = k.hdr;
  for (let c = 0; c < cpus.length; c++) {
    const cpu = cpus[c];
    const level = cpu.level;
    const x = c * 3 + level;
    const hb = x * XW;
    if (hdr[hb + X_ACTIVE] !== 0 && (hdr[hb + X_WAIT] === 0 || waitOk(k, x))) out[n++] = c; // mkEv(EV_STEP, c) === c
    if (cpu.pendingLen !== 0 && !cpu.irqsOff && level === 0 && !cpu.dead) out[n++] = (EV_IRQ << 12) | c;
    if (sbLen[c] !== 0) out[n++] = (EV_FLUSH << 12) | c;
    if (cpu.nmiBudget > 0 && level < 2 && !cpu.dead) out[n++] = (EV_NMI << 12) | c;
  }
  return n;
}

/** Start a context's outermost function: the CPU loop, or the entry of an interrupt. */
export function startRoot(k: Kernel, x: Ctx, h: number) {
  const c = x.id, hb = c * XW;
  k.hdr[hb + X_SP] = 0;
  k.hdr[hb + X_FTOP] = 0;
  k.hdr[hb + X_WAIT] = 0;
  k.hdr[hb + X_ACTIVE] = 1;
  k.callRoot(x, h);
}

const irqImage = new Int32Array(I_ARGS + IPI_ARGW);

export function execEvent(k: Kernel, e: number) {
  if (!k.hasFatal) { execEventInner(k, e); return; }
  // After a KASAN or lifetime report the execution goes on (multi-shot) where the model can: a
  // model error past that point (a step that cannot make sense of what it read from freed memory)
  // ends the execution with the reports made so far, instead of aborting the whole search.
  try {
    execEventInner(k, e);
  } catch (err) {
    const model = err instanceof ModelError || (err instanceof StepFault && err.fault instanceof ModelError);
    if (!model) throw err;
    k.stop();
  }
}

function execEventInner(k: Kernel, e: number) {
  const c = e & 0xfff;
  const cpu = k.cpus[c];
  const wd = WATCH.a;
  wd[W_SEQ]++;
  wd[W_KIND] = WK_EVENT;
  wd[W_EVENT] = e;
  wd[W_STEP] = -1;
  try {
    switch (e >> 12) {
      case EV_STEP: {
        const x = k.ctxs[c * 3 + cpu.level];
        k.hdr[x.id * XW + X_WAIT] = 0;
        const v = resume(k, x);
        if (v === DONE) {
          k.hdr[x.id * XW + X_ACTIVE] = 0;
          if (cpu.level === 2) { cpu.level = cpu.nmiSaved; }
          else if (cpu.level === 1) { cpu.level = 0; cpu.irqsOff = false; }
        }
        break;
      }
      case EV_IRQ: {
        const fn = k.ipiDequeue(c, irqImage, 0);
        const x = k.ctxs[c * 3 + 1];
        cpu.level = 1;
        cpu.irqsOff = true;
        startRoot(k, x, H.__irq);
        const f = k.at(x, H.__irq, 0);
        f.fn = fn;
        f.from = irqImage[I_FROM];
        k.fw[x.id].set(irqImage.subarray(I_ARGS, I_ARGS + IPI_ARGW), k.fieldOffset[H.__irq].get('args')!);
        if (k.fpOn) k.fpAdd(-1);
        if (k.tracing) k.tr(x, `<IRQ> ${k.hookName(fn)} from cpu${Math.floor(irqImage[I_FROM] / 3)}`, 'irq', undefined, irqImage[I_FROM]);
        break;
      }
      case EV_FLUSH: {
        const a = k.m.drainOne(c);
        if (k.fpOn) k.fpAdd(a * 2 + 1);
        if (k.tracing) k.trace.push({ cpu: c, level: cpu.level, step: 'store buffer', text: `commit ${k.m.nameOf(a)} = ${k.fmt(a, k.m.mem[a])}`, op: 'commit', addr: a, irqsOff: cpu.irqsOff });
        break;
      }
      case EV_NMI: {
        cpu.nmiBudget--;
        const x = k.ctxs[c * 3 + 2];
        cpu.nmiSaved = cpu.level;
        cpu.level = 2;
        startRoot(k, x, H.__irq);
        const f = k.at(x, H.__irq, 0);
        f.fn = H.nmi;
        f.from = -1;
        if (k.fpOn) k.fpAdd(-1);
        if (k.tracing) k.tr(x, '<NMI>', 'nmi');
        break;
      }
    }
  } catch (err) {
    throw stepFault(k, e, err);
  }
  // references taken, dropped or moved in this event find their owners
  if (k.refDirty !== 0) settleRefs(k);
  wd[W_KIND] = WK_IDLE;
  // the membarrier checker's "in this event" flags (kernel.ts fEvent) end with the event
  const ca = k.cpuR.a, cb = c * CW;
  ca[cb + C_F_THIS_EVENT] = 0;
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'number') return String(v);
  if (typeof v === 'object' && typeof (v as Iterator<unknown>).next === 'function') return 'a generator';
  return `a ${typeof v}`;
}

/** What a step threw, with the step's name and owner (the step invoked last in this event). */
function stepFault(k: Kernel, e: number, err: unknown): unknown {
  const at = WATCH.a[W_STEP];
  if (at < 0 || err instanceof StepFault || err instanceof UsageError || err instanceof RunawayError || err instanceof ScheduleError) return err;
  const fn = at >>> 16, step = at & 0xffff;
  const hook = HOOK_NAMES[fn];
  const owner = k.registry.steps(hook)[step]?.owner ?? '?';
  return new StepFault(`${hook}.${k.stepNames[fn][step]}`, owner, evCpu(e), err, err instanceof ProtocolError);
}

/** Boot and set up the scenario: the state before the first event. */
export function startRun(k: Kernel, sc: ScenarioDef, trace: boolean) {
  WATCH.a[W_KERNEL] = k.wid;
  boot(k);
  k.tracing = trace;
  buildScenario(k, sc);
  for (const cpu of k.cpus) startRoot(k, k.ctxs[cpu.id * 3], H.cpu_main);
}

export interface Runner {
  /** events executed so far in this run */
  events: number[];
  last: number;
}

/** Run to the end from the current state (after startRun, or a restore). */
export function runFrom(k: Kernel, sc: ScenarioDef, chooser: Chooser, opts: RunOptions, events: number[], last = -1): RunResult {
  const enabled = enabledBuf(k);
  for (;;) {
    if (k.fatal) break;
    const n = enabledEvents(k, enabled);
    if (n === 0) break;
    const i = chooser.choose(enabled, n, last, events.length);
    const e = enabled[i];
    k.fpn = 0;
    execEvent(k, e);
    events.push(e);
    if (opts.onEvent) opts.onEvent(events.length - 1, e, k);
    if (k.checkers.length !== 0) for (const ch of k.checkers) ch(k, e);
    last = e;
    if (events.length >= opts.maxSteps && !k.fatal) stepBudget(k, sc, opts.maxSteps);
  }
  finishRun(k, sc);
  return { violations: k.violations, steps: events.length, events };
}

/** An execution ran out of its step budget: a runaway program is bad input, unless a KASAN or
 *  lifetime report came first (the execution went on past it and may spin on freed memory): then
 *  it ends there. */
export function stepBudget(k: Kernel, sc: ScenarioDef, maxSteps: number) {
  if (k.hasFatal) { k.stop(); return; }
  throw new RunawayError(`scenario '${sc.name}' exceeded the step budget of ${maxSteps} steps in one execution (runaway program?)`);
}

/** The end of an execution: the quiescence oracles and the scenario's forbidden outcome. */
export function finishRun(k: Kernel, sc: ScenarioDef) {
  if (!k.fatal) quiescenceOracles(k);
  if (!k.fatal && sc.forbid) {
    const prev = watchEnter(WK_FORBID, scenarioLabel(sc));
    let msg: string | null;
    try {
      msg = sc.forbid({ reg: (task, reg) => k.taskByName(task)?.reg(reg) });
    } catch (e) {
      throw new ScenarioError(`scenario '${sc.name}': forbid() failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      watchLeave(prev);
    }
    if (msg !== null && msg !== undefined && typeof msg !== 'string') throw new ScenarioError(`scenario '${sc.name}': forbid() returned ${describeValue(msg)} (a message string or null)`);
    if (msg) k.violate('outcome', msg, null);
  }
}

const bufs = new WeakMap<Kernel, Int32Array>();
export function enabledBuf(k: Kernel): Int32Array {
  let b = bufs.get(k);
  if (!b) { b = new Int32Array(k.ncpus * 4); bufs.set(k, b); }
  return b;
}

/** Run one execution from boot. */
export function runOnce(k: Kernel, sc: ScenarioDef, chooser: Chooser, opts: RunOptions): RunResult {
  startRun(k, sc, !!opts.trace);
  return runFrom(k, sc, chooser, opts, []);
}

// ---- schedule strings ---------------------------------------------------------------------------

export function evToken(e: number): string {
  return KIND_PREFIX[e >> 12] + (e & 0xfff);
}

/** "0*3.1.i1.f0" : events, run-length encoded. */
/** Name the schedule that reached an error inside a search, so it can be replayed (run --schedule):
 *  a model limit or a runaway found by the exhaustive search is otherwise hard to reproduce. */
export function atSchedule(e: unknown, events: ArrayLike<number>, n = events.length): unknown {
  if (e instanceof Error && !e.message.includes(' (reached by schedule ')) e.message += ` (reached by schedule '${encodeSchedule(Array.from({ length: n }, (_, i) => events[i]))}')`;
  return e;
}

export function encodeSchedule(events: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < events.length; ) {
    let j = i + 1;
    while (j < events.length && events[j] === events[i]) j++;
    out.push(j - i > 1 ? `${evToken(events[i])}*${j - i}` : evToken(events[i]));
    i = j;
  }
  return out.join('.');
}

/** Parse a schedule string. `maxEvents` (the step budget) caps its length before anything is
 *  expanded, `ncpus` the CPU numbers its tokens may name. */
export function decodeSchedule(s: string, maxEvents = Infinity, ncpus = 0x1000): number[] {
  const ev: number[] = [];
  if (!s.trim()) return ev;
  let at = 0;
  for (const tok of s.trim().split('.')) {
    at++;
    const m = /^([ifn]?)(\d{1,9})(?:\*(\d{1,12}))?$/.exec(tok);
    if (!m) throw new ScheduleError(`malformed schedule token '${short(tok)}' (token ${at}; expected e.g. 0, i1, f0, n2, 0*3)`);
    const kind = KIND_PREFIX.indexOf(m[1]);
    const cpu = Number(m[2]);
    if (cpu >= ncpus) throw new ScheduleError(`schedule token '${tok}' (token ${at}): no CPU ${cpu} (the configuration has ${ncpus} CPU${ncpus === 1 ? '' : 's'}: 0-${ncpus - 1})`);
    const e = mkEv(kind, cpu);
    const rep = Number(m[3] ?? 1);
    if (rep < 1) throw new ScheduleError(`schedule token '${tok}' (token ${at}): a run of ${rep} events (at least 1)`);
    if (ev.length + rep > maxEvents) throw new ScheduleError(`schedule is longer than the step budget of ${maxEvents} events (at token ${at} '${short(tok)}')`);
    for (let r = rep; r > 0; r--) ev.push(e);
  }
  return ev;
}

const short = (t: string) => (t.length > 24 ? `${t.slice(0, 24)}...` : t);

export { MAXD, X_ACTIVE, A_FN, A_STEP, A_PC, A_BASE };

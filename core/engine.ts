// The engine runs one execution of a scenario on a kernel, letting a Chooser pick the next event
// at every point. Events: a CPU's next action (its top context: task, hardirq or NMI), delivery
// of a pending IPI, commit of the oldest store in a CPU's store buffer (TSO), and an NMI.
import { H, CALL, type Kernel, type Ctx, type Violation } from './kernel.ts';
export type { Violation };
import { boot } from './kernel/boot.ts';
import { cpu_main, BLOCK } from './kernel/sched.ts';
import type { ScenarioDef } from './scenario.ts';
import { buildScenario } from './scenario.ts';
import { quiescenceOracles } from './oracles.ts';

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

export class RunawayError extends Error {}
export class ScheduleError extends Error {}

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

function* handlerGen(k: Kernel, x: Ctx, fn: number, arg: object, done: () => void) {
  yield k.invoke(fn, { ...arg });
  done();
  k.fpGlobal();
}

const DONE = -1;

function pushBody(k: Kernel, x: Ctx) {
  const j = x.fsp++;
  if (j >= 63) throw new Error(`internal: kernel call stack overflow in ${k.stepOf(x)}`);
  x.fHook[j] = k.pendingHook;
  x.fStep[j] = 0;
  x.fFrame[j] = k.pendingFrame;
  x.fGen[j] = null;
  k.pendingFrame = null;
}

/** Run context x until its next scheduling point: the trampoline behind Kernel.invoke. Returns
 *  the yielded value (0, BLOCK) or DONE when the context's base generator has finished. */
function resume(k: Kernel, x: Ctx): number {
  for (;;) {
    const j = x.fsp - 1;
    if (j < 0) {
      const r = x.gen!.next();
      if (r.done) return DONE;
      if (r.value === CALL) { pushBody(k, x); continue; }
      return r.value;
    }
    const f = x.fFrame[j];
    const g = x.fGen[j];
    if (g !== null) {
      const r = g.next();
      if (!r.done) {
        if (r.value === CALL) { pushBody(k, x); continue; }
        return r.value;
      }
      x.fGen[j] = null;
      x.sp--;
      if (f.ret_early) { f.ret_early = false; x.fFrame[j] = null; x.fsp--; continue; }
    }
    const h = x.fHook[j];
    const i = x.fStep[j];
    const body = k.fns[h];
    if (i >= body.length) { x.fFrame[j] = null; x.fsp--; continue; }
    x.fStep[j] = i + 1;
    x.stk[x.sp++] = k.stepIds[h][i];
    const ng = body[i](k, x, f);
    if (ng === undefined) {
      x.sp--;
      if (f.ret_early) { f.ret_early = false; x.fFrame[j] = null; x.fsp--; }
      continue;
    }
    x.fGen[j] = ng;
  }
}

export function enabledEvents(k: Kernel, out: Int32Array): number {
  let n = 0;
  const cpus = k.cpus;
  const sbLen = k.m.sbLen;
  for (let c = 0; c < cpus.length; c++) {
    const cpu = cpus[c];
    const x = cpu.ctx[cpu.level];
    if (x.gen !== null && (x.wait === null || x.wait())) out[n++] = c; // mkEv(EV_STEP, c) === c
    if (cpu.pending.length !== 0 && !cpu.irqsOff && cpu.level === 0 && !cpu.dead) out[n++] = (EV_IRQ << 12) | c;
    if (sbLen[c] !== 0) out[n++] = (EV_FLUSH << 12) | c;
    if (cpu.nmiBudget > 0 && cpu.level < 2 && !cpu.dead) out[n++] = (EV_NMI << 12) | c;
  }
  return n;
}

export function execEvent(k: Kernel, e: number) {
  const c = e & 0xfff;
  const cpu = k.cpus[c];
  k.actions++;
  switch (e >> 12) {
    case EV_STEP: {
      const x = cpu.ctx[cpu.level];
      x.wait = null;
      const v = resume(k, x);
      if (v === DONE) {
        x.gen = null;
        x.sp = 0;
        if (cpu.level === 2) { cpu.level = cpu.nmiSaved; }
        else if (cpu.level === 1) { cpu.level = 0; cpu.irqsOff = false; }
      } else if (v === BLOCK && x.wait === null) {
        throw new Error('internal: BLOCK without a wait condition');
      }
      break;
    }
    case EV_IRQ: {
      const ipi = cpu.pending.shift()!;
      const x = cpu.ctx[1];
      cpu.level = 1;
      cpu.irqsOff = true;
      x.sp = 0;
      x.gen = handlerGen(k, x, ipi.fn, ipi.arg, () => { ipi.done = true; });
      if (k.fpOn) k.fpAdd(-1);
      if (k.tracing) k.tr(x, `<IRQ> ${k.hookName(ipi.fn)} from cpu${ipi.from}`);
      break;
    }
    case EV_FLUSH: {
      const a = k.m.drainOne(c);
      if (k.fpOn) k.fpAdd(a * 2 + 1);
      if (k.tracing) k.trace.push({ cpu: c, level: cpu.level, step: 'store buffer', text: `commit ${k.m.nameOf(a)} = ${k.fmt(a, k.m.mem[a])}` });
      break;
    }
    case EV_NMI: {
      cpu.nmiBudget--;
      const x = cpu.ctx[2];
      cpu.nmiSaved = cpu.level;
      cpu.level = 2;
      x.sp = 0;
      x.gen = handlerGen(k, x, H.nmi, cpu.nmiArg, () => {});
      if (k.fpOn) k.fpAdd(-1);
      if (k.tracing) k.tr(x, '<NMI>');
      break;
    }
  }
}

/** Run one execution from boot. */
export function runOnce(k: Kernel, sc: ScenarioDef, chooser: Chooser, opts: RunOptions): RunResult {
  boot(k);
  k.tracing = !!opts.trace;
  buildScenario(k, sc);
  for (const cpu of k.cpus) {
    const x = cpu.ctx[0];
    x.gen = cpu_main(k, x);
  }
  const enabled = (k.enabledBuf ??= new Int32Array(k.ncpus * 4));
  const events: number[] = [];
  let last = -1;
  for (;;) {
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
    if (k.fatal) break;
    if (events.length >= opts.maxSteps)
      throw new RunawayError(`scenario '${sc.name}' exceeded the step budget of ${opts.maxSteps} steps in one execution (runaway program?)`);
  }
  if (!k.fatal) quiescenceOracles(k);
  if (!k.fatal && sc.forbid) {
    const msg = sc.forbid({ reg: (task, reg) => k.tasks.find((t) => t.name === task)?.regs?.[reg] });
    if (msg) k.violate('outcome', msg, null);
  }
  return { violations: k.violations, steps: events.length, events };
}

// ---- schedule strings ---------------------------------------------------------------------------

export function evToken(e: number): string {
  return KIND_PREFIX[e >> 12] + (e & 0xfff);
}

/** "0*3.1.i1.f0" : events, run-length encoded. */
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

export function decodeSchedule(s: string): number[] {
  const ev: number[] = [];
  if (!s.trim()) return ev;
  for (const tok of s.trim().split('.')) {
    const m = /^([ifn]?)(\d+)(?:\*(\d+))?$/.exec(tok);
    if (!m) throw new ScheduleError(`malformed schedule token '${tok}' (expected e.g. 0, i1, f0, n2, 0*3)`);
    const kind = KIND_PREFIX.indexOf(m[1]);
    const e = mkEv(kind, Number(m[2]));
    for (let r = Number(m[3] ?? 1); r > 0; r--) ev.push(e);
  }
  return ev;
}

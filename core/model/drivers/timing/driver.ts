// The timing driver: runs the kernel model (engine.ts's events, the same CPU loop, steps and IPIs
// the explorer interleaves) in virtual time. The CPU with the smallest clock moves next;
// an event costs what its accesses and calls cost (./state.ts). A CPU whose context waits
// (idle, an IPI sender waiting for handlers) is parked and woken, at the right virtual time, by
// what ends the wait: a task made runnable (wake latency by distance), an IPI arriving (delivery
// latency), the last handler of a waited-for IPI finishing. A periodic sweep catches the rarer
// waits (hotplug) that are not instrumented.
import { execEvent, startRun, ctxRunnable, waitOk, EV_IRQ, EV_STEP } from '../../engine.ts';
import { H } from '../../fns.ts';
import type { ScenarioDef } from '../../scenario.ts';
import {
  primaryViolation, counterId, CW, XW, C_LEVEL, C_IPI_LEN, C_IRQS_OFF, C_DEAD, X_ACTIVE, X_WAIT, W_HAS_WORK,
  type Kernel, type TaskView, type Violation,
} from '../../kernel.ts';
import { TimingState, type LineStat } from './state.ts';
import { profileFor, resolveCosts } from './profile.ts';
import type { OptionDecl } from '../../options.ts';

export const TIMING_DRIVER_OPTIONS: OptionDecl[] = [
  { name: 'mm_count_own_line', type: 'bool', default: 'the machine\'s (y on epyc-9654-2s: v6.6+ layout, else n)', help: 'timing driver: mm_count on a cache line of its own (____cacheline_aligned_in_smp)' },
];

export interface TimedOptions {
  seed: number;
  /** measured window, virtual ns (after the warm-up) */
  durationNs: number;
  warmupNs: number;
  /** safety bound on events */
  maxEvents?: number;
}

export interface TimedRun {
  /** counters (k.counters and the driver's own) accumulated over the measured window */
  counters: Record<string, number>;
  /** virtual seconds measured */
  seconds: number;
  lines: LineStat[];
  events: number;
  violation: Violation | null;
  machine: string;
  /** the run ended before the window did (every task finished) */
  quiesced: boolean;
}

/** Min-heap of CPUs keyed by their clocks. */
class ClockHeap {
  items: Int32Array;
  pos: Int32Array;
  n = 0;
  constructor(ncpus: number, readonly key: Float64Array) {
    this.items = new Int32Array(ncpus);
    this.pos = new Int32Array(ncpus).fill(-1);
  }
  has(c: number) { return this.pos[c] >= 0; }
  minKey(): number { return this.n ? this.key[this.items[0]] : Infinity; }
  push(c: number) {
    let i = this.n++;
    this.items[i] = c;
    this.pos[c] = i;
    this.up(i);
  }
  /** Push c and pop the minimum, in one sift-down (heapreplace): what push(c); pop() returns. */
  pushPop(c: number): number {
    if (this.n === 0 || !this.less(this.items[0], c)) return c;
    const top = this.items[0];
    this.pos[top] = -1;
    this.items[0] = c;
    this.pos[c] = 0;
    this.down(0);
    return top;
  }
  pop(): number {
    const top = this.items[0];
    this.pos[top] = -1;
    const last = this.items[--this.n];
    if (this.n > 0) { this.items[0] = last; this.pos[last] = 0; this.down(0); }
    return top;
  }
  private less(a: number, b: number) {
    const ka = this.key[a], kb = this.key[b];
    return ka < kb || (ka === kb && a < b); // ties: lower CPU first (deterministic)
  }
  private up(i: number) {
    const it = this.items, c = it[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(c, it[p])) break;
      it[i] = it[p]; this.pos[it[i]] = i; i = p;
    }
    it[i] = c; this.pos[c] = i;
  }
  private down(i: number) {
    const it = this.items, c = it[i], n = this.n;
    for (;;) {
      let j = 2 * i + 1;
      if (j >= n) break;
      if (j + 1 < n && this.less(it[j + 1], it[j])) j++;
      if (!this.less(it[j], c)) break;
      it[i] = it[j]; this.pos[it[i]] = i; i = j;
    }
    it[i] = c; this.pos[c] = i;
  }
}

const SWEEP_EVERY = 1 << 16;
const CNT_WAKEUPS_REMOTE = counterId('wakeups_remote');

export function runTimed(k: Kernel, sc: ScenarioDef, o: TimedOptions): TimedRun {
  const profile = profileFor(k.arch.name, k.params);
  const costs = resolveCosts(profile, k.params);
  // The struct layout of the kernel the machine ran (v6.6+ gives mm_count a line of its own).
  const tm = new TimingState(k, costs, o.seed, k.flag('mm_count_own_line', !!profile.mmCountOwnLine));
  k.tm = tm;
  // the timing driver measures; reference ownership and dangling-pointer checks are the explorer's
  k.refTracking = false;
  try {
    return drive(k, sc, o, tm, costs);
  } finally {
    k.tm = null;
    k.refTracking = true;
  }
}

function drive(k: Kernel, sc: ScenarioDef, o: TimedOptions, tm: TimingState, costs: ReturnType<typeof resolveCosts>): TimedRun {
  startRun(k, sc, false);
  const n = k.ncpus;
  const clock = tm.clock;
  const parked = new Uint8Array(n);
  const heap = new ClockHeap(n, clock);
  /** per CPU, the arrival times of its queued IPIs, oldest first (mirrors the kernel's queues) */
  const arrival: number[][] = Array.from({ length: n }, () => []);
  /** the context (cpu*3+level) that sent the IPI each CPU is handling, or -1 */
  const handling = new Int32Array(n).fill(-1);

  const wakeAt = (c: number, t: number) => {
    if (!parked[c]) return;
    parked[c] = 0;
    if (clock[c] < t) clock[c] = t;
    tm.unpark(c);
    heap.push(c);
  };

  // The IPI queues and task states report to the driver. An IPI reaches a sleeping CPU after its
  // idle state's exit latency.
  tm.onIpi = (to, at) => {
    arrival[to].push(at);
    if (parked[to]) wakeAt(to, at + tm.idleExitNs(to));
  };
  tm.onIpiTaken = (cpu) => { arrival[cpu].shift(); };
  // A task made runnable (try_to_wake_up stores TASK_RUNNING to its __state) wakes its CPU after
  // the wake latency: the state's store reports it, the driver checks after the event.
  // (cpu, time) pairs; a count rather than length = 0, which would drop the array's storage
  let woken = new Float64Array(64), nwoken = 0;
  tm.onWake = (t: TaskView) => {
    const from = tm.cur;
    if (from < 0 || t.cpu === from || !parked[t.cpu]) return;
    if (nwoken + 2 > woken.length) { const g = new Float64Array(woken.length * 2); g.set(woken); woken = g; }
    woken[nwoken++] = t.cpu;
    woken[nwoken++] = clock[from] + tm.wakeLatency(from, t.cpu);
  };

  for (let c = 0; c < n; c++) {
    // Start offsets: the tasks do not start in lockstep (seeded, < 1 us).
    clock[c] = (tm.rng.next() / 4294967296) * 1000;
    heap.push(c);
  }

  /** The event CPU c runs next, or -1 if it must wait. May advance its clock to an IPI arrival.
   *  (Reads the declared CPU and context records directly: this runs before every event.) */
  const ca = k.cpuR.a, hdr = k.hdr;
  const nextEvent = (c: number): number => {
    const cb = c * CW;
    const level = ca[cb + C_LEVEL];
    const x = c * 3 + level, hb = x * XW;
    const stepOk = hdr[hb + X_ACTIVE] !== 0 && (hdr[hb + X_WAIT] === 0 || waitOk(k, x));
    if (ca[cb + C_IPI_LEN] !== 0 && ca[cb + C_IRQS_OFF] === 0 && level === 0 && ca[cb + C_DEAD] === 0) {
      const at = arrival[c][0] ?? 0;
      if (at <= clock[c]) return (EV_IRQ << 12) | c;
      if (!stepOk) { clock[c] = at; return (EV_IRQ << 12) | c; }
    }
    return stepOk ? (EV_STEP << 12) | c : -1;
  };

  const warmupEnd = o.warmupNs;
  const end = o.warmupNs + o.durationNs;
  const maxEvents = o.maxEvents ?? 50_000_000;
  let snap: Record<string, number> | null = null;
  let snapLines: LineStat[] | null = null;
  let snapExtra = { transfers: 0, scan: 0, idle: new Float64Array(0) };
  let snapFn: Float64Array | null = null;
  let events = 0;
  let nextSweep = SWEEP_EVERY;
  // the last event's time (a typed-array slot: a double local of this long-running function
  // would be boxed at every event)
  const last = new Float64Array(1);
  const irqEntry = costs.ns('irq_entry');

  const takeSnapshot = () => {
    snap = { ...k.counters };
    snapLines = tm.lines();
    snapExtra = { transfers: tm.transfers, scan: tm.exitScanLoads, idle: tm.idleEntries.slice() };
    snapFn = tm.fnCalls.slice();
  };

  const sweep = (now: number) => {
    for (let c = 0; c < n; c++) {
      if (!parked[c]) continue;
      tm.cur = -1;
      if (nextEvent(c) >= 0) wakeAt(c, now);
    }
  };

  // The CPU about to move (-1: take the heap's minimum). A CPU that yields goes back through
  // pushPop, one sift-down instead of a push and a pop: the step loop's main cost at 192 CPUs.
  let c = -1;
  outer: for (;;) {
    if (c < 0) {
      if (heap.n === 0) {
        sweep(last[0]);
        if (heap.n === 0) break;
      }
      c = heap.pop();
    }
    if (clock[c] >= end) { last[0] = end; break; }
    if (snap === null && clock[c] >= warmupEnd) takeSnapshot();
    const lvl = c * CW + C_LEVEL;
    for (;;) {
      const ev = nextEvent(c);
      if (ev < 0) {
        parked[c] = 1;
        tm.park(c, k.cpus[c].curr.isIdle && hdr[(c * 3) * XW + X_WAIT] === W_HAS_WORK);
        c = -1;
        break;
      }
      tm.cur = c;
      const before = ca[lvl];
      if (ev >> 12 === EV_IRQ) {
        clock[c] += tm.work(c, irqEntry);
        handling[c] = k.ipiSender(c);
      }
      execEvent(k, ev);
      events++;
      if (before === 1 && ca[lvl] === 0) {
        // The handler finished: a sender waiting for it may go on once the ack reaches it.
        const sender = handling[c];
        handling[c] = -1;
        if (sender >= 0) {
          const from = Math.floor(sender / 3);
          if (parked[from]) {
            const fc = k.cpus[from];
            if (ctxRunnable(k, k.ctxs[from * 3 + fc.level])) wakeAt(from, clock[c] + tm.xfer[tm.dist(c, from)]);
          }
        }
      }
      if (nwoken !== 0) {
        for (let i = 0; i < nwoken; i += 2) {
          const w = woken[i];
          if (!parked[w]) continue;
          tm.cur = -1;
          if (nextEvent(w) >= 0) { k.countId(CNT_WAKEUPS_REMOTE); wakeAt(w, woken[i + 1]); }
        }
        nwoken = 0;
      }
      tm.cur = -1;
      last[0] = clock[c];
      if (k.fatal || k.hasFatal) break outer;
      if (events >= maxEvents) break outer;
      const t = clock[c];
      if ((heap.n !== 0 && t > clock[heap.items[0]]) || t >= end || (snap === null && t >= warmupEnd)) {
        c = heap.pushPop(c);
        break;
      }
    }
    if (events >= nextSweep) {
      nextSweep = events + SWEEP_EVERY;
      sweep(last[0]);
      if (c >= 0) c = heap.pushPop(c); // a CPU the sweep woke may come first
    }
  }
  tm.cur = -1;
  if (snap === null) takeSnapshot(); // never got past the warm-up: measure nothing
  const windowEnd = Math.min(last[0], end);
  const seconds = Math.max(0, windowEnd - warmupEnd) / 1e9;
  const counters: Record<string, number> = {};
  const s0 = snap as unknown as Record<string, number>;
  for (const key of Object.keys(k.counters)) counters[key] = k.counters[key] - (s0[key] ?? 0);
  counters.line_transfers = tm.transfers - snapExtra.transfers;
  counters['exit_scan.cpus_scanned'] = tm.exitScanLoads - snapExtra.scan;
  tm.idleStates.forEach((s, i) => { counters[`idle.${s.name}`] = tm.idleEntries[i] - snapExtra.idle[i]; });
  const fn0 = snapFn as unknown as Float64Array;
  for (const h of ['__mmput', 'exit_mmap', '__mmdrop'] as const) {
    const id = H[h];
    if (id !== undefined) counters[`calls.${h}`] = tm.fnCalls[id] - fn0[id];
  }
  const l0 = snapLines as unknown as LineStat[];
  const lines = tm.lines().map((l, i) => {
    const b = l0[i];
    return b ? { ...l, rmw: l.rmw - b.rmw, transfers: l.transfers - b.transfers, loads: l.loads - b.loads, stores: l.stores - b.stores } : l;
  });
  return {
    counters, seconds, lines, events, violation: k.violations.length ? primaryViolation(k.violations) : null,
    machine: costs.profile.name, quiesced: heap.n === 0 && last[0] < end,
  };
}

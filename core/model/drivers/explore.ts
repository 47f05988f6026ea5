// Strategies over the engine: replay, seeded random, PCT, and bounded exhaustive DFS (preemption
// bound + sleep-set partial-order reduction). On a violation, the schedule is shortened and
// replayed with tracing to give a minimal readable trace.
import { runOnce, encodeSchedule, decodeSchedule, ScheduleError, evToken, type Chooser, type RunResult } from '../engine.ts';
import { primaryViolation, type Kernel, type Violation } from '../kernel.ts';
import type { ScenarioDef } from '../scenario.ts';
import { renderTrace } from '../trace.ts';

export type Strategy = 'random' | 'pct' | 'dfs';

export interface ExploreOptions {
  strategy: Strategy;
  budget: number; // schedules
  seed: number;
  maxSteps: number;
  preemptionBound?: number;
  pctDepth?: number;
  progress?: (explored: number, budget: number) => void;
}

export interface ExploreResult {
  /** violations of the (minimized) failing execution, each carrying its replayable schedule */
  violations: Violation[];
  trace: string[];
  schedulesExplored: number;
  steps: number;
  /** DFS only: the bounded space was exhausted */
  complete: boolean;
  counters: Record<string, number>;
}

/** xorshift32: tiny, fast and the same on every machine. */
export class Rng {
  s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 0x9e3779b9; }
  next(): number {
    let s = this.s;
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    this.s = s;
    return s;
  }
  below(n: number): number { return this.next() % n; }
}

/** Keep running the previous event while it is enabled, else the first enabled one. */
function defaultIndex(en: Int32Array, n: number, last: number): number {
  for (let i = 0; i < n; i++) if (en[i] === last) return i;
  return 0;
}

export class ReplayChooser implements Chooser {
  constructor(readonly events: number[], readonly lenient = false) {}
  choose(en: Int32Array, n: number, last: number, depth: number): number {
    if (depth < this.events.length) {
      const want = this.events[depth];
      for (let i = 0; i < n; i++) if (en[i] === want) return i;
      if (!this.lenient)
        throw new ScheduleError(`schedule diverges at event ${depth + 1}: '${evToken(want)}' is not enabled (enabled: ${Array.from(en.subarray(0, n), evToken).join(' ')})`);
    }
    return defaultIndex(en, n, last);
  }
}

class RandomChooser implements Chooser {
  constructor(readonly rng: Rng) {}
  choose(_en: Int32Array, n: number): number {
    return n === 1 ? 0 : this.rng.below(n);
  }
}

/** PCT (Burckhardt et al.): random priorities per event source, d-1 priority change points. */
class PctChooser implements Chooser {
  prio = new Map<number, number>();
  changes: number[] = [];
  constructor(readonly rng: Rng, depth: number, kEst: number) {
    for (let i = 1; i < depth; i++) this.changes.push(1 + rng.below(Math.max(1, kEst)));
  }
  private p(e: number): number {
    let v = this.prio.get(e);
    if (v === undefined) { v = 100 + this.rng.below(1 << 20); this.prio.set(e, v); }
    return v;
  }
  choose(en: Int32Array, n: number, _last: number, depth: number): number {
    let best = 0;
    for (let i = 1; i < n; i++) if (this.p(en[i]) > this.p(en[best])) best = i;
    const ci = this.changes.indexOf(depth);
    if (ci >= 0) this.prio.set(en[best], ci + 1);
    return best;
  }
}

// ---- DFS with preemption bounding and sleep sets ----------------------------------------------

interface Node {
  enabled: number[];
  chosen: number; // event
  done: Map<number, Int32Array>; // explored events -> footprint from this state
  sleep: Map<number, Int32Array>; // inherited sleep set
  preemptions: number; // preemptions in the prefix before this node's choice
  last: number;
}

function independent(a: Int32Array, b: Int32Array, ea: number, eb: number): boolean {
  if ((ea & 0xfff) === (eb & 0xfff)) return false; // same CPU: program order
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0) return false;
    for (let j = 0; j < b.length; j++) {
      if (b[j] < 0) return false;
      if (a[i] >> 1 === b[j] >> 1 && ((a[i] | b[j]) & 1)) return false;
    }
  }
  for (let j = 0; j < b.length; j++) if (b[j] < 0) return false;
  return true;
}

class DfsChooser implements Chooser {
  stack: Node[] = [];
  fps: Int32Array[] = [];
  constructor(readonly bound: number) {}
  choose(en: Int32Array, n: number, last: number, depth: number): number {
    let node = this.stack[depth];
    if (!node) {
      const parent = this.stack[depth - 1];
      const sleep = new Map<number, Int32Array>();
      if (parent) {
        const fpChosen = this.fps[depth - 1];
        const ch = parent.chosen;
        for (const [e, fp] of parent.sleep) if (independent(fp, fpChosen, e, ch)) sleep.set(e, fp);
        for (const [e, fp] of parent.done) if (e !== ch && independent(fp, fpChosen, e, ch)) sleep.set(e, fp);
      }
      const enabled = Array.from(en.subarray(0, n));
      const pre = parent ? parent.preemptions + (isPreemption(parent.enabled, parent.last, parent.chosen) ? 1 : 0) : 0;
      let pick = -1;
      const li = enabled.indexOf(last);
      if (li >= 0 && !sleep.has(last)) pick = last;
      else for (const e of enabled) if (!sleep.has(e)) { pick = e; break; }
      if (pick < 0) pick = enabled[0]; // everything asleep: this branch is redundant; finish it cheaply
      node = { enabled, chosen: pick, done: new Map(), sleep, preemptions: pre, last };
      this.stack[depth] = node;
    }
    const i = node.enabled.indexOf(node.chosen);
    return i;
  }
  /** Record the footprint of the event executed at depth (replayed prefixes keep theirs). */
  record(depth: number, fp: Int32Array, n: number) {
    if (depth < this.fps.length) return;
    this.fps[depth] = fp.slice(0, n);
  }
  /** Prepare the next execution; false when the bounded space is exhausted. */
  backtrack(): boolean {
    for (let d = this.stack.length - 1; d >= 0; d--) {
      const node = this.stack[d];
      node.done.set(node.chosen, this.fps[d] ?? new Int32Array([-1]));
      for (const e of node.enabled) {
        if (node.done.has(e) || node.sleep.has(e)) continue;
        const pre = node.preemptions + (isPreemption(node.enabled, node.last, e) ? 1 : 0);
        if (pre > this.bound) continue;
        node.chosen = e;
        this.stack.length = d + 1;
        this.fps.length = d;
        return true;
      }
    }
    return false;
  }
}

function isPreemption(enabled: number[], last: number, chosen: number): boolean {
  return last >= 0 && chosen !== last && enabled.includes(last);
}

// ---- the explorer -------------------------------------------------------------------------------

export function explore(k: Kernel, sc: ScenarioDef, o: ExploreOptions): ExploreResult {
  const rng = new Rng(o.seed);
  let steps = 0;
  let explored = 0;
  let complete = false;
  let found: RunResult | null = null;
  // DFS bounds preemptions iteratively (0, 1, ... bound), as CHESS does: races that need few
  // preemptions are found before the budget is spent deep in the many-preemption space.
  const maxBound = o.preemptionBound ?? 2;
  let bound = 0;
  let dfs = o.strategy === 'dfs' ? new DfsChooser(0) : null;
  let kEst = 64;
  const counters: Record<string, number> = {};
  k.fpOn = !!dfs;
  const onEvent = dfs ? (d: number, _e: number, kk: Kernel) => dfs!.record(d, kk.fp, kk.fpn) : undefined;
  try {
    while (explored < o.budget) {
      const chooser: Chooser = dfs ?? (o.strategy === 'pct' ? new PctChooser(rng, o.pctDepth ?? 3, kEst) : new RandomChooser(rng));
      const r = runOnce(k, sc, chooser, { maxSteps: o.maxSteps, onEvent });
      explored++;
      steps += r.steps;
      if (r.steps > kEst) kEst = r.steps;
      for (const key in k.counters) counters[key] = (counters[key] ?? 0) + k.counters[key];
      if (o.progress && (explored & 255) === 0) o.progress(explored, o.budget);
      if (r.violations.length) { found = r; break; }
      if (dfs && !dfs.backtrack()) {
        if (bound >= maxBound) { complete = true; break; }
        dfs = new DfsChooser(++bound);
      }
    }
  } finally {
    k.fpOn = false;
  }
  const m = found ? minimizeAndTrace(k, sc, found.events, primaryViolation(found.violations)!, o.maxSteps) : { violations: [], trace: [] };
  return { ...m, schedulesExplored: explored, steps, complete, counters };
}

/** Replay a schedule exactly. */
export function replay(k: Kernel, sc: ScenarioDef, schedule: string, maxSteps: number, trace = false): RunResult {
  const events = decodeSchedule(schedule);
  return runOnce(k, sc, new ReplayChooser(events), { maxSteps, trace });
}

function sameBug(a: Violation, vs: Violation[]): boolean {
  const b = primaryViolation(vs);
  return !!b && a.oracle === b.oracle && a.message === b.message;
}

/** Shorten the schedule: drop whole runs of events (lenient replay fills in with the
 *  non-preemptive default) while the same violation is still reported. */
export function minimizeAndTrace(k: Kernel, sc: ScenarioDef, events: number[], v: Violation, maxSteps: number): { violations: Violation[]; trace: string[] } {
  let best = events.slice();
  let improved = true;
  let tries = 0;
  while (improved && tries < 400) {
    improved = false;
    const runs: [number, number][] = [];
    for (let i = 0; i < best.length; ) {
      let j = i + 1;
      while (j < best.length && best[j] === best[i]) j++;
      runs.push([i, j]);
      i = j;
    }
    for (let r = runs.length - 1; r >= 0 && tries < 400; r--) {
      tries++;
      const cand = best.slice(0, runs[r][0]).concat(best.slice(runs[r][1]));
      const res = runOnce(k, sc, new ReplayChooser(cand, true), { maxSteps });
      if (sameBug(v, res.violations) && res.events.length <= best.length && switches(res.events) < switches(best)) {
        best = res.events;
        improved = true;
        break;
      }
    }
  }
  const fin = runOnce(k, sc, new ReplayChooser(best), { maxSteps, trace: true });
  const schedule = encodeSchedule(best);
  const vs = fin.violations.length ? fin.violations : [v];
  return { violations: vs.map((x) => ({ ...x, schedule })), trace: renderTrace(k, k.trace) };
}

function switches(ev: number[]): number {
  let s = 0;
  for (let i = 1; i < ev.length; i++) if (ev[i] !== ev[i - 1]) s++;
  return s;
}

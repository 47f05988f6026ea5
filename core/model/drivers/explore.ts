// Strategies over the engine: replay, seeded random, PCT, and bounded exhaustive DFS (dfs.ts:
// preemption bound + sleep-set partial-order reduction, branches restored from snapshots). On a
// violation, the schedule is shortened and replayed with tracing to give a minimal readable trace.
import { runOnce, encodeSchedule, decodeSchedule, ScheduleError, evToken, type Chooser, type RunResult } from '../engine.ts';
import { primaryViolation, type Kernel, type Violation, type ViolationMatch } from '../kernel.ts';
import type { ScenarioDef } from '../scenario.ts';
import { renderTrace } from '../trace.ts';
import { dfsExplore } from './dfs.ts';
import { verifySearch, type Storage } from './verify.ts';
import type { Coverage } from './coverage.ts';

/** random, PCT and bounded DFS sample or bound the schedules; verify searches every state. */
export type Strategy = 'random' | 'pct' | 'dfs' | 'verify';
export const STRATEGIES: readonly Strategy[] = ['random', 'pct', 'dfs', 'verify'];

export interface ExploreOptions {
  strategy: Strategy;
  /** schedules (random, pct, dfs); states stored (verify) */
  budget: number;
  seed: number;
  maxSteps: number;
  preemptionBound?: number;
  pctDepth?: number;
  /** verify: the visited set (exact by default) */
  storage?: Storage;
  bitstateLog2?: number;
  /** verify: transitions to spend looking for a shorter counterexample after the first */
  shortestBudget?: number;
  /** checked between schedules / every few thousand transitions: true stops the search */
  stop?: () => boolean;
  /** the signature looked for (an expectation's oracle, bisect --match/--oracle): only a violation
   *  it accepts is a counterexample; executions whose reports do not match it count as explored
   *  (they went on past their reports: multi-shot). Default: any violation. */
  match?: ViolationMatch | null;
  progress?: (explored: number, budget: number) => void;
  /** random/pct: 'per-schedule' (default) gives schedule i its own generator, seeded from (seed,
   *  i), so any range of schedules can run anywhere (--jobs, --shard) with the same result;
   *  'stream' is the generator shared by all schedules that lazymm used before (the explore
   *  corpus, recorded with it, replays it) */
  seeding?: 'per-schedule' | 'stream';
}

export interface ExploreResult {
  /** violations of the (minimized) failing execution, each carrying its replayable schedule */
  violations: Violation[];
  trace: string[];
  schedulesExplored: number;
  steps: number;
  /** DFS: the bounded space was exhausted; verify: the whole state space was searched */
  complete: boolean;
  counters: Record<string, number>;
  /** what a "no violation" covers */
  coverage: Coverage;
  /** verify: states stored, transitions, deepest path, visited-set bytes */
  verify?: { states: number; transitions: number; depth: number; bytes: number; storage: Storage; missProbability?: number };
  interrupted: boolean;
  /** with a signature (o.match) that was not found: the first execution that reported something
   *  else, minimized, if any (bisect's 'other violation') */
  other?: { violations: Violation[]; trace: string[] };
}

/** xorshift32: tiny, fast and the same on every machine. */
export class Rng {
  /** the xorshift32 state as a signed int32 (the same bits as the uint32 it returns; an int32
   *  field is stored in place, a uint32 above 2^31 would be a heap number per step) */
  s: number;
  constructor(seed: number) { this.s = ((seed >>> 0) || 0x9e3779b9) | 0; }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s;
    return s >>> 0;
  }
  below(n: number): number { return this.next() % n; }
}

/** Keep running the previous event while it is enabled, else the first enabled one. */
function defaultIndex(en: Int32Array, n: number, last: number): number {
  for (let i = 0; i < n; i++) if (en[i] === last) return i;
  return 0;
}

export class ReplayChooser implements Chooser {
  /** lenient: a choice that is not enabled, or a schedule that ends early, falls back to the
   *  default choice; exact: the execution must end where the schedule does (a user's --schedule) */
  constructor(readonly events: number[], readonly lenient = false, readonly exact = false) {}
  choose(en: Int32Array, n: number, last: number, depth: number): number {
    if (depth < this.events.length) {
      const want = this.events[depth];
      for (let i = 0; i < n; i++) if (en[i] === want) return i;
      if (!this.lenient)
        throw new ScheduleError(`schedule diverges at event ${depth + 1}: '${evToken(want)}' is not enabled (enabled: ${enabledList(en, n)})${this.exact ? '; --lenient replays it with default choices' : ''}`);
    } else if (this.exact && !this.lenient) {
      throw new ScheduleError(`schedule ends after ${this.events.length} events, but the execution goes on (enabled at event ${depth + 1}: ${enabledList(en, n)}); --lenient continues with default choices`);
    }
    return defaultIndex(en, n, last);
  }
}

const enabledList = (en: Int32Array, n: number) => Array.from(en.subarray(0, n), evToken).join(' ');

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

/** The generator seed of random/PCT schedule i of a search seeded with `seed` (a 32-bit mix, so
 *  that neighbouring seeds and indexes give unrelated schedules). */
export function scheduleSeed(seed: number, i: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul((i >>> 0) + 1, 0xc2b2ae35);
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15; h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** PCT's estimate of the number of steps of an execution (the k of Burckhardt et al.): the
 *  length of the non-preemptive execution (each CPU runs while it can), which every schedule
 *  index can know without running the others. */
export function pctSteps(k: Kernel, sc: ScenarioDef, o: Pick<ExploreOptions, 'strategy' | 'maxSteps'>): number {
  if (o.strategy !== 'pct') return 0;
  return Math.max(64, runOnce(k, sc, new ReplayChooser([], true), { maxSteps: o.maxSteps }).steps);
}

export interface Sampled {
  /** the first execution with a violation of interest (k.interest; the search stops there) */
  found: RunResult | null;
  /** with a signature: the first execution that reported something else */
  other: RunResult | null;
  explored: number;
  steps: number;
  counters: Record<string, number>;
  interrupted: boolean;
}

/** Random or PCT schedules [from, to) (each with its own generator): the unit that --jobs and
 *  --shard hand out. Stops at the first violation. */
export function sampleRange(k: Kernel, sc: ScenarioDef, o: ExploreOptions, from: number, to: number, kEst: number): Sampled {
  let steps = 0, explored = 0, found: RunResult | null = null, other: RunResult | null = null, interrupted = false;
  const counters: Record<string, number> = {};
  for (let i = from; i < to; i++) {
    if (o.stop?.()) { interrupted = true; break; }
    const rng = new Rng(scheduleSeed(o.seed, i));
    const chooser: Chooser = o.strategy === 'pct' ? new PctChooser(rng, o.pctDepth ?? sc.pctDepth ?? 3, kEst) : new RandomChooser(rng);
    const run = runOnce(k, sc, chooser, { maxSteps: o.maxSteps });
    explored++;
    steps += run.steps;
    k.addCountersTo(counters);
    if (o.progress && (explored & 255) === 0) o.progress(from + explored, o.budget);
    if (k.found()) { found = run; break; }
    if (other === null && run.violations.length) other = { ...run, events: run.events.slice() };
  }
  return { found, other, explored, steps, counters, interrupted };
}

/** The shared-generator sampling of earlier versions (seeding: 'stream'). */
function sampleStream(k: Kernel, sc: ScenarioDef, o: ExploreOptions): Sampled {
  const rng = new Rng(o.seed);
  let steps = 0, explored = 0, found: RunResult | null = null, other: RunResult | null = null, kEst = 64, interrupted = false;
  const counters: Record<string, number> = {};
  while (explored < o.budget) {
    if (o.stop?.()) { interrupted = true; break; }
    const chooser: Chooser = o.strategy === 'pct' ? new PctChooser(rng, o.pctDepth ?? 3, kEst) : new RandomChooser(rng);
    const run = runOnce(k, sc, chooser, { maxSteps: o.maxSteps });
    explored++;
    steps += run.steps;
    if (run.steps > kEst) kEst = run.steps;
    k.addCountersTo(counters);
    if (o.progress && (explored & 255) === 0) o.progress(explored, o.budget);
    if (k.found()) { found = run; break; }
    if (other === null && run.violations.length) other = { ...run, events: run.events.slice() };
  }
  return { found, other, explored, steps, counters, interrupted };
}

// ---- the explorer -------------------------------------------------------------------------------

export function explore(k: Kernel, sc: ScenarioDef, o: ExploreOptions): ExploreResult {
  const match = o.match ?? null;
  k.interest = match;
  try {
    return exploreWith(k, sc, o, match);
  } finally {
    k.interest = null;
  }
}

function exploreWith(k: Kernel, sc: ScenarioDef, o: ExploreOptions, match: ViolationMatch | null): ExploreResult {
  let r: { found: RunResult | null; other?: RunResult | null; schedulesExplored: number; steps: number; complete: boolean; counters: Record<string, number> };
  let coverage: Coverage;
  let verify: ExploreResult['verify'];
  let interrupted = false;
  if (o.strategy === 'verify') {
    const v = verifySearch(k, sc, {
      maxSteps: o.maxSteps, storage: o.storage, bitstateLog2: o.bitstateLog2, maxStates: o.budget,
      shortestBudget: o.shortestBudget, stop: o.stop, progress: o.progress ? (st) => o.progress!(st, o.budget) : undefined,
    });
    interrupted = v.interrupted;
    r = { found: v.found, other: v.other, schedulesExplored: 0, steps: v.transitions, complete: v.complete, counters: v.counters };
    verify = { states: v.states, transitions: v.transitions, depth: v.depth, bytes: v.bytes, storage: v.storage, missProbability: v.missProbability };
    const exhausted = !v.found && !v.interrupted && v.states < o.budget;
    coverage = {
      kind: v.interrupted ? 'interrupted' : v.complete ? 'verified' : exhausted && v.storage !== 'exact' ? 'hashed' : 'sampled',
      states: v.states, transitions: v.transitions, schedules: null, bound: null, strategy: 'verify', seed: null,
      ...(v.missProbability !== undefined ? { missProbability: v.missProbability } : {}),
    };
  } else if (o.strategy === 'dfs') {
    const bound = o.preemptionBound ?? 2;
    const d = dfsExplore(k, sc, { budget: o.budget, maxSteps: o.maxSteps, preemptionBound: bound, progress: o.progress, stop: o.stop });
    interrupted = d.interrupted;
    r = d;
    coverage = { kind: d.interrupted ? 'interrupted' : d.complete ? 'verified-bounded' : 'sampled', states: null, transitions: null, schedules: d.schedulesExplored, bound, strategy: 'dfs', seed: null };
  } else {
    const smp = o.seeding === 'stream' ? sampleStream(k, sc, o) : sampleRange(k, sc, o, 0, o.budget, pctSteps(k, sc, o));
    interrupted = smp.interrupted;
    r = { found: smp.found, other: smp.other, schedulesExplored: smp.explored, steps: smp.steps, complete: false, counters: smp.counters };
    coverage = { kind: interrupted ? 'interrupted' : 'sampled', states: null, transitions: null, schedules: smp.explored, bound: null, strategy: o.strategy, seed: o.seed };
  }
  const m = r.found ? minimizeAndTrace(k, sc, r.found.events, primaryViolation(r.found.violations, match)!, o.maxSteps, match) : { violations: [], trace: [] };
  const other = !r.found && r.other ? minimizeAndTrace(k, sc, r.other.events, primaryViolation(r.other.violations)!, o.maxSteps) : undefined;
  return { ...m, schedulesExplored: r.schedulesExplored, steps: r.steps, complete: r.complete, counters: r.counters, coverage, verify, interrupted, ...(other ? { other } : {}) };
}

/** Replay a schedule exactly: it must name CPUs of the configuration, fit the step budget, and
 *  end where the execution ends or after a KASAN/lifetime report (lenient: divergence, an early end or a tail are tolerated, with
 *  default choices and the tail dropped; RunResult.events says what ran). */
export function replay(k: Kernel, sc: ScenarioDef, schedule: string, maxSteps: number, trace = false, lenient = false): RunResult {
  const events = decodeSchedule(schedule, maxSteps, k.ncpus);
  // A schedule that ends after a KASAN or lifetime report is a whole reproducer: the execution
  // would go on (multi-shot), the replay ends where the schedule does, as it did when such a
  // report ended every execution.
  const endAtFatal = (i: number, _e: number, kk: Kernel) => { if (i === events.length - 1 && kk.hasFatal) kk.stop(); };
  const res = runOnce(k, sc, new ReplayChooser(events, lenient, true), { maxSteps, trace, onEvent: lenient ? undefined : endAtFatal });
  if (!lenient && res.events.length < events.length)
    throw new ScheduleError(`schedule runs past the end of the execution: it has ${events.length} events, the execution ended after ${res.events.length} (${k.fatal ? 'at a fatal violation' : 'nothing left to run'}); --lenient ignores the rest`);
  return res;
}

/** The same headline (with a signature: the same first matching report). */
function sameBug(a: Violation, vs: Violation[], match: ViolationMatch | null): boolean {
  const b = primaryViolation(vs, match);
  return !!b && a.oracle === b.oracle && a.message === b.message;
}

/** Shorten the schedule: drop whole runs of events (lenient replay fills in with the
 *  non-preemptive default) while the same violation is still reported. */
export function minimizeAndTrace(k: Kernel, sc: ScenarioDef, events: number[], v: Violation, maxSteps: number, match: ViolationMatch | null = null): { violations: Violation[]; trace: string[] } {
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
      if (sameBug(v, res.violations, match) && res.events.length <= best.length && switches(res.events) < switches(best)) {
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

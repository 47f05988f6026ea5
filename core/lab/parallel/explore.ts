// explore on a runner: the search cut into tasks in a fixed canonical order, the results folded
// in that order, so --jobs N and --shard k/n print what --jobs 1 prints.
//   random, pct: chunks of CHUNK schedules; schedule i has its own generator (scheduleSeed), so a
//                chunk gives the same schedules wherever it runs; the first violation is the one
//                of the lowest schedule index, the counts are those up to it.
//   dfs:         the bounded DFS tree cut into subtrees (dfs-units.ts), in DFS order.
//   verify:      the exhaustive search over a hash-partitioned visited set (verify-units.ts).
import type { Kernel, ScenarioDef } from '../../model/index.ts';
import { primaryViolation } from '../../model/index.ts';
import { explore, minimizeAndTrace, pctSteps, type ExploreOptions, type ExploreResult } from '../../model/drivers/explore.ts';
import type { ConfigWords } from '../config.ts';
import type { Runner } from './current.ts';
import type { Signature } from '../bisect.ts';
import { UsageError } from '../errors.ts';
import type { SampleTask, ExploreTask } from './tasks.ts';
import type { RunResult } from '../../model/engine.ts';
import { dfsOn } from './dfs-units.ts';
import { verifyBfsOn } from './verify-bfs.ts';

/** Schedules per task: small enough to stop soon after a violation, large enough that handing a
 *  task to a worker costs little. Part of the task list, so it is a constant (never --jobs). */
export const CHUNK = 64;

/** How a worker or a shard finds the configuration: the command line's own words (and the
 *  signature looked for, --match/--oracle, as data: ExploreOptions.match is its predicate). */
export interface ConfigRef { scenario: string; words: ConfigWords; sig?: Signature | null }

/** How the exhaustive search runs: depth-first on one thread (verify.ts, the default), or
 *  breadth-first over a hash-partitioned visited set on --jobs threads (verify-bfs.ts). */
export type Search = 'dfs' | 'bfs';

export async function exploreOn(runner: Runner, ref: ConfigRef, k: Kernel, sc: ScenarioDef, o: ExploreOptions, search: Search = 'dfs'): Promise<ExploreResult> {
  // A signature (--match/--oracle) keeps 'other' reports apart: the search runs whole, on this
  // thread (--jobs), or as one task with the signature as data (--shard: shard 1 runs it).
  if (o.match) {
    if (search === 'bfs') throw new UsageError('--search bfs does not take --match/--oracle yet');
    if (runner.kind === 'local' || runner.kind === 'pool') return explore(k, sc, o);
    const { progress: _p, stop: _s, match: _m, ...opts } = o;
    const [r] = await runner.all<ExploreTask>([{ kind: 'explore', scenario: ref.scenario, words: ref.words, opts, sig: ref.sig ?? null }]);
    return r;
  }
  if (o.strategy === 'random' || o.strategy === 'pct') return sampleOn(runner, ref, k, sc, o);
  if (o.strategy === 'dfs') return dfsOn(runner, ref, k, sc, o);
  if (search === 'bfs') return verifyBfsOn(runner, ref, k, sc, o);
  return verifyOn(runner, ref, k, sc, o);
}

/** The depth-first exhaustive search is one task: one thread runs it; a shard's share is all of
 *  it (shard 1) or nothing (the others). (Disjoint subtrees with visited sets of their own would
 *  spread it over machines that share nothing, but the subtrees reach mostly the same states:
 *  docs/scale-out.md.) */
async function verifyOn(runner: Runner, ref: ConfigRef, k: Kernel, sc: ScenarioDef, o: ExploreOptions): Promise<ExploreResult> {
  if (runner.kind === 'local' || runner.kind === 'pool') return explore(k, sc, o);
  const { progress: _p, stop: _s, match: _m, ...opts } = o;
  const [r] = await runner.all<ExploreTask>([{ kind: 'explore', scenario: ref.scenario, words: ref.words, opts, sig: null }]);
  return r;
}

async function sampleOn(runner: Runner, ref: ConfigRef, k: Kernel, sc: ScenarioDef, o: ExploreOptions): Promise<ExploreResult> {
  // a stop already requested: nothing is started (as the serial search, which checks first)
  if (o.stop?.()) {
    return {
      violations: [], trace: [], schedulesExplored: 0, steps: 0, complete: false, counters: {}, interrupted: true,
      coverage: { kind: 'interrupted', states: null, transitions: null, schedules: 0, bound: null, strategy: o.strategy, seed: o.seed },
    };
  }
  const kEst = pctSteps(k, sc, o);
  const tasks: SampleTask[] = [];
  for (let from = 0; from < o.budget; from += CHUNK)
    tasks.push({ kind: 'sample', scenario: ref.scenario, words: ref.words, strategy: o.strategy, seed: o.seed, budget: o.budget, from, to: Math.min(o.budget, from + CHUNK), maxSteps: o.maxSteps, kEst });
  let explored = 0, steps = 0, interrupted = false;
  let found: RunResult | null = null;
  const counters: Record<string, number> = {};
  await runner.ordered(tasks, (_i, r) => {
    explored += r.explored;
    steps += r.steps;
    for (const key in r.counters) counters[key] = (counters[key] ?? 0) + r.counters[key];
    if (r.found) { found = { violations: r.found.violations, steps: 0, events: r.found.events }; return false; }
    o.progress?.(explored, o.budget);
    if (r.interrupted || o.stop?.()) { interrupted = true; return false; }
    return true;
  });
  const f = found as RunResult | null;
  const m = f ? minimizeAndTrace(k, sc, f.events, primaryViolation(f.violations)!, o.maxSteps) : { violations: [], trace: [] };
  return {
    ...m, schedulesExplored: explored, steps, complete: false, counters, interrupted,
    coverage: { kind: interrupted ? 'interrupted' : 'sampled', states: null, transitions: null, schedules: explored, bound: null, strategy: o.strategy, seed: o.seed },
  };
}

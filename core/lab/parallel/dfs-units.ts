// explore --strategy dfs on a runner: the bounded DFS cut into subtrees (dfs-split.ts), one task
// each, folded in DFS order: the same schedules, counts and first violation as the serial search.
// The budget is the serial one, exactly: a subtree runs with the whole budget as its cap; where
// the running total crosses the budget, that one subtree is searched again, here, capped at what
// was left (a merge does the same, so the shards need not know each other's counts).
import type { Kernel, ScenarioDef } from '../../model/index.ts';
import { primaryViolation } from '../../model/index.ts';
import { dfsExplore } from '../../model/drivers/dfs.ts';
import { dfsUnits } from '../../model/drivers/dfs-split.ts';
import { explore, minimizeAndTrace, type ExploreOptions, type ExploreResult } from '../../model/drivers/explore.ts';
import type { RunResult } from '../../model/engine.ts';
import type { ConfigWords } from '../config.ts';
import type { Runner } from './current.ts';
import { kernelFor } from './kernels.ts';
import type { ConfigRef } from './explore.ts';

export interface DfsUnitTask {
  kind: 'dfs-unit';
  scenario: string;
  words: ConfigWords;
  bound: number;
  prefix: number[];
  /** schedules at most */
  cap: number;
  maxSteps: number;
  preemptionBound: number;
}

export interface DfsUnitResult {
  explored: number;
  steps: number;
  counters: Record<string, number>;
  found: { events: number[]; violations: import('../../model/index.ts').Violation[] } | null;
  /** the subtree was searched to its end */
  complete: boolean;
  interrupted: boolean;
}

export async function dfsUnit(t: DfsUnitTask, stop: () => boolean): Promise<DfsUnitResult> {
  const { sc, k } = await kernelFor(t.scenario, t.words);
  return unitOn(k, sc, t, stop);
}

function unitOn(k: Kernel, sc: ScenarioDef, t: DfsUnitTask, stop?: () => boolean): DfsUnitResult {
  const r = dfsExplore(k, sc, { budget: t.cap, maxSteps: t.maxSteps, preemptionBound: t.preemptionBound, unit: { bound: t.bound, prefix: t.prefix }, stop });
  return {
    explored: r.schedulesExplored, steps: r.steps, counters: r.counters, complete: r.complete, interrupted: r.interrupted,
    found: r.found ? { events: r.found.events, violations: r.found.violations } : null,
  };
}

/** Subtrees per preemption bound: enough that two workers, or a few shards, stay balanced
 *  (on lazy-exit the largest of 1040 subtrees holds 0.7% of the schedules), fewer for a small
 *  budget (the cut costs a little time of its own). A function of the budget only. */
export const unitsFor = (budget: number) => Math.max(16, Math.min(512, Math.ceil(budget / 64)));

export async function dfsOn(runner: Runner, ref: ConfigRef, k: Kernel, sc: ScenarioDef, o: ExploreOptions): Promise<ExploreResult> {
  // one thread: the serial search itself (the units add up to it exactly: test/parallel.test.ts)
  if (runner.kind === 'local') return explore(k, sc, o);
  const bound = o.preemptionBound ?? 2;
  const tasks: DfsUnitTask[] = [];
  for (let b = 0; b <= bound; b++)
    for (const u of dfsUnits(k, sc, b, unitsFor(o.budget)))
      tasks.push({ kind: 'dfs-unit', scenario: ref.scenario, words: ref.words, bound: b, prefix: u.prefix, cap: o.budget, maxSteps: o.maxSteps, preemptionBound: bound });
  let explored = 0, steps = 0, complete = true, interrupted = false;
  let found: RunResult | null = null;
  let cut: number = -1;
  const counters: Record<string, number> = {};
  const add = (r: DfsUnitResult) => {
    explored += r.explored;
    steps += r.steps;
    for (const key in r.counters) counters[key] = (counters[key] ?? 0) + r.counters[key];
    if (r.found) found = { violations: r.found.violations, steps: 0, events: r.found.events };
  };
  await runner.ordered(tasks, (i, r) => {
    const left = o.budget - explored;
    // the serial search would have stopped inside this subtree: search it again, capped
    if (r.explored > left || (!r.complete && !r.found && !r.interrupted)) { cut = i; return false; }
    add(r);
    o.progress?.(explored, o.budget);
    if (r.found) return false;
    if (r.interrupted || o.stop?.()) { interrupted = true; return false; }
    // the budget is spent exactly here: the serial search stops at its next backtrack
    if (explored >= o.budget && i + 1 < tasks.length) { complete = false; return false; }
    return true;
  });
  if (cut >= 0) {
    const r = unitOn(k, sc, { ...tasks[cut], cap: o.budget - explored }, o.stop);
    add(r);
    if (!r.found) complete = false;
    interrupted = r.interrupted;
  }
  const f = found as RunResult | null;
  if (f || interrupted) complete = false;
  const m = f ? minimizeAndTrace(k, sc, f.events, primaryViolation(f.violations)!, o.maxSteps) : { violations: [], trace: [] };
  return {
    ...m, schedulesExplored: explored, steps, complete, counters, interrupted,
    coverage: { kind: interrupted ? 'interrupted' : complete ? 'verified-bounded' : 'sampled', states: null, transitions: null, schedules: explored, bound, strategy: 'dfs', seed: null },
  };
}

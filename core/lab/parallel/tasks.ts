// The units of work that --jobs hands to worker threads and --shard hands to separate processes.
// A task is plain data naming its configuration the way the command line does (scenario name or
// module path, config words): a worker loads the same modules and builds its own kernel, nothing
// is shared but the description. Each handler is a pure function of its task, so it gives the
// same result on the main thread, on a worker, or in another process.
import { loadScenario } from '../cli/common.ts';
import type { ConfigWords } from '../config.ts';
import { explore, sampleRange, type Strategy, type ExploreOptions, type ExploreResult } from '../../model/drivers/explore.ts';
import { testConfiguration, matcher, type BisectOptions, type Tested, type Signature } from '../bisect.ts';
import { timingWindow } from '../timing/measure.ts';
import { runTimed, type TimedRun } from '../../model/drivers/timing/driver.ts';
import { kernelFor } from './kernels.ts';
import { verifyExpectation, type VerifyRow } from '../cli/verify.ts';
import { dfsUnit, type DfsUnitTask, type DfsUnitResult } from './dfs-units.ts';
import { bfsTask, type BfsTask, type BfsReply } from './verify-bfs.ts';
import { matrixCell, type MatrixTask, type MatrixCell } from './matrix-cell.ts';
import type { Violation } from '../../model/index.ts';

/** random/PCT schedules [from, to) of one search */
export interface SampleTask {
  kind: 'sample';
  scenario: string;
  words: ConfigWords;
  strategy: Strategy;
  seed: number;
  budget: number;
  from: number;
  to: number;
  maxSteps: number;
  kEst: number;
}
export interface SampleResult {
  explored: number;
  steps: number;
  counters: Record<string, number>;
  found: { events: number[]; violations: Violation[] } | null;
  interrupted: boolean;
}

/** a whole search (the depth-first exhaustive search: one task) */
export interface ExploreTask { kind: 'explore'; scenario: string; words: ConfigWords; opts: Omit<ExploreOptions, 'stop' | 'progress' | 'match'>; sig: Signature | null }

/** one configuration of a bisect */
export interface BisectTask {
  kind: 'bisect';
  scenario: string;
  words: ConfigWords;
  /** the series prefix (0: the user's own configuration) */
  k: number;
  /** what counts as bad (null: any report) */
  sig: Signature | null;
  opts: Pick<BisectOptions, 'strategy' | 'budget' | 'verifyBudget' | 'fallback' | 'seed' | 'maxSteps'>;
}

/** one timing run of an ab comparison */
export interface AbRunTask { kind: 'ab-run'; workload: string; words: ConfigWords; cpus: number; seed: number }

/** one expectation of `lazymm verify` */
export interface VerifyRowTask { kind: 'verify-row'; scenario: string; index: number; budget: number }

export type Task = ExploreTask | SampleTask | BisectTask | AbRunTask | VerifyRowTask | DfsUnitTask | BfsTask | MatrixTask;
export interface ResultOf {
  explore: ExploreResult;
  sample: SampleResult;
  bisect: Tested;
  'ab-run': TimedRun;
  'verify-row': VerifyRow;
  'dfs-unit': DfsUnitResult;
  bfs: BfsReply;
  matrix: MatrixCell;
}
export type Result = ResultOf[keyof ResultOf];

/** Run a task here. `stop` says the result is no longer wanted (a search may end early). */
export async function runTask(t: Task, stop: () => boolean): Promise<Result> {
  switch (t.kind) {
    case 'explore': {
      const { sc, k } = await kernelFor(t.scenario, t.words);
      return explore(k, sc, { ...t.opts, stop, match: t.sig ? matcher(t.sig) : null });
    }
    case 'sample': {
      const { sc, k } = await kernelFor(t.scenario, t.words);
      const r = sampleRange(k, sc, { strategy: t.strategy, budget: t.budget, seed: t.seed, maxSteps: t.maxSteps, stop }, t.from, t.to, t.kEst);
      return {
        explored: r.explored, steps: r.steps, counters: r.counters, interrupted: r.interrupted,
        found: r.found ? { events: r.found.events, violations: r.found.violations } : null,
      };
    }
    case 'bisect': {
      const sc = await loadScenario(t.scenario);
      return testConfiguration(sc, t.words, { ...t.opts }, t.k, t.sig);
    }
    case 'ab-run': {
      const { sc, k } = await kernelFor(t.workload, { ...t.words, cpus: t.cpus }, true);
      const { warm, dur } = timingWindow(k);
      return runTimed(k, sc, { seed: t.seed, warmupNs: warm, durationNs: dur });
    }
    case 'verify-row': {
      const sc = await loadScenario(t.scenario);
      return (await verifyExpectation(sc, sc.expect![t.index], t.budget, () => false))!;
    }
    case 'dfs-unit': return dfsUnit(t, stop);
    case 'bfs': return bfsTask(t);
    case 'matrix': return matrixCell(t);
  }
}

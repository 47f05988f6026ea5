// bisect on a runner. The search itself is bisect.ts's, unchanged: each configuration it asks for
// is a task. With --jobs the pool tests ahead the configurations the binary search may ask for
// next (the untested midpoints of its decision tree, breadth-first: a multisection); the steps
// printed are the ones the search asked for, so the output is --jobs 1's. Each configuration is
// tested for the signature known when it is asked for (none, or --match/--oracle, until the ends
// are tested; then the headline found at the bad end), which is part of the task. A shard tests
// both ends itself (as every shard does: they settle the signature), then its share of every
// prefix (it cannot know what the others find); merge then runs the binary search over those
// verdicts and prints what the unsharded bisect prints.
import { bisect, configWords, type BisectOptions, type BisectResult, type Signature } from '../bisect.ts';
import { findSeries } from '../series.ts';
import type { ConfigWords } from '../config.ts';
import type { ScenarioDef } from '../../model/index.ts';
import type { Runner } from './current.ts';
import type { BisectTask } from './tasks.ts';

export async function bisectOn(runner: Runner, scenario: string, sc: ScenarioDef, seriesId: string, base: ConfigWords, o: BisectOptions): Promise<BisectResult> {
  // one thread: the serial bisect itself (it can be stopped by a signal between schedules)
  if (runner.kind === 'local') return bisect(sc, seriesId, base, o);
  const n = findSeries(seriesId).patches.length;
  const opts: BisectTask['opts'] = { strategy: o.strategy, budget: o.budget, verifyBudget: o.verifyBudget, fallback: o.fallback, seed: o.seed, maxSteps: o.maxSteps };
  const task = (k: number, sig: Signature | null): BisectTask => ({ kind: 'bisect', scenario, words: configWords(base, seriesId, k), k, sig, opts });
  return bisect(sc, seriesId, base, {
    ...o,
    test: (_sc, _words, _o, k, sig) => runner.get(task(k, sig)),
    prefetch: (ks, sig) => runner.prefetch(ks.map((k) => task(k, sig))),
    // a shard has tested both ends itself (every shard does): now its share of every prefix
    settled: (sig) => runner.declare(Array.from({ length: n + 1 }, (_, k) => task(k, sig))),
  });
}

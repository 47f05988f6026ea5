// Bisect a series like `git bisect run`: configuration k applies the series' first k patches on
// top of the user's config. A configuration is tested by exploring with a schedule budget; a race
// seen once marks it bad (as syzbot does). Untestable configurations are skipped (exit-125
// semantics). The verdict may change in either direction: a patch `fixes` or `introduces` it.
import semver from 'semver';
import { resolveConfig, buildKernel, type ConfigWords } from './config.ts';
import { explore, type Strategy } from '../model/drivers/explore.ts';
import type { Coverage } from '../model/drivers/coverage.ts';
import { findSeries } from './series.ts';
import { UntestableError, UsageError } from './errors.ts';
import { ScenarioError } from '../model/errors.ts';
import { primaryViolation, type Violation } from '../model/index.ts';
import type { ScenarioDef } from '../model/index.ts';

export type Verdict = 'good' | 'bad' | 'skip';

export interface BisectStep {
  k: number; // patches of the series applied
  spec: string; // "lazy-mm:1-8" or "(none)"
  verdict: Verdict;
  reason?: string; // why skipped
  violation?: Violation;
  schedulesExplored?: number;
  /** what a 'good' covers (and how far a 'bad' searched) */
  coverage?: Coverage;
  /** the strategy that decided this configuration (auto: verify, or the sampling fallback) */
  strategy?: Strategy;
  seconds?: number;
}

export interface BisectResult {
  series: string;
  /** the kernel every configuration was built on (the series' base unless --kernel) */
  kernel: string;
  scenario: string;
  steps: BisectStep[];
  result: null | { first: { id: string; title: string }; direction: 'fixes' | 'introduces' };
  /** when no single patch can be named: the range the change lies in */
  range?: { from: string; to: string };
  counterexample?: { spec: string; violation: Violation; trace: string[] };
  /** stopped by a signal: the steps tested so far, no result */
  interrupted?: true;
}

/** A configuration's search was stopped (BisectOptions.stop): the bisection ends there. */
export class Stopped extends Error {}

export interface BisectOptions {
  /** auto: the exhaustive search when it finishes within verifyBudget states, else `fallback` */
  strategy: Strategy | 'auto';
  /** schedules for a sampling strategy, states for verify */
  budget: number;
  /** auto: the state budget of the exhaustive search before it falls back to sampling */
  verifyBudget?: number;
  /** auto: the sampling strategy to fall back to (the scenario's, else dfs) */
  fallback?: Strategy;
  seed: number;
  maxSteps: number;
  onStep?: (s: BisectStep) => void;
  /** checked between schedules: true stops the bisection with the steps tested so far */
  stop?: () => boolean;
  /** test one configuration (default: testConfiguration here; --jobs/--shard: core/lab/parallel) */
  test?: (sc: ScenarioDef, words: ConfigWords, o: BisectOptions, k: number) => Promise<Tested>;
  /** the configurations (series prefix lengths) likely to be tested next, most likely first */
  prefetch?: (ks: number[]) => void;
}

export const specOf = (seriesId: string, k: number) => (k === 0 ? '(none)' : `${seriesId}:1-${k}`);

/** The words of prefix k of a series. Every configuration runs on the series' base kernel (unless
 *  --kernel says otherwise): the one without the series too, so a bisect compares the patches,
 *  not two kernels. */
export function configWords(base: ConfigWords, seriesId: string, k: number): ConfigWords {
  const kernel = base.kernel ?? semver.valid(semver.coerce(findSeries(seriesId).base))!;
  return { ...base, kernel, apply: k === 0 ? base.apply : [...base.apply, specOf(seriesId, k)] };
}

/** A configuration's verdict and, when bad, the minimized trace. */
export interface Tested { step: Omit<BisectStep, 'k' | 'spec'>; trace?: string[] }

/** Test configuration k (0: the user's own, without the series). Throws Stopped when o.stop
 *  stopped it before a verdict. */
export async function testConfiguration(sc: ScenarioDef, words: ConfigWords, o: BisectOptions, k: number): Promise<Tested> {
  try {
    const r = await resolveConfig(words, sc);
    const kern = buildKernel(r);
    const t0 = performance.now();
    let strategy: Strategy = o.strategy === 'auto' ? 'verify' : o.strategy;
    let res = explore(kern, sc, { strategy, budget: o.strategy === 'auto' ? o.verifyBudget ?? 1_000_000 : o.budget, seed: o.seed, maxSteps: o.maxSteps, stop: o.stop });
    if (o.strategy === 'auto' && !res.interrupted && res.violations.length === 0 && res.coverage.kind !== 'verified') {
      // the state space is larger than the budget: sample it, and say so
      strategy = o.fallback ?? 'dfs';
      res = explore(kern, sc, { strategy, budget: o.budget, seed: o.seed, maxSteps: o.maxSteps, stop: o.stop });
    }
    // stopped before a verdict: this configuration is not known good
    if (res.interrupted && res.violations.length === 0) throw new Stopped();
    const v = primaryViolation(res.violations);
    const step: Tested['step'] = { verdict: v ? 'bad' : 'good', schedulesExplored: res.schedulesExplored, coverage: res.coverage, strategy, seconds: (performance.now() - t0) / 1000 };
    if (!v) return { step };
    step.violation = v;
    return { step, trace: res.trace };
  } catch (e) {
    // a configuration the series makes unbuildable is skipped; the user's own configuration
    // (k = 0) or scenario being wrong is bad input
    if (e instanceof UntestableError || (e instanceof UsageError && !(e instanceof ScenarioError) && k > 0)) return { step: { verdict: 'skip', reason: e.message } };
    throw e;
  }
}

/** The probes a binary search over (lo, hi) makes next, breadth-first over its decision tree
 *  (the midpoint, then the midpoints of both halves, ...), untested ones only. (-1, -1): the
 *  search has not started (both ends first). */
export function nextProbes(lo: number, hi: number, tested: Map<number, unknown>, n: number): number[] {
  const out: number[] = [];
  const add = (k: number) => { if (!tested.has(k) && !out.includes(k)) out.push(k); };
  if (lo < 0) { add(0); add(n); lo = 0; hi = n; }
  let level: [number, number][] = [[lo, hi]];
  while (level.length && out.length < 64) {
    const next: [number, number][] = [];
    for (const [a, b] of level) {
      if (b - a <= 1) continue;
      const m = (a + b) >> 1;
      add(m);
      next.push([a, m], [m, b]);
    }
    level = next;
  }
  return out;
}

export async function bisect(sc: ScenarioDef, seriesId: string, base: ConfigWords, o: BisectOptions): Promise<BisectResult> {
  const series = findSeries(seriesId);
  const n = series.patches.length;
  if (base.apply.some((a) => a === seriesId || a.startsWith(seriesId + ':') || a.startsWith(seriesId + '/')))
    throw new UsageError(`--apply ${seriesId} conflicts with bisecting it: bisect applies the series' patches itself`);
  const cache = new Map<number, BisectStep>();
  const traces = new Map<number, string[]>();
  const steps: BisectStep[] = [];

  const test = async (k: number): Promise<BisectStep> => {
    const hit = cache.get(k);
    if (hit) return hit;
    const spec = specOf(seriesId, k);
    const t = await (o.test ?? testConfiguration)(sc, configWords(base, seriesId, k), o, k);
    const step: BisectStep = { k, spec, ...t.step };
    if (t.trace) traces.set(k, t.trace);
    cache.set(k, step);
    steps.push(step);
    o.onStep?.(step);
    return step;
  };

  // --jobs: tell the runner which configurations the search may ask for next (it tests some of
  // them ahead, in parallel); the steps reported are only those the search asked for.
  const ahead = (lo: number, hi: number) => o.prefetch?.(nextProbes(lo, hi, cache, n));

  const out: BisectResult = { series: seriesId, kernel: base.kernel ?? semver.valid(semver.coerce(series.base))!, scenario: sc.name, steps, result: null };
  try {
    return await search(out);
  } catch (e) {
    if (!(e instanceof Stopped)) throw e;
    steps.sort((a, b) => a.k - b.k);
    return { ...out, interrupted: true };
  }

  async function search(out: BisectResult): Promise<BisectResult> {
    ahead(-1, -1);
    const lo0 = await test(0);
    const hi0 = await test(n);
    if (lo0.verdict === 'skip' || hi0.verdict === 'skip')
      throw new UntestableError(`cannot test ${lo0.verdict === 'skip' ? 'the configuration without the series' : 'the whole series'}: ${(lo0.verdict === 'skip' ? lo0 : hi0).reason}`);
    if (lo0.verdict === hi0.verdict) return out; // nothing changes across the series
    const direction = lo0.verdict === 'bad' ? 'fixes' : 'introduces';
    const endVerdict = hi0.verdict;
    // Invariant: verdict(lo) != endVerdict, verdict(hi) == endVerdict.
    let lo = 0;
    let hi = n;
    while (hi - lo > 1) {
      ahead(lo, hi);
      const mid = (lo + hi) >> 1;
      let probe = await test(mid);
      // Skip: look for a testable neighbour inside (lo, hi), as git bisect does.
      for (let d = 1; probe.verdict === 'skip'; d++) {
        const up = mid + d;
        const down = mid - d;
        if (up >= hi && down <= lo) break;
        if (up < hi) { probe = await test(up); if (probe.verdict !== 'skip') break; }
        if (down > lo) { probe = await test(down); if (probe.verdict !== 'skip') break; }
      }
      if (probe.verdict === 'skip') break;
      if (probe.verdict === endVerdict) hi = probe.k; else lo = probe.k;
    }
    const bad = [...cache.values()].filter((s) => s.verdict === 'bad').sort((a, b) => (direction === 'fixes' ? b.k - a.k : a.k - b.k))[0];
    if (bad?.violation) out.counterexample = { spec: bad.spec, violation: bad.violation, trace: traces.get(bad.k) ?? [] };
    if (hi - lo === 1) {
      const p = series.patches[hi - 1];
      out.result = { first: { id: p.id, title: p.title }, direction };
    } else {
      out.range = { from: series.patches[lo].id, to: series.patches[hi - 1].id };
    }
    steps.sort((a, b) => a.k - b.k);
    return out;
  }
}

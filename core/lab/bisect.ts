// Bisect a series like `git bisect run`: configuration k applies the series' first k patches on
// top of the user's config. A configuration is tested by exploring with a schedule budget; a race
// seen once marks it bad. Untestable configurations are skipped (exit-125 semantics). The verdict
// may change in either direction: a patch `fixes` or `introduces` it.
//
// Bad means "the signature was reported", as syzbot matches crash titles: --match REGEX (over the
// message) and/or --oracle NAME, or by default the headline found at the bad end (the whole
// series' end if it is bad, else the other), digits wildcarded. An execution whose reports do not
// match goes on (multi-shot) and the search goes on past it; a configuration whose only reports
// do not match is 'other': not the signature (the search treats it as the good side) and not
// clean either.
import semver from 'semver';
import { resolveConfig, buildKernel, type ConfigWords } from './config.ts';
import { explore, type Strategy } from '../model/drivers/explore.ts';
import type { Coverage } from '../model/drivers/coverage.ts';
import { findSeries } from './series.ts';
import { UntestableError, UsageError } from './errors.ts';
import { ScenarioError } from '../model/errors.ts';
import { primaryViolation, type Violation, type ViolationMatch } from '../model/index.ts';
import type { ScenarioDef } from '../model/index.ts';

export type Verdict = 'good' | 'bad' | 'skip' | 'other';

export interface BisectStep {
  k: number; // patches of the series applied
  spec: string; // "lazy-mm:1-8" or "(none)"
  verdict: Verdict;
  reason?: string; // why skipped
  /** bad: the first report matching the signature; other: the headline of the reports found */
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
  /** what counts as bad: the user's --match/--oracle, or the headline found at the bad end */
  signature?: Signature;
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
  /** --match REGEX: bad only if a report's message matches */
  match?: string;
  /** --oracle NAME: bad only if a report of this oracle appears */
  oracle?: string;
  onStep?: (s: BisectStep) => void;
  /** checked between schedules: true stops the bisection with the steps tested so far */
  stop?: () => boolean;
  /** test one configuration with the signature known then (default: testConfiguration here;
   *  --jobs/--shard: core/lab/parallel) */
  test?: (sc: ScenarioDef, words: ConfigWords, o: BisectOptions, k: number, sig: Signature | null) => Promise<Tested>;
  /** the configurations (series prefix lengths) likely to be tested next, most likely first,
   *  with the signature they will be tested for */
  prefetch?: (ks: number[], sig: Signature | null) => void;
  /** the signature is settled (the ends tested): every later test uses it (a shard tests its
   *  share of every prefix here) */
  settled?: (sig: Signature | null) => Promise<void>;
}

export const specOf = (seriesId: string, k: number) => (k === 0 ? '(none)' : `${seriesId}:1-${k}`);

/** The words of prefix k of a series. Every configuration runs on the series' base kernel (unless
 *  --kernel says otherwise): the one without the series too, so a bisect compares the patches,
 *  not two kernels. */
export function configWords(base: ConfigWords, seriesId: string, k: number): ConfigWords {
  const kernel = base.kernel ?? semver.valid(semver.coerce(findSeries(seriesId).base))!;
  return { ...base, kernel, apply: k === 0 ? base.apply : [...base.apply, specOf(seriesId, k)] };
}

/** A configuration's verdict and, when it reported something, the minimized trace. */
export interface Tested { step: Omit<BisectStep, 'k' | 'spec'>; trace?: string[] }

/** Test configuration k (0: the user's own, without the series) for signature `sig` (null: any
 *  report). Throws Stopped when o.stop stopped it before a verdict. */
export async function testConfiguration(sc: ScenarioDef, words: ConfigWords, o: BisectOptions, k: number, sig: Signature | null): Promise<Tested> {
  const match = sig ? matcher(sig) : null;
  try {
    const r = await resolveConfig(words, sc);
    const kern = buildKernel(r);
    const t0 = performance.now();
    let strategy: Strategy = o.strategy === 'auto' ? 'verify' : o.strategy;
    let res = explore(kern, sc, { strategy, budget: o.strategy === 'auto' ? o.verifyBudget ?? 1_000_000 : o.budget, seed: o.seed, maxSteps: o.maxSteps, stop: o.stop, match });
    if (o.strategy === 'auto' && !res.interrupted && res.violations.length === 0 && res.coverage.kind !== 'verified') {
      // the state space is larger than the budget: sample it, and say so
      strategy = o.fallback ?? 'dfs';
      const sampled = explore(kern, sc, { strategy, budget: o.budget, seed: o.seed, maxSteps: o.maxSteps, stop: o.stop, match });
      // an 'other' report the exhaustive search saw stands unless the sampling finds one too
      res = { ...sampled, other: sampled.other ?? res.other };
    }
    // stopped before a verdict: this configuration is not known good
    if (res.interrupted && res.violations.length === 0) throw new Stopped();
    // explore() returns the reports of an execution that has the signature; else, with a
    // signature, the first execution that reported something else
    const hitV = primaryViolation(res.violations, match);
    const anyV = hitV ? null : res.other ? primaryViolation(res.other.violations) : primaryViolation(res.violations);
    const verdict: Verdict = hitV ? 'bad' : anyV ? 'other' : 'good';
    const step: Tested['step'] = { verdict, schedulesExplored: res.schedulesExplored, coverage: res.coverage, strategy, seconds: (performance.now() - t0) / 1000 };
    const v = hitV ?? anyV;
    if (!v) return { step };
    step.violation = v;
    return { step, trace: hitV ? res.trace : res.other?.trace ?? res.trace };
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

export interface Signature {
  /** the oracle a report must come from (null: any) */
  oracle: string | null;
  /** the regular expression a report's message must match (null: any) */
  match: string | null;
  /** 'user': --match/--oracle; 'bad end': the headline found at the bad end */
  from: 'user' | 'bad end';
}

/** The signature of a report: its oracle and its message with every number wildcarded (cpu1 and
 *  cpu2, mm_count == 1 and == 2 are the same bug). */
export function signatureOf(v: Violation): Signature {
  const esc = v.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\d+/g, '\\d+');
  return { oracle: v.oracle, match: `^${esc}$`, from: 'bad end' };
}

export function matcher(s: Signature): ViolationMatch {
  const re = s.match !== null ? new RegExp(s.match) : null;
  return (v) => (s.oracle === null || v.oracle === s.oracle) && (re === null || re.test(v.message));
}

export function describeSignature(s: Signature): string {
  const parts: string[] = [];
  if (s.oracle !== null) parts.push(`[${s.oracle}]`);
  if (s.match !== null) parts.push(`/${s.match}/`);
  return parts.join(' ');
}

export async function bisect(sc: ScenarioDef, seriesId: string, base: ConfigWords, o: BisectOptions): Promise<BisectResult> {
  const series = findSeries(seriesId);
  const n = series.patches.length;
  if (base.apply.some((a) => a === seriesId || a.startsWith(seriesId + ':') || a.startsWith(seriesId + '/')))
    throw new UsageError(`--apply ${seriesId} conflicts with bisecting it: bisect applies the series' patches itself`);
  const cache = new Map<number, BisectStep>();
  const traces = new Map<number, string[]>();
  const steps: BisectStep[] = [];
  if (o.match !== undefined) {
    try { new RegExp(o.match); } catch (e) { throw new UsageError(`--match: not a regular expression: ${(e as Error).message}`); }
  }
  let sig: Signature | null = o.match !== undefined || o.oracle !== undefined
    ? { oracle: o.oracle ?? null, match: o.match ?? null, from: 'user' } : null;
  let match: ViolationMatch | null = sig ? matcher(sig) : null;

  const test = async (k: number): Promise<BisectStep> => {
    const hit = cache.get(k);
    if (hit) return hit;
    const spec = specOf(seriesId, k);
    const t = await (o.test ?? testConfiguration)(sc, configWords(base, seriesId, k), o, k, sig);
    const step: BisectStep = { k, spec, ...t.step };
    if (t.trace) traces.set(k, t.trace);
    cache.set(k, step);
    steps.push(step);
    o.onStep?.(step);
    return step;
  };

  // --jobs: tell the runner which configurations the search may ask for next (it tests some of
  // them ahead, in parallel); the steps reported are only those the search asked for.
  const ahead = (lo: number, hi: number) => o.prefetch?.(nextProbes(lo, hi, cache, n), sig);

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
    let lo0 = await test(0);
    let hi0 = await test(n);
    if (lo0.verdict === 'skip' || hi0.verdict === 'skip')
      throw new UntestableError(`cannot test ${lo0.verdict === 'skip' ? 'the configuration without the series' : 'the whole series'}: ${(lo0.verdict === 'skip' ? lo0 : hi0).reason}`);
    if (!sig) {
      // The default signature: the headline found at the bad end (the whole series first).
      const badEnd = hi0.verdict === 'bad' ? hi0 : lo0.verdict === 'bad' ? lo0 : null;
      if (badEnd) {
        sig = signatureOf(badEnd.violation!);
        match = matcher(sig);
        const other = badEnd === hi0 ? lo0 : hi0;
        if (other.verdict === 'bad' && !match(other.violation!)) {
          // the other end's headline is another bug: look for this one there
          cache.delete(other.k);
          steps.splice(steps.indexOf(other), 1);
          const again = await test(other.k);
          if (badEnd === hi0) lo0 = again; else hi0 = again;
        }
      }
    }
    out.signature = sig ?? undefined;
    await o.settled?.(sig);
    // The search looks at whether the signature is there: 'other' and 'good' are the same side.
    const side = (s: BisectStep) => (s.verdict === 'bad' ? 'bad' : 'good');
    if (side(lo0) === side(hi0)) { steps.sort((a, b) => a.k - b.k); return out; } // nothing changes across the series
    const direction = side(lo0) === 'bad' ? 'fixes' : 'introduces';
    const endVerdict = side(hi0);
    // Invariant: side(lo) != endVerdict, side(hi) == endVerdict.
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
      if (side(probe) === endVerdict) hi = probe.k; else lo = probe.k;
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

// lazymm bisect <workload> --series ID [config] --metric NAME [--runs N] [--seed N] [--json]
// Metric bisection with the timing driver: configuration k applies the series' first k patches.
// A configuration has "moved" when its metric differs from the base (k = 0) by more than the
// noise threshold, in the direction of the whole series' change; the first moved patch is found
// by bisection, as git bisect finds the first "new" commit. Installed into the bisect verb through
// core/cli/metric-hook.ts at import time (core/cli/ab.ts imports this module; main.ts imports that).
import { METRIC_BISECT } from '../cli/metric-hook.ts';
import type { Parsed } from '../cli/common.ts';
import { intFlag, progressFor } from '../cli/common.ts';
import { findSeries } from '../series.ts';
import { UntestableError, UsageError } from '../errors.ts';
import type { ConfigWords } from '../config.ts';
import { findWorkload, WORKLOADS } from '../../../scenarios/perf/index.ts';
import { resolveTimed, measureUntil, summary } from './measure.ts';
import { stopRequested, interruptedExit } from '../interrupt.ts';
import { fmtNum } from './ab.ts';

export interface MetricStep {
  k: number;
  spec: string;
  verdict: 'good' | 'bad' | 'skip';
  reason?: string;
  value?: { mean: number; stddev: number; n: number };
  change_pct?: number;
  seconds?: number;
}

export interface MetricBisectResult {
  series: string;
  scenario: string;
  metric: string;
  /** null when interrupted before both ends were measured */
  threshold: { value: number; rule: string; noise_stddev: number; base: number } | null;
  steps: MetricStep[];
  result: null | { first: { id: string; title: string }; direction: 'introduces'; change: 'improvement' | 'regression' | 'increase' | 'decrease' };
  range?: { from: string; to: string };
  /** stopped by a signal: the configurations measured so far, no result */
  interrupted?: true;
}

/** A signal stopped the bisection (measureUntil's stop). */
class Stopped extends Error {}

/** Noise rule: 3 run-to-run standard deviations (the larger of the two ends), at least 2% of the
 *  base value (the model's resolution for the effects we care about). */
export const NOISE_SIGMAS = 3;
export const NOISE_FLOOR = 0.02;

export async function metricBisect(workload: string, seriesId: string, base: ConfigWords, metric: string, runs: number, seed: number,
  onStep?: (s: MetricStep) => void, stop: () => boolean = () => false): Promise<MetricBisectResult> {
  const found = findWorkload(workload);
  if (!found) throw new UsageError(`unknown workload '${workload}' (known: ${WORKLOADS.map((w) => w.name).join(', ')})`);
  const sc = found;
  const series = findSeries(seriesId);
  const n = series.patches.length;
  if (base.apply.some((a) => a === seriesId || a.startsWith(seriesId + ':') || a.startsWith(seriesId + '/')))
    throw new UsageError(`--apply ${seriesId} conflicts with bisecting it: bisect applies the series' patches itself`);
  const cache = new Map<number, MetricStep>();
  const values = new Map<number, number[]>();
  const steps: MetricStep[] = [];
  const test = async (k: number): Promise<MetricStep> => {
    const hit = cache.get(k);
    if (hit) return hit;
    const spec = k === 0 ? '(none)' : `${seriesId}:1-${k}`;
    const words: ConfigWords = { ...base, apply: k === 0 ? base.apply : [...base.apply, spec] };
    let step: MetricStep;
    try {
      const r = await resolveTimed(words, sc);
      const m = measureUntil(r, sc, runs, seed, undefined, stop);
      if (!m) throw new Stopped();
      const e = m.metrics.get(metric);
      if (!e) throw new UsageError(`no metric '${metric}' (known: ${[...m.metrics.keys()].join(', ')})`);
      values.set(k, e.values);
      step = { k, spec, verdict: 'good', value: summary(e.values), seconds: m.seconds };
    } catch (err) {
      // as in bisect.ts: the user's own configuration (k = 0) failing is bad input, not a skip
      if (err instanceof UntestableError || (err instanceof UsageError && !/^no metric/.test(err.message) && k > 0)) step = { k, spec, verdict: 'skip', reason: err.message };
      else throw err;
    }
    cache.set(k, step);
    steps.push(step);
    onStep?.(step);
    return step;
  };

  let out: MetricBisectResult = { series: seriesId, scenario: sc.name, metric, threshold: null, steps, result: null };
  try {
    await search();
  } catch (e) {
    if (!(e instanceof Stopped)) throw e;
    steps.sort((a, b) => a.k - b.k);
    return { ...out, interrupted: true };
  }
  return out;

  async function search() {
    const s0 = await test(0);
    const sn = await test(n);
    if (s0.verdict === 'skip' || sn.verdict === 'skip')
      throw new UntestableError(`cannot test ${s0.verdict === 'skip' ? 'the configuration without the series' : 'the whole series'}: ${(s0.verdict === 'skip' ? s0 : sn).reason}`);
    const B = s0.value!.mean, F = sn.value!.mean;
    const sigma = Math.max(s0.value!.stddev, sn.value!.stddev);
    const T = Math.max(NOISE_SIGMAS * sigma, NOISE_FLOOR * Math.abs(B));
    const dir = Math.sign(F - B);
    const moved = (s: MetricStep) => dir * (s.value!.mean - B) > T;
    const classify = (s: MetricStep) => {
      if (s.verdict === 'skip') return;
      s.verdict = moved(s) ? 'bad' : 'good';
      s.change_pct = B !== 0 ? ((s.value!.mean - B) / Math.abs(B)) * 100 : 0;
    };
    classify(s0);
    classify(sn);
    out = {
      series: seriesId, scenario: sc.name, metric,
      threshold: { value: T, rule: `max(${NOISE_SIGMAS} x run-to-run stddev, ${NOISE_FLOOR * 100}% of the base)`, noise_stddev: sigma, base: B },
      steps, result: null,
    };
    if (!(Math.abs(F - B) > T)) { steps.sort((a, b) => a.k - b.k); return; }
    let lo = 0, hi = n;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      let probe = await test(mid);
      for (let d = 1; probe.verdict === 'skip'; d++) {
        const up = mid + d, down = mid - d;
        if (up >= hi && down <= lo) break;
        if (up < hi) { probe = await test(up); if (probe.verdict !== 'skip') break; }
        if (down > lo) { probe = await test(down); if (probe.verdict !== 'skip') break; }
      }
      if (probe.verdict === 'skip') break;
      classify(probe);
      if (probe.verdict === 'bad') hi = probe.k; else lo = probe.k;
    }
    const better = metric.endsWith('_per_s') && !/(rmw|transfer|ipi|scan|cr3|flush)/.test(metric);
    const change = dir > 0 ? (better ? 'improvement' : 'increase') : better ? 'regression' : 'decrease';
    if (hi - lo === 1) {
      const p = series.patches[hi - 1];
      out.result = { first: { id: p.id, title: p.title }, direction: 'introduces', change };
    } else {
      out.range = { from: series.patches[lo].id, to: series.patches[hi - 1].id };
    }
    steps.sort((a, b) => a.k - b.k);
  }
}

async function run(p: Parsed): Promise<number> {
  const workload = p.positional[0];
  if (!workload) throw new UsageError(`missing <workload> (known: ${WORKLOADS.map((w) => w.name).join(', ')})`);
  const seriesId = p.flags.get('--series')!;
  const metric = p.flags.get('--metric')!;
  const runs = intFlag(p, '--runs', 3);
  if (runs < 1) throw new UsageError('--runs must be at least 1');
  const seed = intFlag(p, '--seed', 1);
  const json = p.bools.has('--json');
  const prog = progressFor(p, `bisect ${workload}`);
  const t0 = performance.now();
  const res = await metricBisect(workload, seriesId, p.words, metric, runs, seed, (s) => prog.update(`tested ${s.spec}`), stopRequested);
  const exit = res.interrupted ? interruptedExit(false) : 0;
  prog.done();
  const secs = (performance.now() - t0) / 1000;
  if (json) {
    process.stdout.write(JSON.stringify({ command: 'bisect', mode: 'metric', ...res, runs, seed, seconds: Number(secs.toFixed(3)) }, null, 2) + '\n');
    return exit;
  }
  const series = findSeries(seriesId);
  const o: string[] = [];
  const cfg = [p.words.arch ? `arch ${p.words.arch}` : 'arch x86', p.words.cpus ? `${p.words.cpus} CPUs` : null, ...p.words.apply.map((a) => `+${a}`)].filter(Boolean).join(', ');
  o.push(`bisect ${res.scenario} over ${seriesId} (${series.patches.length} patches) by ${metric}: ${cfg}; ${runs} timing runs per configuration, seeds ${seed}-${seed + runs - 1}`);
  if (res.threshold) o.push(`threshold: a configuration has moved when ${metric} differs from the base (${fmtNum(res.threshold.base)}) by more than ${fmtNum(res.threshold.value)} = ${res.threshold.rule} (stddev ${fmtNum(res.threshold.noise_stddev)}), in the direction of the whole series' change`);
  for (const s of res.steps) {
    const v = !res.threshold && s.verdict !== 'skip' ? '     ' : s.verdict === 'bad' ? 'moved' : s.verdict === 'good' ? 'base ' : 'skip ';
    const rsd = `${fmtNum(s.value?.mean ?? 0)} ±${s.value?.mean ? ((s.value.stddev / Math.abs(s.value.mean)) * 100).toFixed(1) : '0'}%`;
    const what = s.verdict === 'skip' ? s.reason : s.change_pct === undefined ? rsd : `${rsd}  ${s.change_pct >= 0 ? '+' : ''}${s.change_pct.toFixed(1)}%`;
    o.push(`  ${s.spec.padEnd(16)} ${v}  ${what}${s.seconds !== undefined ? `  (${s.seconds.toFixed(2)} s)` : ''}`);
  }
  if (res.interrupted) {
    o.push('', `interrupted: ${res.steps.length} configurations measured before the stop; no result (a partial bisection)`);
  } else if (res.result) {
    o.push('', `first patch that moves ${metric} beyond noise: ${res.result.first.id} "${res.result.first.title}"`);
    o.push(`direction: introduces (${res.result.change} at ${res.result.first.id})`);
  } else if (res.range) {
    o.push('', `the change lies between ${res.range.from} and ${res.range.to} (configurations in between could not be tested)`);
  } else {
    o.push('', `no change beyond noise: ${metric} is the same with and without ${seriesId}`);
  }
  o.push('', `${res.steps.length} configurations in ${secs.toFixed(2)} s`);
  process.stdout.write(o.join('\n') + '\n');
  return exit;
}

METRIC_BISECT.run = run;

// lazymm ab <workload> --a CONFIG --b CONFIG [--cpus LIST] [--runs N] [--seed N] [--out DIR] [--json]
// Runs both configurations with the timing driver (core/timing), N seeded runs each, and prints
// an LKP-style comparison. A CPU list (--cpus 1,2,4,...,192) sweeps and writes a CSV and an SVG.
import path from 'node:path';
import { intFlag, progressFor, compactIds, type Parsed } from './common.ts';
import { parseConfigString, type ConfigWords } from '../config.ts';
import { UsageError } from '../errors.ts';
import { checkOutDir, writeAtomic, inside } from '../outputs.ts';
import { stopRequested, interruptedExit } from '../interrupt.ts';
import { abPointUntil, lkpTable, headline, sweepCsv, parseCpuList, fmtNum, type AbPoint } from '../timing/ab.ts';
import { sweepTable, sweepBaseName, type Sweep } from '../render/sweep.ts';
import { sweepSvg, type YScale } from '../render/plot.ts';
import { sweepTextPlot } from '../render/textplot.ts';
import { replayArgsOf } from './run.ts';
import { MAX_TIMING_CPUS } from '../timing/measure.ts';
import { findProfile } from '../../model/drivers/timing/profile.ts';
import { loadWorkload } from './workload.ts';
import { currentRunner } from '../parallel/current.ts';
import { abPointsOn } from '../parallel/ab.ts';
import '../timing/metric-bisect.ts'; // sets METRIC_BISECT.run (lazymm bisect --metric)

function merge(common: ConfigWords, side: ConfigWords): ConfigWords {
  return {
    arch: side.arch ?? common.arch,
    kernel: side.kernel ?? common.kernel,
    cpus: side.cpus ?? common.cpus,
    apply: [...common.apply, ...side.apply],
    without: [...common.without, ...side.without],
    set: [...common.set, ...side.set],
    dropSteps: [...common.dropSteps, ...side.dropSteps],
    force: common.force || side.force,
  };
}

export async function cmdAb(p: Parsed): Promise<number> {
  // --cpus takes a list here (a sweep), not the config word's one number
  let cpuList: number[] | null = null;
  const cv = p.flags.get('--cpus');
  if (cv !== undefined) {
    try { cpuList = parseCpuList(cv); } catch (e) { throw new UsageError((e as Error).message); }
    if (!cpuList.length || cpuList[cpuList.length - 1] > MAX_TIMING_CPUS) throw new UsageError(`--cpus: 1 to ${MAX_TIMING_CPUS} CPUs`);
  }
  if (p.bools.has('--log-y') && p.bools.has('--linear-y')) throw new UsageError('give --log-y or --linear-y, not both');
  const yScale: YScale = p.bools.has('--log-y') ? 'log' : p.bools.has('--linear-y') ? 'linear' : 'auto';
  const sc = await loadWorkload(p.positional[0]);
  if (!p.flags.has('--a') || !p.flags.has('--b')) throw new UsageError('ab needs --a CONFIG and --b CONFIG (e.g. --a "--arch x86" --b "--arch x86 --apply lazy-mm")');
  const wa = merge(p.words, parseConfigString(p.flags.get('--a')!));
  const wb = merge(p.words, parseConfigString(p.flags.get('--b')!));
  const runs = intFlag(p, '--runs', 3);
  if (runs < 1) throw new UsageError('--runs must be at least 1');
  const seed = intFlag(p, '--seed', 1);
  const json = p.bools.has('--json');
  const cpus = cpuList ?? [wa.cpus ?? wb.cpus ?? sc.cpus?.default ?? 8];
  // A sweep's files: --out checked before the work; names carry the workload (made safe), both
  // configurations and the sweep (render/sweep.ts), so two different sweeps never share a file.
  const isSweep = cpuList !== null && cpuList.length > 1;
  if (!isSweep && p.flags.has('--out')) throw new UsageError('--out is for a sweep (--cpus LIST with more than one entry): a single point writes no files');
  const outDir = p.flags.get('--out') ?? '.';
  if (isSweep) checkOutDir(outDir);
  const files = isSweep ? sweepFiles(outDir, sweepBaseName({
    workload: sc.name, axis: { key: 'cpus', label: '' }, a: { config: p.flags.get('--a')!, machine: '' }, b: { config: p.flags.get('--b')!, machine: '' },
    runs, seed, window: '', points: cpus.map((x) => ({ x, metrics: [] })),
  }, replayArgsOf(p.words))) : null;
  const prog = progressFor(p, `ab ${sc.name}`);
  const t0 = performance.now();
  let points: AbPoint[] = [];
  let interrupted = false;
  const runner = currentRunner();
  if (runner.kind !== 'local') {
    // --jobs/--shard: every run is a task (core/lab/parallel/ab.ts), the points come back in order
    points = await abPointsOn(runner, p.positional[0]!, sc, wa, wb, cpus, runs, seed, (i, n) => prog.update(`run ${i}/${n}`));
    if (files) writeAtomic(files.csv, sweepCsv(points));
  } else for (const n of cpus) {
    // SIGINT/SIGTERM: stop between points (a point is all its runs); the CSV keeps finished points
    if (stopRequested()) { interrupted = true; break; }
    const pt = await abPointUntil(sc, wa, wb, n, runs, seed, (side, i) => prog.update(`${n} CPUs: ${side} run ${i + 1}/${runs}`), stopRequested);
    if (!pt) { interrupted = true; break; }
    points.push(pt);
    if (files) writeAtomic(files.csv, sweepCsv(points));
  }
  prog.done();
  const secs = (performance.now() - t0) / 1000;
  if (!points.length) {
    process.stdout.write(json ? JSON.stringify({ command: 'ab', scenario: sc.name, runs, seed, interrupted: true, points: 0 }, null, 2) + '\n' : `ab ${sc.name}: interrupted before the first point finished\n`);
    return interruptedExit(false);
  }
  const last = points[points.length - 1];
  const param = (w: ConfigWords, name: string, dflt: string) => {
    let v = sc.params?.[name] ?? dflt;
    for (const kv of w.set) if (kv.startsWith(`${name}=`)) v = kv.slice(name.length + 1);
    return Number(v);
  };
  const warmOf = (w: ConfigWords, machine: string) => Math.max(param(w, 'timing_warmup_ns', '30000'), findProfile(machine).warmupNs) / 1000;
  const [wA, wB] = [warmOf(wa, last.machine.a), warmOf(wb, last.machine.b)];
  const window = `virtual window ${param(wa, 'timing_duration_ns', '200000') / 1000} us after ${wA === wB ? wA : `${wA}/${wB}`} us warm-up`;
  const sweep: Sweep = {
    workload: sc.name, axis: { key: 'cpus', label: 'CPUs (machine size)' },
    a: { config: p.flags.get('--a')!, machine: last.machine.a }, b: { config: p.flags.get('--b')!, machine: last.machine.b },
    runs, seed, window, points: points.map((pt) => ({ x: pt.cpus, metrics: pt.metrics })),
  };
  const metric = headline(last.metrics, sc.name);
  if (files) {
    // the CSV was written after every point; the plots show the points that finished
    writeAtomic(files.svg, sweepSvg(sweep, metric, yScale));
    writeAtomic(files.txt, sweepTextPlot(sweep, metric, yScale).join('\n') + '\n');
  }
  if (json) {
    process.stdout.write(JSON.stringify({
      command: 'ab', scenario: sc.name, runs, seed,
      a: { config: p.flags.get('--a'), arch: last.arch.a, machine: last.machine.a, patches: last.patches.a },
      b: { config: p.flags.get('--b'), arch: last.arch.b, machine: last.machine.b, patches: last.patches.b },
      cpus: last.cpus,
      metrics: last.metrics.map(({ name, unit, a, b, change_pct, p: pv }) => ({ name, unit, a, b, change_pct, p: pv })),
      hot_lines: last.hot_lines,
      sweep: points.length > 1 ? points.map((pt) => ({ cpus: pt.cpus, metrics: pt.metrics.map(({ name, unit, a, b, change_pct, p: pv }) => ({ name, unit, a, b, change_pct, p: pv })) })) : undefined,
      files: files ?? undefined,
      seconds: Number(secs.toFixed(3)),
      ...(interrupted ? { interrupted: true } : {}),
    }, null, 2) + '\n');
    return interrupted ? interruptedExit(false) : 0;
  }
  const o: string[] = [];
  o.push(`ab ${sc.name}: ${runs} runs per side (seeds ${seed}-${seed + runs - 1}), ${window}`);
  o.push(`  a: ${p.flags.get('--a')}  [arch ${last.arch.a}, machine ${last.machine.a}, ${last.patches.a.length ? compactIds(last.patches.a) : 'baseline'}]`);
  o.push(`  b: ${p.flags.get('--b')}  [arch ${last.arch.b}, machine ${last.machine.b}, ${last.patches.b.length ? compactIds(last.patches.b) : 'baseline'}]`);
  if (points.length === 1) {
    o.push('', `${last.cpus} CPUs:`);
    o.push(...lkpTable(last.metrics).map((l) => '  ' + l));
    const h = last.metrics.find((m) => m.name === metric);
    if (h && h.a.mean > 0) o.push(`  ${h.name}: b/a = ${(h.b.mean / h.a.mean).toFixed(2)}x`);
  } else {
    // one LKP-like table for the whole sweep, then the headline as a text plot
    o.push('', ...sweepTable(sweep, metric).map((l) => '  ' + l));
    const ratios = points.map((pt) => { const h = pt.metrics.find((m) => m.name === metric); return h && h.a.mean > 0 ? `${(h.b.mean / h.a.mean).toFixed(2)}x@${pt.cpus}` : `-@${pt.cpus}`; });
    o.push(`  ${metric} b/a: ${ratios.join(' ')}`);
    o.push('', ...sweepTextPlot(sweep, metric, yScale).map((l) => (l ? '  ' + l : '')));
  }
  o.push('', `hottest lines at ${last.cpus} CPUs (RMW/s, transfers/s):`);
  for (const side of ['a', 'b'] as const)
    o.push(`  ${side}: ${last.hot_lines[side].slice(0, 3).map((l) => `${l.line} ${fmtNum(l.rmw_per_s)}/${fmtNum(l.transfers_per_s)}`).join('; ')}`);
  o.push('', 'sig: Welch t-test over the runs, ** p < 0.01, * p < 0.05; %stddev shown above 2% (lkp-tests compare); runs a:b.');
  o.push('Variance comes only from the seeds (cost jitter, start offsets): the same seed gives the same numbers.');
  if (files) o.push(`wrote ${files.csv}, ${files.svg} and ${files.txt}`);
  o.push(`${points.length * 2 * runs} timing runs in ${secs.toFixed(2)} s`);
  if (interrupted) o.push(`interrupted: ${points.length} of ${cpus.length} points finished (a partial result)`);
  process.stdout.write(o.join('\n') + '\n');
  return interrupted ? interruptedExit(false) : 0;
}

/** dir/BASE.csv, .svg and .txt: inside dir whatever the workload's name says. */
export function sweepFiles(dir: string, base: string): { csv: string; svg: string; txt: string } {
  for (const ext of ['.csv', '.svg', '.txt']) inside(dir, base + ext);
  return { csv: path.join(dir, `${base}.csv`), svg: path.join(dir, `${base}.svg`), txt: path.join(dir, `${base}.txt`) };
}

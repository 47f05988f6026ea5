// lazymm ab <workload> --a CONFIG --b CONFIG [--cpus LIST] [--runs N] [--seed N] [--out DIR] [--json]
// Runs both configurations with the timing driver (core/timing), N seeded runs each, and prints
// an LKP-style comparison. A CPU list (--cpus 1,2,4,...,192) sweeps and writes a CSV and an SVG.
import fs from 'node:fs';
import path from 'node:path';
import { intFlag, progressFor, compactIds, type Parsed } from './common.ts';
import { parseConfigString, type ConfigWords } from '../config.ts';
import { UsageError } from '../errors.ts';
import { lkpTable, headline, sweepCsv, parseCpuList, fmtNum, type AbPoint } from '../timing/ab.ts';
import { sweepTable, sweepBaseName, type Sweep } from '../render/sweep.ts';
import { sweepSvg, type YScale } from '../render/plot.ts';
import { sweepTextPlot } from '../render/textplot.ts';
import { replayArgsOf } from './run.ts';
import { MAX_TIMING_CPUS } from '../timing/measure.ts';
import { findProfile } from '../../model/drivers/timing/profile.ts';
import { currentRunner } from '../parallel/current.ts';
import { abPointsOn } from '../parallel/ab.ts';
import { loadWorkload } from './workload.ts';
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
  const prog = progressFor(p, `ab ${sc.name}`);
  const t0 = performance.now();
  const points: AbPoint[] = await abPointsOn(currentRunner(), p.positional[0]!, sc, wa, wb, cpus, runs, seed, (i, n) => prog.update(`run ${i}/${n}`));
  prog.done();
  const secs = (performance.now() - t0) / 1000;
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
  let files: { csv: string; svg: string; txt: string } | null = null;
  if (points.length > 1) {
    // names carry the workload, both configurations and the sweep: two sweeps never collide
    const dir = p.flags.get('--out') ?? '.';
    fs.mkdirSync(dir, { recursive: true });
    const base = path.join(dir, sweepBaseName(sweep, replayArgsOf(p.words)));
    files = { csv: `${base}.csv`, svg: `${base}.svg`, txt: `${base}.txt` };
    fs.writeFileSync(files.csv, sweepCsv(points));
    fs.writeFileSync(files.svg, sweepSvg(sweep, metric, yScale));
    fs.writeFileSync(files.txt, sweepTextPlot(sweep, metric, yScale).join('\n') + '\n');
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
    }, null, 2) + '\n');
    return 0;
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
  process.stdout.write(o.join('\n') + '\n');
  return 0;
}

// lazymm ab <workload> --a CONFIG --b CONFIG [--cpus LIST] [--threads LIST] [--runs N] [--seed N]
//           [--out DIR] [--json]
// Runs both configurations with the timing driver (core/model/drivers/timing), N seeded runs each,
// and prints an LKP-style comparison. --cpus is the machine's size (default: the machine
// profile's); --threads is will-it-scale's -t on that machine. A list of either (1,2,4,...,192)
// sweeps and writes a CSV, an SVG and a text plot; a point the workload has a published figure for
// shows it beside the model's.
import path from 'node:path';
import { intFlag, progressFor, compactIds, type Parsed } from './common.ts';
import { parseConfigString, type ConfigWords } from '../config.ts';
import { UsageError } from '../errors.ts';
import { checkOutDir, writeAtomic, inside } from '../outputs.ts';
import { stopRequested, interruptedExit } from '../interrupt.ts';
import { abPointUntil, lkpTable, headline, sweepCsv, parseCpuList, fmtNum, sumOracles, type AbPoint, type AbOracles, type PublishedAt } from '../timing/ab.ts';
import { describeCoverage } from '../../model/drivers/coverage.ts';
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

/** will-it-scale -t beyond the machine: overcommit (more tasks than CPUs) is a workload too. */
const MAX_TIMING_TASKS = 8192;
const fmtPct = (v: number | null) => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`);

/** A list-valued flag (--cpus 1,2,...,8, --threads 1,2,3,6): the config words take one number. */
function listFlag(p: Parsed, name: string, max: number, what: string): number[] | null {
  const v = p.flags.get(name);
  if (v === undefined) return null;
  let list: number[];
  try { list = parseCpuList(v, name); } catch (e) { throw new UsageError((e as Error).message); }
  if (!list.length || list[list.length - 1] > max) throw new UsageError(`${name}: 1 to ${max} ${what}`);
  return list;
}

/** The published figures of a point, one line each. */
function publishedLines(q: PublishedAt[], machine: string): string[] {
  return q.map((x) => `${x.metric}: model ${fmtPct(x.model_pct)}; published ${fmtPct(x.published_pct)} (${x.label}, on ${x.machine}${x.machine !== machine ? `; this run: ${machine}` : ''})`);
}

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
  // --cpus and --threads take a list here (a sweep), not the config words' one number
  const cpuList = listFlag(p, '--cpus', MAX_TIMING_CPUS, 'CPUs');
  const threadList = listFlag(p, '--threads', MAX_TIMING_TASKS, 'tasks');
  if (cpuList && cpuList.length > 1 && threadList && threadList.length > 1) throw new UsageError('sweep either --cpus or --threads, not both');
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
  // --cpus is the machine (default: side a's machine profile); --threads the workload's size
  const cpus: (number | undefined)[] = cpuList ?? [wa.cpus ?? wb.cpus];
  const threads: (number | undefined)[] = threadList ?? [undefined];
  const byThreads = threadList !== null && threadList.length > 1;
  // A sweep's files: --out checked before the work; names carry the workload (made safe), both
  // configurations and the sweep (render/sweep.ts), so two different sweeps never share a file.
  const isSweep = (cpuList !== null && cpuList.length > 1) || byThreads;
  if (!isSweep && p.flags.has('--out')) throw new UsageError('--out is for a sweep (--cpus or --threads LIST with more than one entry): a single point writes no files');
  const outDir = p.flags.get('--out') ?? '.';
  if (isSweep) checkOutDir(outDir);
  const xs = byThreads ? threadList! : cpus.map((x) => x ?? 0);
  const files = isSweep ? sweepFiles(outDir, sweepBaseName({
    workload: sc.name, axis: { key: byThreads ? 'threads' : 'cpus', label: '' }, a: { config: p.flags.get('--a')!, machine: '' }, b: { config: p.flags.get('--b')!, machine: '' },
    runs, seed, window: '', points: xs.map((x) => ({ x, metrics: [] })),
  }, replayArgsOf(p.words))) : null;
  const prog = progressFor(p, `ab ${sc.name}`);
  const t0 = performance.now();
  let points: AbPoint[] = [];
  let interrupted = false;
  const runner = currentRunner();
  if (runner.kind !== 'local') {
    // --jobs/--shard: every run is a task (core/lab/parallel/ab.ts), the points come back in order
    points = await abPointsOn(runner, p.positional[0]!, sc, wa, wb, cpus, threads, runs, seed, (i, n) => prog.update(`run ${i}/${n}`));
    if (files) writeAtomic(files.csv, sweepCsv(points, byThreads));
  } else for (const n of cpus) {
    for (const t of threads) {
      // SIGINT/SIGTERM: stop between points (a point is all its runs); the CSV keeps finished points
      if (stopRequested()) { interrupted = true; break; }
      const at = `${n ?? 'default'} CPUs${t !== undefined ? `, -t ${t}` : ''}`;
      const pt = await abPointUntil(sc, wa, wb, n, runs, seed, (side, i) => prog.update(`${at}: ${side} run ${i + 1}/${runs}`), stopRequested, t);
      if (!pt) { interrupted = true; break; }
      points.push(pt);
      if (files) writeAtomic(files.csv, sweepCsv(points, byThreads));
    }
    if (interrupted) break;
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
    workload: sc.name,
    axis: byThreads ? { key: 'threads', label: `tasks (will-it-scale -t) on ${last.cpus} CPUs` } : { key: 'cpus', label: 'CPUs (machine size)' },
    a: { config: p.flags.get('--a')!, machine: last.machine.a }, b: { config: p.flags.get('--b')!, machine: last.machine.b },
    runs, seed, window, points: points.map((pt) => ({ x: byThreads ? pt.threads ?? pt.cpus : pt.cpus, metrics: pt.metrics })),
  };
  const metric = headline(last.metrics, sc.name);
  // what the oracles saw: every timing run is one schedule, so this is a sample, said as such
  const oracles = { a: sumOracles(points.map((pt) => pt.oracles.a)), b: sumOracles(points.map((pt) => pt.oracles.b)) };
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
      threads: last.threads,
      metrics: last.metrics.map(({ name, unit, a, b, change_pct, p: pv }) => ({ name, unit, a, b, change_pct, p: pv })),
      published: last.published.length ? last.published : undefined,
      hot_lines: last.hot_lines,
      // a sweep's points (DESIGN.md: points: [{threads, cpus, metrics}]); `sweep` is the same list
      // under its earlier name
      ...(points.length > 1 ? (() => {
        const list = points.map((pt) => ({
          threads: pt.threads, cpus: pt.cpus,
          metrics: pt.metrics.map(({ name, unit, a, b, change_pct, p: pv }) => ({ name, unit, a, b, change_pct, p: pv })),
          published: pt.published.length ? pt.published : undefined,
        }));
        return { points: list, sweep: list };
      })() : {}),
      oracles,
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
    o.push('', `${last.cpus} CPUs${last.threads !== null ? `, -t ${last.threads}` : ''}:`);
    o.push(...lkpTable(last.metrics).map((l) => '  ' + l));
    const h = last.metrics.find((m) => m.name === metric);
    if (h && h.a.mean > 0) o.push(`  ${h.name}: b/a = ${(h.b.mean / h.a.mean).toFixed(2)}x`);
    o.push(...publishedLines(last.published, last.machine.a).map((l) => '  ' + l));
  } else {
    // one LKP-like table for the whole sweep, then the headline as a text plot
    o.push('', ...sweepTable(sweep, metric).map((l) => '  ' + l));
    const xOf = (pt: AbPoint) => (byThreads ? pt.threads ?? pt.cpus : pt.cpus);
    const ratios = points.map((pt) => { const h = pt.metrics.find((m) => m.name === metric); return h && h.a.mean > 0 ? `${(h.b.mean / h.a.mean).toFixed(2)}x@${xOf(pt)}` : `-@${xOf(pt)}`; });
    o.push(`  ${metric} b/a: ${ratios.join(' ')}`);
    // the model beside the published figures the workload declares (one row per point that has one)
    const pub = points.filter((pt) => pt.published.length);
    if (pub.length) {
      o.push('', `  model vs published (${pub[0].published[0].label}; ${pub[0].published[0].metric} %change):`);
      o.push(`  ${(byThreads ? 'threads' : 'cpus').padStart(7)}  ${'model'.padStart(9)}  ${'published'.padStart(9)}  ${'diff (pp)'.padStart(9)}`);
      for (const pt of pub) {
        const q = pt.published[0];
        const d = q.model_pct === null ? 'n/a' : (q.model_pct - q.published_pct >= 0 ? '+' : '') + (q.model_pct - q.published_pct).toFixed(1);
        o.push(`  ${String(xOf(pt)).padStart(7)}  ${fmtPct(q.model_pct).padStart(9)}  ${fmtPct(q.published_pct).padStart(9)}  ${d.padStart(9)}`);
      }
      if (pub[0].published[0].machine !== last.machine.a) o.push(`  (published on ${pub[0].published[0].machine}; this run: ${last.machine.a})`);
    }
    o.push('', ...sweepTextPlot(sweep, metric, yScale).map((l) => (l ? '  ' + l : '')));
  }
  o.push('', `hottest lines at ${last.cpus} CPUs (RMW/s, transfers/s):`);
  for (const side of ['a', 'b'] as const)
    o.push(`  ${side}: ${last.hot_lines[side].slice(0, 3).map((l) => `${l.line} ${fmtNum(l.rmw_per_s)}/${fmtNum(l.transfers_per_s)}`).join('; ')}`);
  o.push('', 'oracles (timing runs are schedules the timing driver chose: a sample, not a verification):');
  for (const side of ['a', 'b'] as const) o.push(`  ${side}: ${oracleLine(oracles[side])}`);
  o.push('', 'sig: Welch t-test over the runs, ** p < 0.01, * p < 0.05; %stddev shown above 2% (lkp-tests compare); runs a:b.');
  o.push('Variance comes only from the seeds (cost jitter, start offsets): the same seed gives the same numbers.');
  if (files) o.push(`wrote ${files.csv}, ${files.svg} and ${files.txt}`);
  o.push(`${points.length * 2 * runs} timing runs in ${secs.toFixed(2)} s`);
  if (interrupted) o.push(`interrupted: ${points.length} of ${cpus.length} points finished (a partial result)`);
  process.stdout.write(o.join('\n') + '\n');
  return interrupted ? interruptedExit(false) : 0;
}

/** "no violation: sampled: 6 schedules of timing, seed 1", or the reports, one per run. */
function oracleLine(o: AbOracles): string {
  if (!o.violations.length) return `no violation: ${describeCoverage(o.coverage)}`;
  const first = o.violations[0];
  return `VIOLATION in ${o.violations.length} of ${o.coverage.schedules} timing runs; seed ${first.seed}: [${first.oracle}] ${first.message} (its numbers above come from a kernel that broke)`;
}

/** dir/BASE.csv, .svg and .txt: inside dir whatever the workload's name says. */
export function sweepFiles(dir: string, base: string): { csv: string; svg: string; txt: string } {
  for (const ext of ['.csv', '.svg', '.txt']) inside(dir, base + ext);
  return { csv: path.join(dir, `${base}.csv`), svg: path.join(dir, `${base}.svg`), txt: path.join(dir, `${base}.txt`) };
}

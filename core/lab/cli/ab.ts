// lazymm ab <workload> --a CONFIG --b CONFIG [--cpus LIST] [--threads LIST] [--runs N] [--seed N]
//           [--out DIR] [--json]
// Runs both configurations with the timing driver (core/model/drivers/timing), N seeded runs each,
// and prints an LKP-style comparison. --cpus is the machine's size (default: the machine
// profile's); --threads is will-it-scale's -t on that machine. A list of either (1,2,4,...,192)
// sweeps and writes a CSV and an SVG; a point the workload has a published figure for shows it.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, intFlag, loadScenario, progressFor, compactIds } from './common.ts';
import { parseConfigString, type ConfigWords } from '../config.ts';
import { UsageError } from '../errors.ts';
import { findWorkload, WORKLOADS } from '../../../scenarios/perf/index.ts';
import type { ScenarioDef } from '../../model/index.ts';
import { abPoint, lkpTable, headline, sweepCsv, sweepSvg, parseCpuList, fmtNum, type AbPoint } from '../timing/ab.ts';
import { MAX_TIMING_CPUS } from '../timing/measure.ts';

/** will-it-scale -t beyond the machine: overcommit (more tasks than CPUs) is a workload too. */
const MAX_TIMING_TASKS = 8192;
const fmtPct = (v: number | null) => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`);
import { findProfile } from '../../model/drivers/timing/profile.ts';
import '../timing/metric-bisect.ts'; // sets METRIC_BISECT.run (lazymm bisect --metric)

export async function loadWorkload(name: string | undefined): Promise<ScenarioDef> {
  const w = name ? findWorkload(name) : undefined;
  if (w) return w;
  if (name && /\.(ts|js|mjs)$/.test(name)) return loadScenario(name);
  if (name) {
    try { return await loadScenario(name); } catch { /* fall through to the workload message */ }
  }
  throw new UsageError(`${name ? `unknown workload '${name}'` : 'missing <workload>'} (known: ${WORKLOADS.map((x) => x.name).join(', ')})`);
}

function merge(common: ConfigWords, side: ConfigWords): ConfigWords {
  return {
    arch: side.arch ?? common.arch,
    cpus: side.cpus ?? common.cpus,
    apply: [...common.apply, ...side.apply],
    without: [...common.without, ...side.without],
    set: [...common.set, ...side.set],
    dropSteps: [...common.dropSteps, ...side.dropSteps],
    force: common.force || side.force,
  };
}

/** Take a list-valued flag (--cpus 1,2,...,8) out of argv: the config parser takes one number. */
function takeList(args: string[], names: string[], max: number, what: string): number[] | null {
  const i = args.findIndex((a) => names.includes(a));
  if (i < 0) return null;
  const v = args[i + 1];
  if (v === undefined) throw new UsageError(`${args[i]} needs a value`);
  let list: number[];
  try { list = parseCpuList(v, args[i]); } catch (e) { throw new UsageError((e as Error).message); }
  if (!list.length || list[list.length - 1] > max) throw new UsageError(`${args[i]}: 1 to ${max} ${what}`);
  args.splice(i, 2);
  if (args.some((a) => names.includes(a))) throw new UsageError(`${names[0]} given twice`);
  return list;
}

export async function cmdAb(argv: string[]): Promise<number> {
  const args = argv.slice();
  const cpuList = takeList(args, ['--cpus'], MAX_TIMING_CPUS, 'CPUs');
  const threadList = takeList(args, ['--threads', '-t'], MAX_TIMING_TASKS, 'tasks');
  if (cpuList && cpuList.length > 1 && threadList && threadList.length > 1) throw new UsageError('sweep either --cpus or --threads, not both');
  const p = parseArgs(args, ['--a', '--b', '--runs', '--seed', '--out'], ['--json']);
  const sc = await loadWorkload(p.positional[0]);
  if (p.positional.length > 1) throw new UsageError(`unexpected argument '${p.positional[1]}'`);
  if (!p.flags.has('--a') || !p.flags.has('--b')) throw new UsageError('ab needs --a CONFIG and --b CONFIG (e.g. --a "--arch x86" --b "--arch x86 --apply lazy-mm")');
  const wa = merge(p.words, parseConfigString(p.flags.get('--a')!));
  const wb = merge(p.words, parseConfigString(p.flags.get('--b')!));
  const runs = intFlag(p, '--runs', 3);
  if (runs < 1) throw new UsageError('--runs must be at least 1');
  const seed = intFlag(p, '--seed', 1);
  const json = p.bools.has('--json');
  // --cpus is the machine (default: side a's machine profile); --threads the workload's size.
  const cpus: (number | undefined)[] = cpuList ?? [wa.cpus ?? wb.cpus];
  const threads: (number | undefined)[] = threadList ?? [undefined];
  const prog = progressFor(p, `ab ${sc.name}`);
  const t0 = performance.now();
  const points: AbPoint[] = [];
  for (const n of cpus) {
    for (const t of threads) {
      const at = `${n ?? 'default'} CPUs${t !== undefined ? `, -t ${t}` : ''}`;
      points.push(await abPoint(sc, wa, wb, n, runs, seed, (side, i) => prog.update(`${at}: ${side} run ${i + 1}/${runs}`), t));
    }
  }
  const byThreads = threadList !== null && threadList.length > 1;
  prog.done();
  const secs = (performance.now() - t0) / 1000;
  const last = points[points.length - 1];
  let files: { csv: string; svg: string } | null = null;
  if (points.length > 1) {
    const dir = p.flags.get('--out') ?? '.';
    fs.mkdirSync(dir, { recursive: true });
    const base = path.join(dir, `lazymm-ab-${sc.name}`);
    files = { csv: `${base}.csv`, svg: `${base}.svg` };
    const metric = headline(last.metrics, sc.name);
    fs.writeFileSync(files.csv, sweepCsv(points, byThreads));
    fs.writeFileSync(files.svg, sweepSvg(points, metric, `${sc.name}: ${metric} vs ${byThreads ? `threads (-t) on ${last.cpus} CPUs` : 'CPUs'} (${last.machine.a}${last.machine.b !== last.machine.a ? ` / ${last.machine.b}` : ''})`, p.flags.get('--a')!, p.flags.get('--b')!, byThreads));
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
      sweep: points.length > 1 ? points.map((pt) => ({ cpus: pt.cpus, metrics: pt.metrics.map(({ name, unit, a, b, change_pct, p: pv }) => ({ name, unit, a, b, change_pct, p: pv })) })) : undefined,
      points: points.length > 1 ? points.map((pt) => ({
        threads: pt.threads, cpus: pt.cpus,
        metrics: pt.metrics.map(({ name, unit, a, b, change_pct, p: pv }) => ({ name, unit, a, b, change_pct, p: pv })),
        published: pt.published.length ? pt.published : undefined,
      })) : undefined,
      files: files ?? undefined,
      seconds: Number(secs.toFixed(3)),
    }, null, 2) + '\n');
    return 0;
  }
  const o: string[] = [];
  const param = (w: ConfigWords, name: string, dflt: string) => {
    let v = sc.params?.[name] ?? dflt;
    for (const kv of w.set) if (kv.startsWith(`${name}=`)) v = kv.slice(name.length + 1);
    return Number(v);
  };
  const warmOf = (w: ConfigWords, machine: string) => Math.max(param(w, 'timing_warmup_ns', '30000'), findProfile(machine).warmupNs) / 1000;
  const [wA, wB] = [warmOf(wa, last.machine.a), warmOf(wb, last.machine.b)];
  o.push(`ab ${sc.name}: ${runs} runs per side (seeds ${seed}-${seed + runs - 1}), virtual window ${param(wa, 'timing_duration_ns', '200000') / 1000} us after ${wA === wB ? wA : `${wA}/${wB}`} us warm-up`);
  o.push(`  a: ${p.flags.get('--a')}  [arch ${last.arch.a}, machine ${last.machine.a}, ${last.patches.a.length ? compactIds(last.patches.a) : 'baseline'}]`);
  o.push(`  b: ${p.flags.get('--b')}  [arch ${last.arch.b}, machine ${last.machine.b}, ${last.patches.b.length ? compactIds(last.patches.b) : 'baseline'}]`);
  for (const pt of points) {
    o.push('', `${pt.cpus} CPUs${pt.threads !== null ? `, -t ${pt.threads}` : ''}:`);
    o.push(...lkpTable(pt.metrics).map((l) => '  ' + l));
    const h = pt.metrics.find((m) => m.name === headline(pt.metrics, sc.name))!;
    if (h && h.a.mean > 0) o.push(`  ${h.name}: b/a = ${(h.b.mean / h.a.mean).toFixed(2)}x`);
    for (const q of pt.published) o.push(`  ${q.metric}: model ${fmtPct(q.model_pct)}; published ${fmtPct(q.published_pct)} (${q.label}, on ${q.machine}${q.machine !== pt.machine.a ? `; this run: ${pt.machine.a}` : ''})`);
  }
  o.push('', `hottest lines at ${last.cpus} CPUs (RMW/s, transfers/s):`);
  for (const side of ['a', 'b'] as const)
    o.push(`  ${side}: ${last.hot_lines[side].slice(0, 3).map((l) => `${l.line} ${fmtNum(l.rmw_per_s)}/${fmtNum(l.transfers_per_s)}`).join('; ')}`);
  o.push('', 'sig: Welch t-test over the runs, ** p < 0.01, * p < 0.05; %stddev shown above 2% (lkp-tests compare); runs a:b.');
  o.push('Variance comes only from the seeds (cost jitter, start offsets): the same seed gives the same numbers.');
  if (files) o.push(`wrote ${files.csv} and ${files.svg}`);
  o.push(`${points.length * 2 * runs} timing runs in ${secs.toFixed(2)} s`);
  process.stdout.write(o.join('\n') + '\n');
  return 0;
}

// A/B comparison of two configurations on a workload with the timing driver, and the report in
// the LKP (0-day kernel test robot) layout: base and patched columns, %change, %stddev (shown
// above 2%, as lkp-tests' compare does), runs, and a significance mark (Welch's t-test).
import type { ConfigWords, Resolved } from '../config.ts';
import type { ScenarioDef } from '../../model/index.ts';
import { resolveTimed, measureUntil, summary, hotLines, higherIsBetter, type Measured } from './measure.ts';
import { welch, mark } from './stats.ts';
import { profileFor } from '../../model/drivers/timing/profile.ts';
import type { Coverage } from '../../model/drivers/coverage.ts';

export interface Side { mean: number; stddev: number; n: number }
export interface AbMetric { name: string; unit: string; a: Side; b: Side; change_pct: number | null; p: number | null; mark: string }
/** A published %change the workload declares for this point, beside the model's. */
export interface PublishedAt {
  label: string;
  metric: string;
  published_pct: number;
  model_pct: number | null;
  what: string;
  source: string;
  machine: string;
}
export interface AbPoint {
  cpus: number;
  /** will-it-scale -t of the point (null: the workload's default for the machine) */
  threads: number | null;
  published: PublishedAt[];
  metrics: AbMetric[];
  hot_lines: { a: ReturnType<typeof hotLines>; b: ReturnType<typeof hotLines> };
  machine: { a: string; b: string };
  patches: { a: string[]; b: string[] };
  arch: { a: string; b: string };
  /** what the oracles saw in the timing runs: each run is one schedule the timing driver chose */
  oracles: { a: AbOracles; b: AbOracles };
  seconds: number;
}

/** The oracles over one side's timing runs: a sample of schedules, never a verification. */
export interface AbOracles {
  coverage: Coverage;
  /** the first report of each run that had one */
  violations: { seed: number; oracle: string; message: string }[];
}

/** One side's oracles over several points (a sweep): the runs add up. */
export function sumOracles(list: AbOracles[]): AbOracles {
  const c = list[0].coverage;
  return {
    coverage: { ...c, schedules: list.reduce((n, o) => n + (o.coverage.schedules ?? 0), 0) },
    violations: list.flatMap((o) => o.violations),
  };
}

function oraclesOf(m: Measured, seed: number): AbOracles {
  const violations: AbOracles['violations'] = [];
  m.runs.forEach((r, i) => { if (r.violation) violations.push({ seed: seed + i, oracle: r.violation.oracle, message: r.violation.message }); });
  return {
    coverage: { kind: 'sampled', states: null, transitions: null, schedules: m.runs.length, bound: null, strategy: 'timing', seed },
    violations,
  };
}

export function compare(a: Measured, b: Measured): AbMetric[] {
  const names: string[] = [];
  for (const k of a.metrics.keys()) names.push(k);
  for (const k of b.metrics.keys()) if (!a.metrics.has(k)) names.push(k);
  const out: AbMetric[] = [];
  for (const name of names) {
    const ea = a.metrics.get(name), eb = b.metrics.get(name);
    const va = ea?.values ?? new Array(a.runs.length).fill(0);
    const vb = eb?.values ?? new Array(b.runs.length).fill(0);
    const sa = summary(va), sb = summary(vb);
    const change = sa.mean !== 0 ? ((sb.mean - sa.mean) / Math.abs(sa.mean)) * 100 : sb.mean === 0 ? 0 : null;
    const w = welch(va, vb);
    out.push({ name, unit: (ea ?? eb)!.unit, a: sa, b: sb, change_pct: change, p: Number.isNaN(w.p) ? null : w.p, mark: mark(w.p) });
  }
  return out;
}

/** One A/B point: both sides on `cpus` CPUs (undefined: side a's machine size), with `threads`
 *  tasks (will-it-scale -t) when given. */
export async function abPoint(sc: ScenarioDef, wa: ConfigWords, wb: ConfigWords, cpus: number | undefined, runs: number, seed: number, onRun?: (side: string, i: number) => void, threads?: number): Promise<AbPoint> {
  return (await abPointUntil(sc, wa, wb, cpus, runs, seed, onRun, () => false, threads))!;
}

/** abPoint, or null if `stop` said so between runs (an unfinished point is not kept). */
export async function abPointUntil(sc: ScenarioDef, wa: ConfigWords, wb: ConfigWords, cpus: number | undefined, runs: number, seed: number, onRun: ((side: string, i: number) => void) | undefined, stop: () => boolean, threads?: number): Promise<AbPoint | null> {
  const { ra, rb } = await abSides(sc, wa, wb, cpus, threads);
  const ma = measureUntil(ra, sc, runs, seed, (i) => onRun?.('a', i), stop);
  const mb = ma && measureUntil(rb, sc, runs, seed, (i) => onRun?.('b', i), stop);
  if (!ma || !mb) return null;
  return pointOf(sc, ma, mb, seed, threads);
}

/** Both sides of a point, resolved: the words each side's runs are built from (-t as the
 *  `threads` option) and the machine size (side b takes side a's). */
export async function abSides(sc: ScenarioDef, wa: ConfigWords, wb: ConfigWords, cpus: number | undefined, threads?: number): Promise<{ ra: Resolved; rb: Resolved; a: ConfigWords; b: ConfigWords }> {
  const withT = (w: ConfigWords): ConfigWords => (threads === undefined ? w : { ...w, set: [...w.set, `threads=${threads}`] });
  const a: ConfigWords = { ...withT(wa), cpus: cpus ?? wa.cpus };
  const ra = await resolveTimed(a, sc);
  const b: ConfigWords = { ...withT(wb), cpus: ra.cfg.cpus };
  const rb = await resolveTimed(b, sc);
  return { ra, rb, a, b };
}

/** A point from both sides' measurements (core/lab/parallel runs them on workers or shards). */
export function pointOf(sc: ScenarioDef, ma: Measured, mb: Measured, seed: number, threads?: number): AbPoint {
  const [ra, rb] = [ma.config, mb.config];
  const n = ra.cfg.cpus;
  const metrics = compare(ma, mb);
  const t = threads ?? (ra.cfg.params.threads !== undefined && ra.cfg.params.threads === rb.cfg.params.threads ? Number(ra.cfg.params.threads) : null);
  const published: PublishedAt[] = [];
  for (const p of sc.published ?? []) {
    const v = t === null ? undefined : p.changePct[t];
    if (v === undefined) continue;
    published.push({ label: p.label, metric: p.metric, published_pct: v, model_pct: metrics.find((m) => m.name === p.metric)?.change_pct ?? null, what: p.what, source: p.source, machine: p.machine });
  }
  return {
    cpus: n,
    threads: t,
    published,
    metrics,
    hot_lines: { a: hotLines(ma), b: hotLines(mb) },
    machine: { a: profileFor(ra.cfg.arch.name, ra.cfg.params).name, b: profileFor(rb.cfg.arch.name, rb.cfg.params).name },
    patches: { a: ra.patchIds, b: rb.patchIds },
    arch: { a: ra.cfg.arch.name, b: rb.cfg.arch.name },
    oracles: { a: oraclesOf(ma, seed), b: oraclesOf(mb, seed) },
    seconds: ma.seconds + mb.seconds,
  };
}

// ---- formatting ---------------------------------------------------------------------------------

export function fmtNum(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-2) return v.toExponential(2);
  if (a >= 100) return v.toFixed(0);
  return v.toPrecision(3);
}

function rsd(s: Side): string {
  if (s.mean === 0 || s.n < 2) return '';
  const r = (s.stddev / Math.abs(s.mean)) * 100;
  return r > 2 ? `±${r.toFixed(0)}%` : '';
}

function fmtChange(m: AbMetric): string {
  if (m.change_pct === null) return 'new';
  return `${m.change_pct >= 0 ? '+' : ''}${m.change_pct.toFixed(1)}%`;
}

/** The LKP table: `base ±rsd  %change  new ±rsd  runs  sig  metric`. Rows where both sides are 0
 *  are left out. */
export function lkpTable(metrics: AbMetric[]): string[] {
  const rows: string[] = [];
  rows.push(`${'base'.padStart(12)} ${'%stddev'.padStart(7)} ${'%change'.padStart(11)} ${'patched'.padStart(12)} ${'%stddev'.padStart(7)}  runs  sig  metric`);
  rows.push(`${''.padStart(12)} ${'\\'.padStart(7)} ${'|'.padStart(11)} ${''.padStart(12)} ${'\\'.padStart(7)}`);
  for (const m of metrics) {
    if (m.a.mean === 0 && m.b.mean === 0) continue;
    const dir = higherIsBetter(m.name);
    let word = '';
    if (m.mark && m.change_pct !== null && dir !== null && m.change_pct !== 0) word = (m.change_pct > 0) === dir ? ' (improvement)' : ' (regression)';
    rows.push(
      `${fmtNum(m.a.mean).padStart(12)} ${rsd(m.a).padStart(7)} ${fmtChange(m).padStart(11)} ${fmtNum(m.b.mean).padStart(12)} ${rsd(m.b).padStart(7)}  ${`${m.a.n}:${m.b.n}`.padStart(4)}  ${m.mark.padEnd(3)}  ${m.name}${word}`,
    );
  }
  return rows;
}

/** The metric a plot shows: context switches for the context-switch workloads, else their
 *  will-it-scale ops (when there are any). */
export function headline(metrics: AbMetric[], workload: string): string {
  const ops = metrics.find((m) => m.name === 'ops_per_s');
  return workload.startsWith('context-switch') || !ops || (ops.a.mean === 0 && ops.b.mean === 0) ? 'context_switches_per_s' : 'ops_per_s';
}

/** The sweep as CSV: one row per point and metric (a threads sweep has a threads column first). */
export function sweepCsv(points: AbPoint[], byThreads = false): string {
  const lines = [`${byThreads ? 'threads,' : ''}cpus,metric,unit,a_mean,a_stddev,a_n,b_mean,b_stddev,b_n,change_pct,p`];
  for (const pt of points)
    for (const m of pt.metrics)
      lines.push([...(byThreads ? [pt.threads] : []), pt.cpus, m.name, m.unit, m.a.mean, m.a.stddev, m.a.n, m.b.mean, m.b.stddev, m.b.n, m.change_pct ?? '', m.p ?? ''].join(','));
  return lines.join('\n') + '\n';
}

// The sweep's plots (SVG, text) and its summary table are in core/lab/render/{plot,textplot,sweep}.ts.

/** "1,2,4,...,192" -> [1,2,4,8,16,32,64,128,192]: '...' continues the last step (geometric if the
 *  two terms before it double, else arithmetic) up to the next term. */
export function parseCpuList(s: string, flag = '--cpus'): number[] {
  const parts = s.split(',').map((x) => x.trim()).filter(Boolean);
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === '...' || p === '..') {
      const next = Number(parts[i + 1]);
      if (out.length < 2 || !Number.isInteger(next)) throw new Error(`'...' in ${flag} needs two numbers before it and one after`);
      const [u, v] = [out[out.length - 2], out[out.length - 1]];
      const geo = u > 0 && v % u === 0 && v / u > 1;
      let cur = v;
      for (;;) {
        cur = geo ? cur * (v / u) : cur + (v - u);
        if (cur >= next || cur <= 0) break;
        out.push(cur);
      }
      continue;
    }
    if (!/^\d+$/.test(p) || Number(p) < 1) throw new Error(`${flag} takes positive integers (e.g. 1,2,4,...,192), not '${p}'`);
    out.push(Number(p));
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

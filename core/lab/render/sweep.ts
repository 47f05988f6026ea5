// An A/B sweep (one A/B comparison per value of a swept variable: CPUs, threads...) and its
// summary: ONE LKP-like table (swept value x metric: A, %change, B, runs, significance), the
// file names its plots are written under, and what the plots' footers say.
import type { AbMetric } from '../timing/ab.ts';
import { higherIsBetter } from '../timing/measure.ts';
import { siValue } from './ticks.ts';

export interface SweepSide {
  /** the configuration words as given (--a "...") */
  config: string;
  machine: string;
}

export interface Sweep {
  workload: string;
  /** the swept variable: its JSON key ("cpus", "threads") and its axis label with unit */
  axis: { key: string; label: string };
  a: SweepSide;
  b: SweepSide;
  runs: number;
  seed: number;
  /** "virtual window 200 us after 30 us warm-up" */
  window: string;
  points: { x: number; metrics: AbMetric[] }[];
}

/** Relative stddev as lkp-tests compare prints it: only above 2%. */
function rsd(s: { mean: number; stddev: number; n: number }): string {
  if (s.mean === 0 || s.n < 2) return '';
  const r = (s.stddev / Math.abs(s.mean)) * 100;
  return r > 2 ? `±${r.toFixed(0)}%` : '';
}

const change = (m: AbMetric) => (m.change_pct === null ? 'new' : `${m.change_pct >= 0 ? '+' : ''}${m.change_pct.toFixed(1)}%`);

/** Which metrics a sweep table shows: the headline, and every metric with a significant change of
 *  at least 1% at some point (lkp-tests shows changed rows only). */
export function sweepRows(s: Sweep, headline: string): { metrics: string[]; hidden: number } {
  const names: string[] = [];
  for (const p of s.points) for (const m of p.metrics) if (!names.includes(m.name)) names.push(m.name);
  const shown = names.filter((n) => n === headline || s.points.some((p) => {
    const m = p.metrics.find((x) => x.name === n);
    return !!m && (m.a.mean !== 0 || m.b.mean !== 0) && m.mark !== '' && m.mark !== '?' && (m.change_pct === null || Math.abs(m.change_pct) >= 1);
  }));
  shown.sort((x, y) => (x === headline ? -1 : y === headline ? 1 : names.indexOf(x) - names.indexOf(y)));
  return { metrics: shown, hidden: names.length - shown.length };
}

/** The table: per metric, one row per swept value. */
export function sweepTable(s: Sweep, headline: string): string[] {
  const { metrics, hidden } = sweepRows(s, headline);
  const col = Math.max(s.axis.key.length, ...s.points.map((p) => String(p.x).length));
  const o: string[] = [];
  o.push(`${s.axis.key.padStart(col)}  ${'a'.padStart(10)} ${'%stddev'.padStart(7)} ${'%change'.padStart(9)} ${'b'.padStart(10)} ${'%stddev'.padStart(7)}  runs  sig  metric`);
  o.push(`${''.padStart(col)}  ${''.padStart(10)} ${'\\'.padStart(7)} ${'|'.padStart(9)} ${''.padStart(10)} ${'\\'.padStart(7)}`);
  for (const name of metrics) {
    const dir = higherIsBetter(name);
    for (const p of s.points) {
      const m = p.metrics.find((x) => x.name === name);
      if (!m) continue;
      let word = '';
      if (m.mark && m.mark !== '?' && m.change_pct !== null && dir !== null && m.change_pct !== 0) word = (m.change_pct > 0) === dir ? ' (improvement)' : ' (regression)';
      o.push(`${String(p.x).padStart(col)}  ${siValue(m.a.mean).padStart(10)} ${rsd(m.a).padStart(7)} ${change(m).padStart(9)} ${siValue(m.b.mean).padStart(10)} ${rsd(m.b).padStart(7)}  ${`${m.a.n}:${m.b.n}`.padStart(4)}  ${m.mark.padEnd(3)}  ${name} [${m.unit}]${word}`);
    }
  }
  if (hidden) o.push(`(${hidden} metric${hidden > 1 ? 's' : ''} with no significant change of 1% or more at any ${s.axis.key} value not shown: see the CSV or --json)`);
  return o;
}

/** "x86+lazy-mm": a configuration as a file-name part (arch first, then the other words). */
export function configSlug(words: string): string {
  let arch = '';
  const parts: string[] = [];
  const w = words.trim().split(/\s+/).filter(Boolean);
  for (let i = 0; i < w.length; i++) {
    const f = w[i];
    if (f === '--force') { parts.push('force'); continue; }
    if (!f.startsWith('--')) { parts.push(f); continue; }
    const eq = f.indexOf('=');
    const flag = eq > 0 ? f.slice(0, eq) : f;
    const val = eq > 0 ? f.slice(eq + 1) : w[++i] ?? '';
    if (flag === '--arch') arch = val;
    else if (flag === '--without') parts.push(`no-${val}`);
    else if (flag === '--drop-step') parts.push(`no-step-${val}`);
    else if (flag === '--cpus') parts.push(`${val}cpus`);
    else parts.push(val);
  }
  return [arch, ...parts].filter(Boolean).join('+').replace(/[^\w.=+,-]+/g, '_') || 'default';
}

/** The base name of a sweep's files: workload, both configurations, the swept range, runs and
 *  seed, so that two different sweeps never write the same files. Long names end in a hash. */
export function sweepBaseName(s: Sweep, common: string): string {
  const xs = s.points.map((p) => p.x);
  // a user workload's name may say '../': only file-name characters
  const parts = [`lazymm-ab-${s.workload.replace(/[^\w.=+,-]+/g, '_')}`, `${configSlug(s.a.config)}-vs-${configSlug(s.b.config)}`];
  if (common.trim()) parts.push(configSlug(common));
  parts.push(`${s.axis.key}${xs[0]}-${xs[xs.length - 1]}x${xs.length}`, `${s.runs}runs`);
  if (s.seed !== 1) parts.push(`seed${s.seed}`);
  let name = parts.join('_');
  if (name.length > 120) name = `${name.slice(0, 100)}_${hash(name)}`;
  return name;
}

function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The plots' footer: simulated, machine profiles, runs and seeds, error bars. */
export function sweepFooter(s: Sweep): string[] {
  const machine = s.a.machine === s.b.machine ? `machine profile ${s.a.machine}` : `machine profiles ${s.a.machine} (a), ${s.b.machine} (b)`;
  return [
    'simulated by the lazymm timing model, not measured on hardware',
    `${machine}; ${s.window}`,
    `${s.runs} run${s.runs > 1 ? 's' : ''} per point and side (seeds ${s.seed}-${s.seed + s.runs - 1}); points: means; error bars: ±1 standard deviation`,
  ];
}

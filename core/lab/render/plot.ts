// The SVG plot of a sweep: the metric's mean per swept value for A and B, with error bars of ±1
// standard deviation over the runs; nice ticks and units on both axes; a log y axis when the
// values span more than 10x (or on request); a footer saying it is simulated and how.
import type { Sweep } from './sweep.ts';
import { sweepFooter } from './sweep.ts';
import { niceDomain, linearTicks, logDomain, logTicks, siLabel } from './ticks.ts';

export type YScale = 'auto' | 'linear' | 'log';

export interface Series { x: number; mean: number; sd: number }

export function seriesOf(s: Sweep, metric: string, side: 'a' | 'b'): Series[] {
  return s.points.map((p) => {
    const m = p.metrics.find((x) => x.name === metric);
    return { x: p.x, mean: m ? m[side].mean : 0, sd: m ? m[side].stddev : 0 };
  });
}

export function unitOf(s: Sweep, metric: string): string {
  for (const p of s.points) { const m = p.metrics.find((x) => x.name === metric); if (m) return m.unit; }
  return '';
}

export interface Axis {
  log: boolean;
  lo: number;
  hi: number;
  ticks: number[];
  minor: number[];
  /** value -> [0, 1] along the axis */
  f(v: number): number;
}

/** The y axis for the series: log when asked, or (auto) when the positive means span more than
 *  10x; else linear from 0 with nice ticks. */
export function yAxis(series: Series[][], mode: YScale): Axis {
  const all = series.flat();
  const pos = all.filter((p) => p.mean > 0).map((p) => p.mean);
  const span = pos.length ? Math.max(...pos) / Math.min(...pos) : 1;
  const log = mode === 'log' ? pos.length > 0 : mode === 'auto' && span > 10;
  if (log) {
    const lows = all.filter((p) => p.mean > 0).map((p) => (p.mean - p.sd > 0 ? p.mean - p.sd : p.mean));
    const [lo, hi] = logDomain(Math.min(...lows), Math.max(...all.map((p) => p.mean + p.sd)));
    const { major, minor } = logTicks(lo, hi);
    const l0 = Math.log10(lo), l1 = Math.log10(hi);
    return { log, lo, hi, ticks: major, minor, f: (v) => (v <= 0 ? 0 : (Math.log10(v) - l0) / (l1 - l0)) };
  }
  const top = Math.max(0, ...all.map((p) => p.mean + p.sd));
  const [lo, hi] = niceDomain(0, top > 0 ? top : 1, 5);
  return { log, lo, hi, ticks: linearTicks(lo, hi, 5), minor: [], f: (v) => (v - lo) / (hi - lo) };
}

/** The x axis: log2 when the swept values span 8x or more (CPU counts double), else linear; the
 *  ticks are the swept values. */
export function xAxis(xs: number[]): Axis {
  const lo = Math.min(...xs), hi = Math.max(...xs);
  const log = lo > 0 && hi / lo >= 8;
  const g = (v: number) => (log ? Math.log2(v) : v);
  const d = g(hi) - g(lo) || 1;
  return { log, lo, hi, ticks: xs, minor: [], f: (v) => (g(v) - g(lo)) / d };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (v: number) => v.toFixed(1);

export function sweepSvg(s: Sweep, metric: string, mode: YScale = 'auto'): string {
  const W = 760, H = 520, L = 86, R = 24, T = 48, B = 128;
  const unit = unitOf(s, metric);
  const A = seriesOf(s, metric, 'a'), Bs = seriesOf(s, metric, 'b');
  const ya = yAxis([A, Bs], mode), xa = xAxis(s.points.map((p) => p.x));
  const X = (v: number) => L + xa.f(v) * (W - L - R);
  const Y = (v: number) => T + (1 - Math.min(1, Math.max(0, ya.f(v)))) * (H - T - B);
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  o.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(`${s.workload}: ${metric} vs ${s.axis.key}`)}</text>`);
  o.push(`<text x="${W / 2}" y="38" text-anchor="middle" font-size="11" fill="#555">${esc(`${ya.log ? 'log' : 'linear'} y axis${mode === 'auto' ? (ya.log ? ' (the values span more than 10x)' : '') : ' (as asked)'}`)}</text>`);
  // grid and y ticks
  for (const v of ya.minor) o.push(`<line x1="${L}" y1="${r1(Y(v))}" x2="${W - R}" y2="${r1(Y(v))}" stroke="#f0f0f0"/>`);
  for (const v of ya.ticks) {
    o.push(`<line x1="${L - 5}" y1="${r1(Y(v))}" x2="${W - R}" y2="${r1(Y(v))}" stroke="#ddd"/>`);
    o.push(`<text x="${L - 8}" y="${r1(Y(v) + 4)}" text-anchor="end">${siLabel(v)}</text>`);
  }
  for (const v of xa.ticks) {
    o.push(`<line x1="${r1(X(v))}" y1="${H - B}" x2="${r1(X(v))}" y2="${H - B + 5}" stroke="black"/>`);
    o.push(`<text x="${r1(X(v))}" y="${H - B + 18}" text-anchor="middle">${v}</text>`);
  }
  o.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`);
  o.push(`<text x="${(L + W - R) / 2}" y="${H - B + 38}" text-anchor="middle">${esc(`${s.axis.label}${xa.log ? ', log2 scale' : ''}`)}</text>`);
  const ym = (T + H - B) / 2;
  o.push(`<text x="18" y="${ym}" text-anchor="middle" transform="rotate(-90 18 ${ym})">${esc(`${metric} [${unit}]`)}</text>`);
  const sides: [Series[], string, string, string][] = [[A, '#1f77b4', 'a', s.a.config], [Bs, '#d62728', 'b', s.b.config]];
  sides.forEach(([ser, color, side, label], i) => {
    o.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${ser.map((p) => `${r1(X(p.x))},${r1(Y(p.mean))}`).join(' ')}"/>`);
    for (const p of ser) {
      const x = X(p.x);
      if (p.sd > 0) {
        const y0 = Y(p.mean - p.sd), y1 = Y(p.mean + p.sd);
        o.push(`<g stroke="${color}" stroke-width="1.2"><line x1="${r1(x)}" y1="${r1(y0)}" x2="${r1(x)}" y2="${r1(y1)}"/><line x1="${r1(x - 4)}" y1="${r1(y0)}" x2="${r1(x + 4)}" y2="${r1(y0)}"/><line x1="${r1(x - 4)}" y1="${r1(y1)}" x2="${r1(x + 4)}" y2="${r1(y1)}"/></g>`);
      }
      const onAxis = ya.log && p.mean <= 0;
      o.push(`<circle cx="${r1(x)}" cy="${r1(Y(p.mean))}" r="3.5" fill="${onAxis ? 'white' : color}" stroke="${color}"><title>${esc(`${side} at ${p.x}: ${siLabel(Number(p.mean.toPrecision(4)))} ± ${siLabel(Number(p.sd.toPrecision(2)))} ${unit}`)}</title></circle>`);
    }
    o.push(`<rect x="${L + 12}" y="${T + 8 + i * 18}" width="16" height="3" fill="${color}"/><text x="${L + 34}" y="${T + 13 + i * 18}">${esc(`${side}: ${label}`)}</text>`);
  });
  const notes = sweepFooter(s);
  if (ya.log && [...A, ...Bs].some((p) => p.mean <= 0)) notes.push('open circles: a mean of 0, drawn on the axis (a log axis has no 0)');
  notes.forEach((n, i) => o.push(`<text x="14" y="${H - B + 62 + i * 15}" font-size="11" fill="#444">${esc(n)}</text>`));
  o.push('</svg>');
  return o.join('\n') + '\n';
}

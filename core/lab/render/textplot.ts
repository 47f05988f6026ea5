// A sweep as a plot in plain ASCII, for terminals and mails: the same axes as the SVG (nice or
// decade ticks on y, the swept values on x), 'a' and 'b' for the means (b one column right of a),
// ':' over the range of ±1 standard deviation, and the footer.
import type { Sweep } from './sweep.ts';
import { sweepFooter } from './sweep.ts';
import { seriesOf, unitOf, yAxis, xAxis, type YScale } from './plot.ts';
import { siLabel } from './ticks.ts';

export function sweepTextPlot(s: Sweep, metric: string, mode: YScale = 'auto', width = 64, height = 16): string[] {
  const A = seriesOf(s, metric, 'a'), B = seriesOf(s, metric, 'b');
  const ya = yAxis([A, B], mode), xa = xAxis(s.points.map((p) => p.x));
  const LW = Math.max(...ya.ticks.map((v) => siLabel(v).length)) + 1;
  const grid: string[][] = Array.from({ length: height }, () => new Array(width).fill(' '));
  const row = (v: number) => height - 1 - Math.round(Math.min(1, Math.max(0, ya.f(v))) * (height - 1));
  const col = (x: number) => Math.round(xa.f(x) * (width - 3));
  const put = (r: number, c: number, ch: string, over = true) => { if (r >= 0 && r < height && c >= 0 && c < width && (over || grid[r][c] === ' ')) grid[r][c] = ch; };
  for (const [ser, dc] of [[A, 0], [B, 1]] as const) {
    for (const p of ser) {
      const c = col(p.x) + dc;
      if (p.sd <= 0) continue;
      // the rows whose height lies within mean +- sd
      const f0 = p.mean - p.sd > 0 || !ya.log ? ya.f(p.mean - p.sd) : 0, f1 = ya.f(p.mean + p.sd);
      for (let r = 0; r < height; r++) { const f = (height - 1 - r) / (height - 1); if (f >= f0 && f <= f1) put(r, c, ':', false); }
    }
  }
  for (const [ser, ch, dc] of [[A, 'a', 0], [B, 'b', 1]] as const) for (const p of ser) put(row(p.mean), col(p.x) + dc, ch);
  const labels = new Map<number, string>();
  for (const v of ya.ticks) labels.set(row(v), siLabel(v));
  const out: string[] = [];
  out.push(`${s.workload}: ${metric} [${unitOf(s, metric)}] vs ${s.axis.key}, ${ya.log ? 'log' : 'linear'} y axis`);
  out.push(`  a = ${s.a.config}`, `  b = ${s.b.config}`, '');
  for (let r = 0; r < height; r++) {
    const l = labels.get(r);
    out.push(`${(l ?? '').padStart(LW)} ${l !== undefined ? '+' : '|'}${grid[r].join('').trimEnd()}`);
  }
  // x axis: a tick under each swept value whose label fits
  const axis = new Array(width).fill('-');
  const xl = new Array(width + 8).fill(' ');
  let free = 0;
  for (const p of s.points) {
    const c = col(p.x);
    axis[c] = '+';
    const t = String(p.x), at = Math.max(0, c - Math.floor((t.length - 1) / 2));
    if (at >= free) { for (let i = 0; i < t.length; i++) xl[at + i] = t[i]; free = at + t.length + 1; }
  }
  out.push(`${''.padStart(LW)} +${axis.join('')}`);
  out.push(`${''.padStart(LW)}  ${xl.join('').trimEnd()}`);
  out.push(`${''.padStart(LW)}  ${s.axis.label}${xa.log ? ' (log2 scale)' : ''}`);
  out.push('', ...sweepFooter(s).map((l) => l.replace('±', '+-')), ': = mean +- 1 standard deviation');
  return out;
}

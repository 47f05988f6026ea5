// Sweep reports: nice ticks, the y scale, the summary table, file names, the SVG and text plots.
import { describe, it, expect } from 'vitest';
import { tickStep, linearTicks, niceDomain, logDomain, logTicks, siLabel } from '../core/lab/render/ticks.ts';
import { sweepTable, sweepBaseName, configSlug, type Sweep } from '../core/lab/render/sweep.ts';
import { sweepSvg, yAxis } from '../core/lab/render/plot.ts';
import { sweepTextPlot } from '../core/lab/render/textplot.ts';
import type { AbMetric } from '../core/lab/timing/ab.ts';

describe('ticks', () => {
  it('are 1, 2 or 5 times a power of ten (d3-array ticks)', () => {
    expect(linearTicks(0, 1, 10)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(linearTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(linearTicks(-10, 10, 10)).toEqual([-10, -8, -6, -4, -2, 0, 2, 4, 6, 8, 10]);
    expect(linearTicks(0, 6.31e6, 5)).toEqual([0, 1e6, 2e6, 3e6, 4e6, 5e6, 6e6]);
    expect(linearTicks(1.1, 1.37, 5)).toEqual([1.1, 1.15, 1.2, 1.25, 1.3, 1.35]);
    expect(tickStep(0, 100, 10)).toBe(10);
    expect(tickStep(0, 95, 10)).toBe(10);
    expect(tickStep(0, 35, 10)).toBe(5);
    expect(tickStep(0, 14, 10)).toBe(1);
    expect(tickStep(0, 15, 10)).toBe(2);
    expect(niceDomain(0, 150)).toEqual([0, 200]); // d3: 20 -> [0, 160] -> 50 -> [0, 200]
  });
  it('a nice domain ends on ticks; log domains on 1-2-5 values', () => {
    expect(niceDomain(0, 6.8148e6)).toEqual([0, 7e6]);
    expect(niceDomain(0, 0.93)).toEqual([0, 1]);
    expect(logDomain(587000, 8.76e7)).toEqual([5e5, 1e8]);
    expect(logDomain(3, 40)).toEqual([2, 50]);
    expect(logTicks(5e5, 1e8).major).toEqual([5e5, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8]);
    expect(logTicks(1, 1e6).major).toEqual([1, 10, 100, 1000, 1e4, 1e5, 1e6]);
  });
  it('labels are short and exact: no 6.31e+6', () => {
    expect([0, 2.5e6, 4e4, 0.25, 1e8, 1200].map(siLabel)).toEqual(['0', '2.5M', '40k', '0.25', '100M', '1.2k']);
  });
});

const metric = (name: string, unit: string, a: number, b: number, sd = 0, mark = '**'): AbMetric => ({
  name, unit, a: { mean: a, stddev: sd, n: 3 }, b: { mean: b, stddev: sd, n: 3 }, change_pct: a ? ((b - a) / a) * 100 : null, p: 0.001, mark,
});
function sweep(key: string, ys: [number, number][]): Sweep {
  return {
    workload: 'w', axis: { key, label: key === 'threads' ? 'threads (-t)' : 'CPUs' }, a: { config: '--arch x86', machine: 'x86-2s' }, b: { config: '--arch x86 --apply lazy-mm', machine: 'x86-2s' },
    runs: 3, seed: 1, window: 'virtual window 200 us after 30 us warm-up',
    points: ys.map(([a, b], i) => ({ x: 2 ** i, metrics: [metric('ops_per_s', 'ops/s', a, b, a / 20), metric('ipis_per_s', '1/s', 5, 5, 0, '')] })),
  };
}

describe('sweep reports', () => {
  const wide = sweep('cpus', [[1e6, 1e6], [2e6, 2.1e6], [4e6, 8e6], [3e6, 3e7]]);
  const narrow = sweep('threads', [[100, 110], [120, 130], [130, 150]]);

  it('the y axis goes log when the values span more than 10x, or when asked', () => {
    const s = (sw: Sweep) => [sw.points.map((p) => ({ x: p.x, mean: p.metrics[0].a.mean, sd: 0 })), sw.points.map((p) => ({ x: p.x, mean: p.metrics[0].b.mean, sd: 0 }))];
    expect(yAxis(s(wide), 'auto').log).toBe(true);
    expect(yAxis(s(narrow), 'auto').log).toBe(false);
    expect(yAxis(s(narrow), 'log').log).toBe(true);
    expect(yAxis(s(wide), 'linear').log).toBe(false);
    expect(yAxis(s(narrow), 'auto').ticks).toEqual([0, 50, 100, 150, 200]);
  });

  it('one table over the swept variable, whatever it is, without unchanged metrics', () => {
    const t = sweepTable(narrow, 'ops_per_s');
    expect(t[0]).toMatch(/^threads +a %stddev +%change +b %stddev +runs +sig +metric$/);
    expect(t.filter((l) => /ops_per_s \[ops\/s\]/.test(l))).toHaveLength(3);
    expect(t.join('\n')).not.toMatch(/ipis_per_s/);
    expect(t[t.length - 1]).toMatch(/^\(1 metric with no significant change/);
    expect(t[2]).toMatch(/^ +1 +100 +±5% +\+10\.0% +110 +±5% +3:3 +\*\* +ops_per_s \[ops\/s\] \(improvement\)$/);
  });

  it('file names carry both configurations and the sweep', () => {
    expect(configSlug('--arch x86 --apply lazy-mm:1-16 --set MMU_LAZY_TLB_REFCOUNT=n')).toBe('x86+lazy-mm_1-16+MMU_LAZY_TLB_REFCOUNT=n');
    expect(configSlug('--arch=powerpc --drop-step context_switch.mmgrab_lazy')).toBe('powerpc+no-step-context_switch.mmgrab_lazy');
    expect(sweepBaseName(wide, '')).toBe('lazymm-ab-w_x86-vs-x86+lazy-mm_cpus1-8x4_3runs');
    expect(sweepBaseName({ ...wide, b: { ...wide.b, config: '--arch x86 --apply shoot-lazies' } }, '')).not.toBe(sweepBaseName(wide, ''));
    expect(sweepBaseName({ ...wide, seed: 7 }, '--cpus 8')).toBe('lazymm-ab-w_x86-vs-x86+lazy-mm_8cpus_cpus1-8x4_3runs_seed7');
  });

  it('the SVG has units on both axes, error bars, and says it is simulated', () => {
    const svg = sweepSvg(wide, 'ops_per_s');
    expect(svg).toMatch(/>ops_per_s \[ops\/s\]</);
    expect(svg).toMatch(/>CPUs, log2 scale</);
    expect(svg).toMatch(/log y axis \(the values span more than 10x\)/);
    expect(svg).toMatch(/>simulated by the lazymm timing model, not measured on hardware</);
    expect(svg).toMatch(/machine profile x86-2s/);
    expect(svg).toMatch(/3 runs per point and side \(seeds 1-3\)/);
    expect(svg.match(/<g stroke="#1f77b4" stroke-width="1.2">/g)).toHaveLength(4); // a's error bars
    expect(svg).not.toMatch(/e\+/);
    expect(sweepSvg(narrow, 'ops_per_s')).toMatch(/>linear y axis</);
  });

  it('the text plot is ASCII, with ticks, both series and the footer', () => {
    const t = sweepTextPlot(wide, 'ops_per_s');
    expect(t.join('\n')).toMatch(/^[\x20-\x7e\n]*$/);
    expect(t[0]).toBe('w: ops_per_s [ops/s] vs cpus, log y axis');
    expect(t.some((l) => /^ +50M \+/.test(l))).toBe(true);
    expect(t.some((l) => /^ +1M \+ab/.test(l))).toBe(true);
    expect(t.some((l) => /^ +1 +2 +4 +8$/.test(l))).toBe(true);
    expect(t).toContain('simulated by the lazymm timing model, not measured on hardware');
  });
});

// Axis ticks a reader can use: "nice" numbers (1, 2 or 5 times a power of ten) on a linear axis,
// the algorithm of d3-array's ticks()/tickIncrement() (thresholds sqrt(50), sqrt(10), sqrt(2));
// decades (with 2 and 5 when few) on a log axis; and short labels with SI prefixes (2.5M, 40k).

const E10 = Math.sqrt(50), E5 = Math.sqrt(10), E2 = Math.sqrt(2);

/** The tick step for about `count` ticks over [lo, hi]: 1, 2 or 5 times a power of ten. */
export function tickStep(lo: number, hi: number, count: number): number {
  const step0 = Math.abs(hi - lo) / Math.max(1, count);
  let step1 = 10 ** Math.floor(Math.log10(step0));
  const err = step0 / step1;
  if (err >= E10) step1 *= 10;
  else if (err >= E5) step1 *= 5;
  else if (err >= E2) step1 *= 2;
  return hi < lo ? -step1 : step1;
}

/** About `count` nice ticks covering [lo, hi] (within it). */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = tickStep(lo, hi, count);
  const i0 = Math.ceil(lo / step - 1e-9), i1 = Math.floor(hi / step + 1e-9);
  const out: number[] = [];
  // multiply (not add) so that 0.1 * 3 stays 0.3 after rounding to the step's precision
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  for (let i = i0; i <= i1; i++) out.push(Number((i * step).toFixed(Math.min(20, digits))));
  return out;
}

/** Extend [lo, hi] to multiples of its tick step (d3-scale's linear.nice()). */
export function niceDomain(lo: number, hi: number, count = 5): [number, number] {
  if (!(hi > lo)) return [lo, lo === 0 ? 1 : lo + Math.abs(lo)];
  let prev = 0;
  for (let k = 0; k < 10; k++) {
    const step = tickStep(lo, hi, count);
    if (step === prev) break;
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    prev = step;
  }
  return [lo, hi];
}

const nice125 = (d: number, m: number) => Number((m * 10 ** d).toPrecision(12));

/** Log-axis bounds around [lo, hi] (lo > 0): the nearest 1, 2 or 5 times a power of ten outside. */
export function logDomain(lo: number, hi: number): [number, number] {
  const down = (v: number) => { const d = Math.floor(Math.log10(v)); for (const m of [5, 2, 1]) if (nice125(d, m) <= v) return nice125(d, m); return nice125(d, 1); };
  const up = (v: number) => { const d = Math.floor(Math.log10(v)); for (const m of [1, 2, 5, 10]) if (nice125(d, m) >= v) return nice125(d, m); return nice125(d + 1, 1); };
  return [down(lo), up(hi)];
}

/** Log ticks within [lo, hi]: every power of ten, and 2 and 5 times it when the axis spans at
 *  most three decades; the other multiples as minor ticks. */
export function logTicks(lo: number, hi: number): { major: number[]; minor: number[] } {
  const d0 = Math.floor(Math.log10(lo) + 1e-9), d1 = Math.ceil(Math.log10(hi) - 1e-9);
  const few = Math.log10(hi / lo) <= 3 + 1e-9;
  const major: number[] = [], minor: number[] = [];
  for (let d = d0; d <= d1; d++) {
    for (const m of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const v = nice125(d, m);
      if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
      if (m === 1 || (few && (m === 2 || m === 5))) major.push(v);
      else minor.push(v);
    }
  }
  return { major, minor };
}

const SI: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];

/** "2.5M", "40k", "0.25", "0": a tick label, exact for nice numbers. */
export function siLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  for (const [f, p] of SI) if (a >= f) return `${trim(v / f)}${p}`;
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** A value for tables and captions: 3 significant digits with an SI prefix ("8.76M"). */
export function siValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  for (const [f, p] of SI) if (a >= f) return `${Number((v / f).toPrecision(3))}${p}`;
  return String(Number(v.toPrecision(3)));
}

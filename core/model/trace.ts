// Readable traces: one line per step of a CPU (consecutive accesses of the same step are joined),
// per-CPU indentation, kernel names throughout.
import type { Kernel, TraceLine } from './kernel.ts';

/** The trace's lines as groups of record indices: consecutive visible records of the same CPU,
 *  level, task and step are one line; an oracle's `!!` record starts a new one. The structured
 *  renderers (core/lab/render) use the same grouping, so their line numbers match the text's. */
export function joinTrace(lines: readonly TraceLine[]): number[][] {
  const out: number[][] = [];
  let prev: TraceLine | null = null;
  let cur: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.hidden) continue;
    const joinable = prev && prev.cpu === l.cpu && prev.level === l.level && prev.step === l.step && prev.who === l.who && !l.text.startsWith('!!');
    if (!joinable) { cur = []; out.push(cur); prev = l; }
    cur.push(i);
  }
  return out;
}

export function renderTrace(k: Kernel, lines: TraceLine[]): string[] {
  return joinTrace(lines).map((g, n) => {
    const first = lines[g[0]];
    const ctx = first.level === 0 ? (first.who ?? '') : `<${k.levelName(first.level)}>`;
    const col = '  '.repeat(first.cpu * 2);
    return `${String(n + 1).padStart(4)} cpu${first.cpu} ${ctx.padEnd(10)} ${col}${first.step}: ${g.map((i) => lines[i].text).join('; ')}`;
  });
}

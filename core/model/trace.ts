// Readable traces: one line per step of a CPU (consecutive accesses of the same step are joined),
// per-CPU indentation, kernel names throughout.
import type { Kernel, TraceLine } from './kernel.ts';

export function renderTrace(k: Kernel, lines: TraceLine[]): string[] {
  const out: string[] = [];
  let prev: TraceLine | null = null;
  let texts: string[] = [];
  const flush = () => {
    if (!prev) return;
    const ctx = prev.level === 0 ? (prev.who ?? '') : `<${k.levelName(prev.level)}>`;
    const col = '  '.repeat(prev.cpu * 2);
    out.push(`${String(out.length + 1).padStart(4)} cpu${prev.cpu} ${ctx.padEnd(10)} ${col}${prev.step}: ${texts.join('; ')}`);
  };
  for (const l of lines) {
    const joinable = prev && prev.cpu === l.cpu && prev.level === l.level && prev.step === l.step && prev.who === l.who && !l.text.startsWith('!!');
    if (!joinable) { flush(); prev = l; texts = []; }
    texts.push(l.text);
  }
  flush();
  return out;
}

// Error lines are one line: what the contract promises on stderr.

/** Newlines and the blanks around them folded, control characters shown as '?', very long texts
 *  cut. */
export function oneLine(s: string): string {
  const t = s.replace(/\s*\n\s*/g, ' ').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?').trim();
  return t.length > 1000 ? `${t.slice(0, 1000)}...` : t;
}

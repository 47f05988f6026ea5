// What a "no violation" covers. Every verdict carries one: a kernel developer acts on it, so a
// clean result says whether the whole state space was searched, a bounded part of it, or a
// sample of schedules.
export interface Coverage {
  /** verified: every reachable state (exact storage); verified-bounded: every execution within a
   *  preemption bound; hashed: every state as far as a hashed visited set can tell (hash
   *  compaction, bitstate: not exhaustive); sampled: N schedules, or (states set) the part of the
   *  state space the exhaustive search covered before its budget or a counterexample stopped it;
   *  interrupted: stopped early by a signal */
  kind: 'verified' | 'verified-bounded' | 'hashed' | 'sampled' | 'interrupted';
  /** states stored (the exhaustive search) */
  states: number | null;
  /** events executed (the exhaustive search) */
  transitions: number | null;
  /** complete executions run (sampling, bounded DFS) */
  schedules: number | null;
  /** the preemption bound (bounded DFS) */
  bound: number | null;
  strategy: string;
  seed: number | null;
  /** hashed: the probability that a state was taken for another, at most */
  missProbability?: number;
}

/** One line for text output: "verified: 196767 states, 565798 transitions". */
export function describeCoverage(c: Coverage): string {
  switch (c.kind) {
    case 'verified': return `verified: the whole state space, ${c.states} states, ${c.transitions} transitions`;
    case 'verified-bounded': return `verified within preemption bound ${c.bound}: all ${c.schedules} schedules of the bounded space`;
    case 'hashed': return `not exhaustive: ${c.states} states in a hashed visited set (a state may have been missed with probability <= ${(c.missProbability ?? 1).toExponential(1)})`;
    case 'sampled':
      // the exhaustive search stopped early (its state budget, or a counterexample)
      if (c.states !== null) return `partial: ${c.states} states, ${c.transitions} transitions of the exhaustive search, not exhausted`;
      return `sampled: ${c.schedules} schedules of ${c.strategy}${c.bound !== null ? ` (preemption bound ${c.bound}, not exhausted)` : ''}${c.seed !== null ? `, seed ${c.seed}` : ''}`;
    case 'interrupted': return `interrupted: ${c.states !== null ? `${c.states} states, ${c.transitions} transitions` : `${c.schedules} schedules of ${c.strategy}`} before the stop`;
  }
}

/** A short word for tables: "verified, 196767 states". */
export function shortCoverage(c: Coverage): string {
  switch (c.kind) {
    case 'verified': return `verified, ${c.states} states`;
    case 'verified-bounded': return `verified within bound ${c.bound}, ${c.schedules} schedules`;
    case 'hashed': return `hashed, ${c.states} states`;
    case 'sampled': return c.states !== null ? `partial, ${c.states} states` : `sampled, ${c.schedules} ${c.strategy} schedules`;
    case 'interrupted': return 'interrupted';
  }
}

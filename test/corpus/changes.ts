// Deliberate behaviour changes to the corpus recorded at aec4cbe, and how each is checked: an
// entry listed in changed.ts is not skipped, it must differ from the recording in exactly the way
// its reasons allow (README "Behaviour changes").
//
//  - multi-shot: a KASAN or lifetime report no longer ends the execution (issue 12, as
//    kasan_multi_shot): the recorded run is a prefix of today's (events, trace, reports), which goes
//    on and may report more; the headline stays the first KASAN/lifetime report.
//  - dangling: the dangling-pointer oracle reports a freed mm (or pgd) that a scheduler or MMU
//    pointer still points to, at a context switch or at quiescence, before or without any
//    dereference: those reports (and their trace lines) are new; everything else is as recorded.
//  - leak: a leak report names the reference no owner holds (reference ownership) instead of
//    "no CPU or live task references it": same oracle, same mm, same place in the report list.
import { decodeSchedule } from '../../core/model/engine.ts';
import { primaryViolation, type Violation } from '../../core/model/index.ts';

export type Reason = 'multi-shot' | 'dangling' | 'leak';
export const REASONS: Record<Reason, string> = {
  'multi-shot': 'a KASAN/lifetime report no longer ends the execution: the recorded run is a prefix of today\'s',
  dangling: 'the dangling-pointer oracle reports the freed mm still pointed to, before or without the use-after-free',
  leak: 'the leak report names the reference no owner holds (reference ownership)',
};

interface Run {
  trace: string[];
  steps: number;
  schedule: string;
  violations: { oracle: string; message: string; cpu: number; step: string }[];
  counters: Record<string, number>;
}

/** A trace as a list of (cpu, task, step, one access) tokens: line numbers and the joining of
 *  consecutive accesses into a line are presentation. */
function tokens(trace: string[], dropDangling: boolean): string[] {
  const out: string[] = [];
  for (const line of trace) {
    const m = /^\s*\d+ (cpu\d+) (\S*)\s+(\S+): (.*)$/.exec(line);
    if (!m) { out.push(line); continue; }
    for (const part of m[4].split('; ')) {
      if (dropDangling && part.startsWith('!! dangling:')) continue;
      out.push(`${m[1]} ${m[2]} ${m[3]}: ${part}`);
    }
  }
  return out;
}

function reports(vs: Run['violations'], rs: Set<Reason>): string[] {
  return vs
    .filter((v) => !(rs.has('dangling') && v.oracle === 'dangling'))
    .map((v) => (rs.has('leak') && v.oracle === 'leak' ? `leak ${v.message.split(' ')[0]}` : `${v.oracle} ${v.message} ${v.cpu} ${v.step}`));
}

const isPrefix = <T>(a: T[], b: T[]) => a.length <= b.length && a.every((x, i) => x === b[i]);

/** Why today's run differs from the recorded one in a way `reasons` does not allow (null: it
 *  differs only as allowed). */
export function unexplained(want: Run, got: Run, reasons: Reason[]): string | null {
  const rs = new Set(reasons);
  const multi = rs.has('multi-shot');
  const rel = <T>(a: T[], b: T[]) => (multi ? isPrefix(a, b) : a.length === b.length && isPrefix(a, b));
  if (!rel(decodeSchedule(want.schedule), decodeSchedule(got.schedule))) return 'schedule';
  // the last recorded token may have been extended (accesses joined after a report line)
  const wt = tokens(want.trace, false), gt = tokens(got.trace, rs.has('dangling'));
  if (!rel(multi ? wt.slice(0, -1) : wt, gt)) return 'trace';
  if (!rel(reports(want.violations, rs), reports(got.violations, rs))) return 'violations';
  if (!multi && JSON.stringify(want.counters) !== JSON.stringify(got.counters)) return 'counters';
  if (!multi && want.steps !== got.steps) return 'steps';
  if (multi && primaryViolation(want.violations as Violation[])?.message !== primaryViolation(got.violations as Violation[])?.message) return 'headline';
  return null;
}

interface Explored {
  schedulesExplored: number;
  complete: boolean;
  violations: { oracle: string; message: string }[];
}

/** The same for an explore corpus entry (dfs: the oracles reported; random/pct: the search). */
export function unexplainedExplore(strategy: string, want: Explored, got: Explored, reasons: Reason[]): string | null {
  const rs = new Set(reasons);
  const oracles = (vs: { oracle: string }[]) => new Set(vs.map((v) => v.oracle));
  const w = oracles(want.violations), g = oracles(got.violations);
  if (rs.has('dangling') && g.has('dangling')) {
    // the dangling pointer is reported first: the search may stop at an earlier execution
    if (strategy !== 'dfs' && got.schedulesExplored > want.schedulesExplored) return 'schedules';
    return null;
  }
  if (strategy === 'dfs') return [...w].every((o) => g.has(o)) ? null : 'oracles';
  if (got.schedulesExplored !== want.schedulesExplored) return 'schedules';
  const pw = primaryViolation(want.violations as Violation[]), pg = primaryViolation(got.violations as Violation[]);
  if (pw?.oracle !== pg?.oracle) return 'headline oracle';
  if (rs.has('leak') && pw?.oracle === 'leak') return pw.message.split(' ')[0] === pg?.message.split(' ')[0] ? null : 'leak';
  return pw?.message === pg?.message ? null : 'headline';
}

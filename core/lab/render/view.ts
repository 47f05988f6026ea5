// What the structured trace formats share: the recorded trace as slices (one per line of the text
// trace, numbered alike, plus the store-buffer commits a barrier makes), the arrows between them
// (IPI send -> handler, buffered store -> commit, and the cross-CPU reads that lead to the
// violation), and which lines lead to the violation.
//
// "Leading to the violation" is a slice over the objects the violation message names (P in
// "use-after-free read of P->context.ldt"): every write to them, every read of them that sees
// another CPU's write, and every model line that names them (free_mm(P)), up to the violation.
import { joinTrace } from '../../model/trace.ts';
import { SB_CAP } from '../../model/memory.ts';
import type { Violation } from '../../model/index.ts';
import type { Recorded } from './record.ts';

/** Lanes of a CPU: its three contexts and its store buffer. */
export const LANE_TASK = 0, LANE_IRQ = 1, LANE_NMI = 2, LANE_SB = 3;
export const LANE_NAMES = ['task', 'hardirq', 'NMI', 'store buffer'];

export interface Slice {
  id: number;
  /** line number in the text trace (1-based); null for a barrier's commits, which it leaves out */
  line: number | null;
  cpu: number;
  lane: number;
  step: string;
  who: string;
  /** record indices (time: one record is one unit) */
  recs: number[];
  texts: string[];
  /** per text: does it lead to the violation */
  marks: boolean[];
  marked: boolean;
  violation: boolean;
  /** the functions on the stack at its first record, outermost first */
  stack: string[];
}

export type FlowKind = 'ipi' | 'store-buffer' | 'reads-from';
export interface Flow { kind: FlowKind; from: number; to: number; fromRec: number; toRec: number; label: string }

export interface TraceView {
  rec: Recorded;
  slices: Slice[];
  flows: Flow[];
  /** the primary violation, the record that reports it (null at the end of the run) */
  violation: { v: Violation; rec: number | null; slice: number | null } | null;
  /** objects the violation names */
  focus: string[];
  /** records in the run: the time of the end */
  end: number;
  /** which lanes carry a slice, per CPU */
  used: boolean[][];
}

const escRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** A name as a word: not part of a longer name (P is not in P.t0, nor in P->mm's field). */
export const nameRe = (name: string) => new RegExp(`(?<![\\w./>-])${escRe(name)}(?![\\w/]|\\.\\w)`);

const isWrite = (op: string | undefined) => op === 'store' || op === 'rmw' || op === 'commit' || op === 'drain';
const buffered = (text: string) => text.endsWith('(buffered)');

export function buildView(rec: Recorded): TraceView {
  const L = rec.lines;
  const slices: Slice[] = [];
  const sliceOf = new Int32Array(L.length).fill(-1);
  const groups = joinTrace(L);
  const laneOf = (i: number) => (L[i].op === 'commit' || L[i].op === 'drain' ? LANE_SB : L[i].level);
  const mk = (recs: number[], line: number | null) => {
    const f = L[recs[0]];
    const s: Slice = {
      id: 0, line, cpu: f.cpu, lane: laneOf(recs[0]), step: f.op === 'drain' ? 'store buffer' : f.step, who: f.who ?? '', recs, texts: recs.map((i) => L[i].text + (L[i].op === 'drain' ? ` (by ${f.step})` : '')),
      marks: recs.map(() => false), marked: false, violation: false, stack: (f.stack ?? []).map((h) => rec.fnNames[h]),
    };
    slices.push(s);
  };
  groups.forEach((g, n) => mk(g, n + 1));
  L.forEach((l, i) => { if (l.hidden) mk([i], null); });
  slices.sort((a, b) => a.recs[0] - b.recs[0]);
  slices.forEach((s, id) => { s.id = id; for (const r of s.recs) sliceOf[r] = id; });

  const flows: Flow[] = [];
  const flow = (kind: FlowKind, from: number, to: number, label: string) => {
    if (sliceOf[from] >= 0 && sliceOf[to] >= 0) flows.push({ kind, from: sliceOf[from], to: sliceOf[to], fromRec: from, toRec: to, label });
  };

  // IPIs: a CPU's queue is FIFO; the handler's record names the sending context.
  const pending: number[][] = Array.from({ length: rec.ncpus }, () => []);
  // store buffers: FIFO per CPU; a commit takes the oldest store of its address (older ones were
  // committed where the model records no commit, e.g. a full buffer)
  const sb: number[][] = Array.from({ length: rec.ncpus }, () => []);
  // who wrote each address last (visibly to all CPUs), for reads-from
  const lastWriter = new Map<number, number>();
  const crossRead: boolean[] = new Array(L.length).fill(false);
  const rfFrom: number[] = new Array(L.length).fill(-1);
  L.forEach((l, i) => {
    const c = l.cpu;
    switch (l.op) {
      case 'ipi': if (l.peer !== undefined) pending[l.peer].push(i); break;
      case 'irq': {
        const q = pending[c];
        const j = q.findIndex((s) => L[s].cpu * 3 + L[s].level === l.peer);
        if (j >= 0) { const s = q.splice(j, 1)[0]; flow('ipi', s, i, L[s].text.replace(/^send /, '')); }
        break;
      }
      case 'store':
        if (rec.tso && buffered(l.text)) {
          sb[c].push(i);
          if (sb[c].length > SB_CAP) sb[c].shift();
        } else lastWriter.set(l.addr!, i);
        break;
      case 'rmw': lastWriter.set(l.addr!, i); break;
      case 'commit': case 'drain': {
        const j = sb[c].findIndex((s) => L[s].addr === l.addr);
        if (j >= 0) { flow('store-buffer', sb[c][j], i, `commit ${rec.objs[i] ? `${rec.objs[i]!.name}->${rec.objs[i]!.field}` : ''}`); sb[c].splice(0, j + 1); }
        lastWriter.set(l.addr!, i);
        break;
      }
      case 'load': {
        if (sb[c].some((s) => L[s].addr === l.addr)) break; // forwarded from its own buffer
        const w = lastWriter.get(l.addr!);
        if (w !== undefined && L[w].cpu !== c) { crossRead[i] = true; rfFrom[i] = w; }
        break;
      }
    }
  });

  // the violation and what leads to it
  let violation: TraceView['violation'] = null;
  const focus: string[] = [];
  const p = rec.primary;
  if (p) {
    const at = L.findIndex((l) => l.op === 'violation' && l.text === `!! ${p.oracle}: ${p.message}`);
    violation = { v: p, rec: at >= 0 ? at : null, slice: at >= 0 ? sliceOf[at] : null };
    for (const n of rec.objectNames) if (nameRe(n).test(p.message)) focus.push(n);
    const res = focus.map(nameRe);
    const names = (t: string) => res.some((r) => r.test(t));
    const upto = at >= 0 ? at : L.length;
    for (let i = 0; i < upto; i++) {
      const l = L[i], o = rec.objs[i];
      const onFocus = o !== null && focus.includes(o.name);
      const lead = onFocus ? isWrite(l.op) || (l.op === 'load' && crossRead[i]) : l.op === undefined && names(l.text);
      if (!lead) continue;
      const s = slices[sliceOf[i]];
      s.marks[s.recs.indexOf(i)] = true;
      s.marked = true;
      if (l.op === 'load') flow('reads-from', rfFrom[i], i, `reads ${o!.name}->${o!.field}`);
    }
    if (at >= 0) { const s = slices[sliceOf[at]]; s.violation = true; s.marks[s.recs.indexOf(at)] = true; }
  }
  const used = Array.from({ length: rec.ncpus }, () => [false, false, false, false]);
  for (const s of slices) used[s.cpu][s.lane] = true;
  return { rec, slices, flows, violation, focus, end: L.length, used };
}

/** "[kasan] use-after-free read of P->context.ldt (...)" */
export const violationTitle = (v: Violation) => `[${v.oracle}] ${v.message}`;
/** Where it was raised: "cpu1 in switch_mm_irqs_off.switch_ldt", or "at the end of the run". */
export function violationWhere(v: Violation): string {
  return v.cpu < 0 ? 'at the end of the run (quiescence check)' : `at cpu${v.cpu} in ${v.step}`;
}

/** The text trace's lines that lead to the violation and the violation's own, in order, with
 *  "..." for the lines left out; null when nothing is marked (the message names no object). */
export function leadingLog(v: TraceView, text: string[]): string[] | null {
  const keep = new Set<number>();
  for (const s of v.slices) if ((s.marked || s.violation) && s.line !== null) keep.add(s.line);
  if (keep.size <= (v.violation?.slice !== null ? 1 : 0)) return null;
  const out: string[] = [];
  let prev = 0;
  for (const n of [...keep].sort((a, b) => a - b)) {
    if (n > prev + 1) out.push(`     ... (${n - prev - 1} line${n - prev - 1 > 1 ? 's' : ''})`);
    out.push(text[n - 1]);
    prev = n;
  }
  if (prev < text.length) out.push(`     ... (${text.length - prev} more line${text.length - prev > 1 ? 's' : ''})`);
  return out;
}

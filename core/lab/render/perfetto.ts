// Chrome trace-event JSON (the "JSON Object Format" that ui.perfetto.dev and chrome://tracing
// open). Each CPU is a process with one thread per level (task, hardirq, NMI) and, under TSO, its
// store buffer. On a level, the running task, the kernel functions on the stack and the step are
// nested complete ('X') slices: a flame chart per CPU. IPIs, store-buffer commits and the reads
// that lead to the violation are flow events ('s' -> 'f'); the violation is an instant event.
//
// Time is the order of the interleaving, not a duration: one trace record is 1 us.
import { LANE_NAMES, LANE_SB, violationTitle, type TraceView, type Slice } from './view.ts';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'B' | 'E' | 'i' | 's' | 't' | 'f' | 'M';
  ts: number;
  pid: number;
  tid: number;
  cat?: string;
  dur?: number;
  id?: number;
  bp?: 'e';
  s?: 'g' | 'p' | 't';
  cname?: string;
  args?: Record<string, unknown>;
}

export const pidOf = (cpu: number) => cpu + 1;
export const tidOf = (cpu: number, lane: number) => 1 + cpu * 4 + lane;

export function toPerfetto(v: TraceView): { traceEvents: TraceEvent[]; displayTimeUnit: 'ns'; otherData: Record<string, unknown> } {
  const { rec } = v;
  const ev: TraceEvent[] = [];
  const lanes = rec.tso ? [0, 1, 2, 3] : [0, 1, 2];
  for (let c = 0; c < rec.ncpus; c++) {
    ev.push({ name: 'process_name', ph: 'M', ts: 0, pid: pidOf(c), tid: 0, args: { name: `cpu${c}` } });
    ev.push({ name: 'process_sort_index', ph: 'M', ts: 0, pid: pidOf(c), tid: 0, args: { sort_index: c } });
    for (const l of lanes) {
      ev.push({ name: 'thread_name', ph: 'M', ts: 0, pid: pidOf(c), tid: tidOf(c, l), args: { name: `cpu${c} ${LANE_NAMES[l]}` } });
      ev.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: pidOf(c), tid: tidOf(c, l), args: { sort_index: l } });
    }
  }
  for (let c = 0; c < rec.ncpus; c++) for (const l of lanes) ev.push(...laneSlices(v, v.slices.filter((s) => s.cpu === c && s.lane === l), c, l));

  let id = 1;
  for (const f of v.flows) {
    const a = v.slices[f.from], b = v.slices[f.to];
    const cat = f.kind;
    ev.push({ name: f.label, ph: 's', cat, id, ts: f.fromRec, pid: pidOf(a.cpu), tid: tidOf(a.cpu, a.lane) });
    ev.push({ name: f.label, ph: 'f', bp: 'e', cat, id, ts: f.toRec, pid: pidOf(b.cpu), tid: tidOf(b.cpu, b.lane) });
    id++;
  }
  if (v.violation) {
    const { v: viol, slice } = v.violation;
    const s = slice !== null ? v.slices[slice] : null;
    ev.push({
      name: violationTitle(viol), ph: 'i', cat: 'violation', s: s ? 't' : 'g', ts: s ? v.violation.rec! : v.end,
      pid: pidOf(s ? s.cpu : 0), tid: tidOf(s ? s.cpu : 0, s ? s.lane : 0), cname: 'terrible',
      args: { oracle: viol.oracle, message: viol.message, where: s ? `cpu${s.cpu} ${s.step}` : 'end of run', schedule: rec.schedule, replay: rec.replay },
    });
  }
  return {
    traceEvents: ev,
    displayTimeUnit: 'ns',
    otherData: {
      tool: 'lazymm', scenario: rec.scenario, config: rec.config, schedule: rec.schedule, replay: rec.replay,
      violation: v.violation ? violationTitle(v.violation.v) : null,
      time: 'the order of the interleaving, not a duration: one trace record is 1 us',
    },
  };
}

/** One lane's slices: the task (task level), then the call stack, then the step, as nested X
 *  slices. A frame stays open over consecutive slices whose stacks share it. */
function laneSlices(v: TraceView, ss: Slice[], cpu: number, lane: number): TraceEvent[] {
  const out: TraceEvent[] = [];
  const pid = pidOf(cpu), tid = tidOf(cpu, lane);
  type Open = { name: string; ts: number; end: number; cat: string };
  const open: Open[] = [];
  const depth = new Map<TraceEvent, number>();
  const close = (d: number) => {
    while (open.length > d) {
      const o = open.pop()!;
      const e: TraceEvent = { name: o.name, ph: 'X', cat: o.cat, ts: o.ts, dur: o.end - o.ts, pid, tid };
      depth.set(e, open.length);
      out.push(e);
    }
  };
  for (const s of ss) {
    const t0 = s.recs[0], t1 = s.recs[s.recs.length - 1] + 1;
    // frames: the task on the task level; the functions below the CPU loop / IRQ entry
    const frames: { name: string; cat: string }[] = [];
    if (lane === 0) frames.push({ name: s.who, cat: 'task' });
    if (lane !== LANE_SB) for (const f of s.stack.slice(1)) frames.push({ name: f, cat: 'function' });
    let d = 0;
    while (d < open.length && d < frames.length && open[d].name === frames[d].name) d++;
    close(d);
    for (let i = d; i < frames.length; i++) open.push({ ...frames[i], ts: t0, end: t1 });
    for (const o of open) o.end = t1;
    const args: Record<string, unknown> = { line: s.line, task: s.who, records: s.texts };
    if (s.marked) args.leads_to_violation = s.texts.filter((_, i) => s.marks[i]);
    const e: TraceEvent = { name: s.step, ph: 'X', cat: lane === LANE_SB ? 'store-buffer' : 'step', ts: t0, dur: t1 - t0, pid, tid, args, ...(s.violation ? { cname: 'terrible' } : s.marked ? { cname: 'bad' } : {}) };
    depth.set(e, open.length);
    out.push(e);
  }
  close(0);
  // parents before children: importers nest slices that start together by this order
  return out.sort((a, b) => a.ts - b.ts || b.dur! - a.dur! || depth.get(a)! - depth.get(b)!);
}

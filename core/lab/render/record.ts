// A recorded execution for the structured trace formats (Perfetto, ftrace, HTML): the trace
// records, where each event of the schedule starts among them, and the names the renderers need
// (objects of accessed addresses, functions, task pids). Recording replays a finished execution's
// events once more with tracing on: the engine and its untraced hot path are not involved.
import { runOnce, type Chooser } from '../../model/engine.ts';
import { ReplayChooser } from '../../model/drivers/explore.ts';
import { HOOK_NAMES } from '../../model/fns.ts';
import { primaryViolation, type Kernel, type TraceLine, type Violation, type ViolationMatch } from '../../model/index.ts';
import type { ScenarioDef } from '../../model/index.ts';

export interface RecordMeta {
  /** the scenario as a command line names it: a built-in name, or the path of a user module */
  scenario: string;
  /** describeConfig() of the configuration */
  config: string;
  /** a command that replays this execution */
  replay: string;
  /** the signature looked for (--match/--oracle): the report that matches it is the headline */
  match?: ViolationMatch | null;
}

export interface Recorded extends RecordMeta {
  scenarioName: string;
  ncpus: number;
  tso: boolean;
  schedule: string;
  /** the schedule's events (engine.ts encoding) and, for each, the index of its first record */
  events: number[];
  starts: number[];
  lines: TraceLine[];
  /** per record with an address: the object and field it names */
  objs: ({ name: string; field: string; kind: string } | null)[];
  /** the names of the objects the trace accesses (to find those a violation message names) */
  objectNames: string[];
  fnNames: readonly string[];
  /** pid of each task by name (idle tasks are pid 0, as swapper is) */
  pids: Record<string, number>;
  violations: Violation[];
  primary: Violation | null;
}

/** Replay `events` on k with tracing, recording where each event starts. */
export function recordRun(k: Kernel, sc: ScenarioDef, events: number[], schedule: string, maxSteps: number, meta: RecordMeta): Recorded {
  const inner = new ReplayChooser(events);
  const starts: number[] = [];
  const chooser: Chooser = {
    choose(en, n, last, depth) {
      starts[depth] = k.trace.length;
      return inner.choose(en, n, last, depth);
    },
  };
  const res = runOnce(k, sc, chooser, { maxSteps, trace: true });
  const lines = k.trace.slice();
  const objs = lines.map((l) => {
    if (l.addr === undefined) return null;
    const o = k.m.objAt(l.addr);
    return o ? { name: o.name, field: o.fields[l.addr - o.base], kind: o.kind } : null;
  });
  const objectNames = [...new Set(objs.filter((o) => o !== null).map((o) => o!.name))];
  const pids: Record<string, number> = {};
  for (const t of k.tasks) pids[t.name] = t.isIdle ? 0 : t.tid;
  const violations = res.violations.map((v) => ({ ...v, schedule }));
  const { match, ...rest } = meta;
  return {
    ...rest, scenarioName: sc.name, ncpus: k.ncpus, tso: k.tso, schedule, events: res.events, starts: starts.slice(0, res.events.length),
    lines, objs, objectNames, fnNames: HOOK_NAMES, pids, violations, primary: primaryViolation(violations, match),
  };
}

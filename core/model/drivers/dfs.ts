// Bounded exhaustive DFS: iterative preemption bounding (0, 1, ... bound) as in CHESS, with
// sleep-set partial-order reduction over the footprints of each event. A branch is restored from a
// snapshot of the declared state taken where it forked, not replayed from boot; the executions,
// their order and their count are the same as a replay-based search would give.
import {
  startRun, enabledEvents, execEvent, finishRun, enabledBuf, stepBudget, type RunResult,
} from '../engine.ts';
import type { Kernel } from '../kernel.ts';
import type { Snapshot } from '../state.ts';
import type { ScenarioDef } from '../scenario.ts';

interface Node {
  enabled: number[];
  chosen: number; // event
  done: Map<number, Int32Array>; // explored events -> footprint from this state
  sleep: Map<number, Int32Array>; // inherited sleep set
  preemptions: number; // preemptions in the prefix before this node's choice
  last: number;
  /** the state before this node's event, when the node has an alternative to come back to */
  snap: Snapshot | null;
}

export function independent(a: Int32Array, b: Int32Array, ea: number, eb: number): boolean {
  if ((ea & 0xfff) === (eb & 0xfff)) return false; // same CPU: program order
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0) return false;
    for (let j = 0; j < b.length; j++) {
      if (b[j] < 0) return false;
      if (a[i] >> 1 === b[j] >> 1 && ((a[i] | b[j]) & 1)) return false;
    }
  }
  for (let j = 0; j < b.length; j++) if (b[j] < 0) return false;
  return true;
}

function isPreemption(enabled: number[], last: number, chosen: number): boolean {
  return last >= 0 && chosen !== last && enabled.includes(last);
}

export interface DfsOptions {
  budget: number;
  maxSteps: number;
  preemptionBound: number;
  progress?: (explored: number, budget: number) => void;
  /** checked between schedules: true stops the search (interrupted) */
  stop?: () => boolean;
}

export interface DfsOutcome {
  /** the first execution that reported a violation (of the signature, k.interest) */
  found: RunResult | null;
  /** with a signature: the first execution whose reports do not match it */
  other?: RunResult | null;
  schedulesExplored: number;
  steps: number;
  /** the whole bounded space was explored */
  complete: boolean;
  counters: Record<string, number>;
  interrupted: boolean;
}

export function dfsExplore(k: Kernel, sc: ScenarioDef, o: DfsOptions): DfsOutcome {
  const counters: Record<string, number> = {};
  let other: RunResult | null = null;
  let explored = 0;
  let steps = 0;
  // Snapshots need every observer of the run to be restorable; the conformance checkers keep
  // their own per-run state, so with checkers attached a branch is replayed from boot instead.
  const canRestore = k.checkers.length === 0;
  const pool: Snapshot[] = [];
  const buf = enabledBuf(k);
  k.fpOn = true;
  try {
    for (let bound = 0; bound <= o.preemptionBound; bound++) {
      const stack: Node[] = [];
      const fps: Int32Array[] = [];
      const events: number[] = [];
      if (explored >= o.budget) return { found: null, other, schedulesExplored: explored, steps, complete: false, counters, interrupted: false };
      startRun(k, sc, false);
      let last = -1;
      for (;;) {
        // Run this execution to its end, creating nodes beyond the known prefix.
        for (;;) {
          if (k.fatal) break;
          const n = enabledEvents(k, buf);
          if (n === 0) break;
          const depth = events.length;
          let node = stack[depth];
          if (node === undefined) {
            const parent = stack[depth - 1];
            const sleep = new Map<number, Int32Array>();
            if (parent) {
              const fpChosen = fps[depth - 1];
              const ch = parent.chosen;
              for (const [e, fp] of parent.sleep) if (independent(fp, fpChosen, e, ch)) sleep.set(e, fp);
              for (const [e, fp] of parent.done) if (e !== ch && independent(fp, fpChosen, e, ch)) sleep.set(e, fp);
            }
            const enabled: number[] = new Array(n);
            for (let i = 0; i < n; i++) enabled[i] = buf[i];
            const pre = parent ? parent.preemptions + (isPreemption(parent.enabled, parent.last, parent.chosen) ? 1 : 0) : 0;
            let pick = -1;
            if (enabled.includes(last) && !sleep.has(last)) pick = last;
            else for (const e of enabled) if (!sleep.has(e)) { pick = e; break; }
            if (pick < 0) pick = enabled[0]; // everything asleep: this branch is redundant; finish it cheaply
            node = { enabled, chosen: pick, done: new Map(), sleep, preemptions: pre, last, snap: null };
            // Keep the state only if backtracking may come back here.
            if (canRestore) {
              for (const e of enabled) {
                if (e === pick || sleep.has(e)) continue;
                if (pre + (isPreemption(enabled, last, e) ? 1 : 0) > bound) continue;
                node.snap = k.snapshot(pool[depth]);
                pool[depth] = node.snap;
                break;
              }
            }
            stack[depth] = node;
          }
          const e = node.chosen;
          k.fpn = 0;
          execEvent(k, e);
          events.push(e);
          fps[depth] = k.fp.slice(0, k.fpn);
          if (k.checkers.length !== 0) for (const ch of k.checkers) ch(k, e);
          last = e;
          if (events.length >= o.maxSteps && !k.fatal) stepBudget(k, sc, o.maxSteps);
        }
        finishRun(k, sc);
        explored++;
        steps += events.length;
        const cs = k.counters;
        for (const key in cs) counters[key] = (counters[key] ?? 0) + cs[key];
        if (o.progress && (explored & 255) === 0) o.progress(explored, o.budget);
        if (k.found()) {
          return { found: { violations: k.violations, steps: events.length, events: events.slice() }, other, schedulesExplored: explored, steps, complete: false, counters, interrupted: false };
        }
        if (other === null && k.violationCount !== 0) other = { violations: k.violations, steps: events.length, events: events.slice() };
        // Backtrack to the deepest node with an untried alternative within the bound.
        let d = stack.length - 1;
        let alt = -1;
        for (; d >= 0; d--) {
          const node = stack[d];
          node.done.set(node.chosen, fps[d] ?? new Int32Array([-1]));
          for (const e of node.enabled) {
            if (node.done.has(e) || node.sleep.has(e)) continue;
            if (node.preemptions + (isPreemption(node.enabled, node.last, e) ? 1 : 0) > bound) continue;
            alt = e;
            break;
          }
          if (alt >= 0) break;
        }
        if (alt < 0) break; // this bound is exhausted
        if (explored >= o.budget) return { found: null, other, schedulesExplored: explored, steps, complete: false, counters, interrupted: false };
        if (o.stop?.()) return { found: null, other, schedulesExplored: explored, steps, complete: false, counters, interrupted: true };
        const node = stack[d];
        node.chosen = alt;
        stack.length = d + 1;
        fps.length = d;
        if (canRestore) {
          k.restore(node.snap!);
          events.length = d;
        } else {
          // Replay the prefix from boot (the checkers see a whole new run).
          const prefix = events.slice(0, d);
          startRun(k, sc, false);
          events.length = 0;
          for (const e of prefix) {
            k.fpn = 0;
            execEvent(k, e);
            events.push(e);
            for (const ch of k.checkers) ch(k, e);
          }
        }
        last = node.last;
      }
    }
    return { found: null, other, schedulesExplored: explored, steps, complete: true, counters, interrupted: false };
  } finally {
    k.fpOn = false;
  }
}

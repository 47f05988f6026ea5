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

export interface Node {
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

/** An event's footprint as an array the search keeps (footprints are only read): the empty one
 *  and one-access ones are shared, so the step loop allocates only for the rare longer ones. */
const EMPTY_FP = new Int32Array(0);
const ONE_FP = new Map<number, Int32Array>();
function footprint(fp: Int32Array, n: number): Int32Array {
  if (n === 0) return EMPTY_FP;
  if (n === 1) {
    let a = ONE_FP.get(fp[0]);
    if (a === undefined) { a = fp.slice(0, 1); ONE_FP.set(fp[0], a); }
    return a;
  }
  return fp.slice(0, n);
}

export function isPreemption(enabled: number[], last: number, chosen: number): boolean {
  return last >= 0 && chosen !== last && enabled.includes(last);
}

/** A node of the search tree at the current state: its sleep set (what slept at the parent and
 *  the parent's explored alternatives, if independent of the event taken), preemptions so far,
 *  and its first choice (keep running the last CPU, else the first event not asleep). */
export function newNode(parent: Node | undefined, fpChosen: Int32Array | undefined, buf: Int32Array, n: number, last: number): Node {
  const sleep = new Map<number, Int32Array>();
  if (parent) {
    const ch = parent.chosen;
    for (const [e, fp] of parent.sleep) if (independent(fp, fpChosen!, e, ch)) sleep.set(e, fp);
    for (const [e, fp] of parent.done) if (e !== ch && independent(fp, fpChosen!, e, ch)) sleep.set(e, fp);
  }
  const enabled: number[] = new Array(n);
  for (let i = 0; i < n; i++) enabled[i] = buf[i];
  const pre = parent ? parent.preemptions + (isPreemption(parent.enabled, parent.last, parent.chosen) ? 1 : 0) : 0;
  let pick = -1;
  if (enabled.includes(last) && !sleep.has(last)) pick = last;
  else for (const e of enabled) if (!sleep.has(e)) { pick = e; break; }
  if (pick < 0) pick = enabled[0]; // everything asleep: this branch is redundant; finish it cheaply
  return { enabled, chosen: pick, done: new Map(), sleep, preemptions: pre, last, snap: null };
}

/** The alternatives of a node after its first choice, in the order the search takes them. */
export function alternatives(node: Node, bound: number): number[] {
  const out: number[] = [];
  for (const e of node.enabled) {
    if (e === node.chosen || node.sleep.has(e)) continue;
    if (node.preemptions + (isPreemption(node.enabled, node.last, e) ? 1 : 0) > bound) continue;
    out.push(e);
  }
  return out;
}

export interface DfsOptions {
  budget: number;
  maxSteps: number;
  preemptionBound: number;
  progress?: (explored: number, budget: number) => void;
  /** checked between schedules: true stops the search (interrupted) */
  stop?: () => boolean;
  /** search only the subtree below `prefix` of the tree of preemption bound `bound`
   *  (dfs-split.ts cuts the search into such subtrees; their results, in DFS order, add up to
   *  the whole search's) */
  unit?: { bound: number; prefix: number[] };
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

/** Replay a subtree's prefix from the initial state, building its nodes: each has taken the
 *  prefix's event and has explored the alternatives that come before it (their footprints, for
 *  the sleep sets below). Returns the prefix length (the search does not backtrack above it). */
function enterUnit(k: Kernel, prefix: number[], bound: number, stack: Node[], fps: Int32Array[], events: number[], buf: Int32Array): number {
  let last = -1;
  for (let d = 0; d < prefix.length; d++) {
    const n = enabledEvents(k, buf);
    const node = newNode(stack[d - 1], fps[d - 1], buf, n, last);
    const e = prefix[d];
    const order = [node.chosen, ...alternatives(node, bound)];
    const at = order.indexOf(e);
    if (at < 0) throw new Error(`internal: dfs unit prefix event ${e} at ${d} is not a branch of the search`);
    if (at > 0) {
      const here = k.snapshot();
      for (let j = 0; j < at; j++) {
        k.fpn = 0;
        execEvent(k, order[j]);
        node.done.set(order[j], k.fp.slice(0, k.fpn));
        k.restore(here);
      }
    }
    node.chosen = e;
    stack[d] = node;
    k.fpn = 0;
    execEvent(k, e);
    events.push(e);
    fps[d] = k.fp.slice(0, k.fpn);
    last = e;
  }
  return prefix.length;
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
    const [b0, b1] = o.unit ? [o.unit.bound, o.unit.bound] : [0, o.preemptionBound];
    for (let bound = b0; bound <= b1; bound++) {
      const stack: Node[] = [];
      const fps: Int32Array[] = [];
      const events: number[] = [];
      if (explored >= o.budget) return { found: null, other, schedulesExplored: explored, steps, complete: false, counters, interrupted: false };
      startRun(k, sc, false);
      let last = -1;
      // a subtree: the nodes above it as the whole search has them when it gets there
      const floor = o.unit ? enterUnit(k, o.unit.prefix, bound, stack, fps, events, buf) : 0;
      if (floor) last = events[floor - 1];
      for (;;) {
        // Run this execution to its end, creating nodes beyond the known prefix.
        for (;;) {
          if (k.fatal) break;
          const n = enabledEvents(k, buf);
          if (n === 0) break;
          const depth = events.length;
          let node = stack[depth];
          if (node === undefined) {
            node = newNode(stack[depth - 1], fps[depth - 1], buf, n, last);
            const { enabled, sleep, preemptions: pre } = node;
            const pick = node.chosen;
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
          fps[depth] = footprint(k.fp, k.fpn);
          if (k.checkers.length !== 0) for (const ch of k.checkers) ch(k, e);
          last = e;
          if (events.length >= o.maxSteps && !k.fatal) stepBudget(k, sc, o.maxSteps);
        }
        finishRun(k, sc);
        explored++;
        steps += events.length;
        k.addCountersTo(counters);
        if (o.progress && (explored & 255) === 0) o.progress(explored, o.budget);
        if (k.found()) {
          return { found: { violations: k.violations, steps: events.length, events: events.slice() }, other, schedulesExplored: explored, steps, complete: false, counters, interrupted: false };
        }
        if (other === null && k.violationCount !== 0) other = { violations: k.violations, steps: events.length, events: events.slice() };
        // Backtrack to the deepest node with an untried alternative within the bound.
        let d = stack.length - 1;
        let alt = -1;
        for (; d >= floor; d--) {
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

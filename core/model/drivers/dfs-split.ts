// The bounded DFS (dfs.ts) cut into subtrees that can be searched anywhere: for each preemption
// bound, the top of the search tree is expanded until it has `target` leaves, and each leaf is a
// unit: dfsExplore({ unit: { bound, prefix } }) searches the subtree below it. The search is
// stateless, so the units, taken in DFS order, make exactly the schedules of the whole search in
// the same order: their counts add up to the serial ones, and the first violation in unit order
// is the serial search's first violation.
//
// Which nodes to expand: the DFS tree is lopsided (the subtree that keeps running the same CPU
// holds every schedule whose first preemption comes later), so the node expanded next is the one
// with the most preemptions left, then the shallowest: the cut follows the non-preemptive path
// down, leaving subtrees of a similar size beside it. The cut depends only on the model, the
// bound and the target, never on the number of workers.
import { startRun, enabledEvents, execEvent, enabledBuf } from '../engine.ts';
import type { Kernel } from '../kernel.ts';
import type { ScenarioDef } from '../scenario.ts';
import type { Snapshot } from '../state.ts';
import { newNode, alternatives, isPreemption, type Node } from './dfs.ts';

export interface DfsUnit { bound: number; prefix: number[] }

interface Entry {
  prefix: number[];
  /** child ranks from the root: DFS order is their lexicographic order */
  rank: number[];
  snap: Snapshot;
  /** the parent as the search has it when it creates this node (for newNode) */
  parent: Node | undefined;
  fp: Int32Array | undefined;
  preemptions: number;
  leaf: boolean;
}

export function dfsUnits(k: Kernel, sc: ScenarioDef, bound: number, target: number, maxExpansions = 40 * target): DfsUnit[] {
  // conformance checkers keep per-run state: no snapshots, one unit per bound
  if (k.checkers.length !== 0) return [{ bound, prefix: [] }];
  const buf = enabledBuf(k);
  const saved = k.fpOn;
  k.fpOn = true;
  try {
    startRun(k, sc, false);
    const entries: Entry[] = [{ prefix: [], rank: [], snap: k.snapshot(), parent: undefined, fp: undefined, preemptions: 0, leaf: false }];
    for (let x = 0; x < maxExpansions && entries.length < target; x++) {
      let best = -1;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (e.leaf) continue;
        if (best < 0) { best = i; continue; }
        const b = entries[best];
        if (e.preemptions < b.preemptions || (e.preemptions === b.preemptions && e.prefix.length < b.prefix.length)) best = i;
      }
      if (best < 0) break;
      const ent = entries[best];
      k.restore(ent.snap);
      const n = k.fatal ? 0 : enabledEvents(k, buf);
      if (n === 0) { ent.leaf = true; continue; }
      const last = ent.prefix.length ? ent.prefix[ent.prefix.length - 1] : -1;
      const node = newNode(ent.parent, ent.fp, buf, n, last);
      const order = [node.chosen, ...alternatives(node, bound)];
      const children: Entry[] = [];
      for (let j = 0; j < order.length; j++) {
        const c = order[j];
        k.restore(ent.snap);
        k.fpn = 0;
        execEvent(k, c);
        const fp = k.fp.slice(0, k.fpn);
        // the parent as the search sees it when it creates this child: c chosen, the children
        // before it explored
        const view: Node = { ...node, chosen: c, done: new Map(node.done) };
        node.done.set(c, fp);
        children.push({
          prefix: [...ent.prefix, c], rank: [...ent.rank, j], snap: k.snapshot(), parent: view, fp,
          preemptions: node.preemptions + (isPreemption(node.enabled, node.last, c) ? 1 : 0), leaf: false,
        });
      }
      entries.splice(best, 1, ...children);
    }
    entries.sort((a, b) => {
      for (let i = 0; i < Math.min(a.rank.length, b.rank.length); i++) if (a.rank[i] !== b.rank[i]) return a.rank[i] - b.rank[i];
      return a.rank.length - b.rank.length;
    });
    return entries.map((e) => ({ bound, prefix: e.prefix }));
  } finally {
    k.fpOn = saved;
  }
}

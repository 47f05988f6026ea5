// The stateful exhaustive search (`--strategy verify`): a depth-first search over the states of
// the model, as SPIN's pan does it. A state is the canonical vector of the declared run state
// (RunState.buildVector); a state already visited is not expanded again; a branch is restored
// from a snapshot of its parent, not replayed from boot. There is no preemption bound: when the
// search ends without a violation, every reachable state was visited ("verified").
//
// Partial-order reduction: sleep sets over the events' footprints, combined with state caching
// as Godefroid's algorithm does it (a state revisited with a smaller sleep set explores the
// events that slept before and no longer do; the stored sleep set becomes the intersection).
// Sleep sets never drop a reachable state, so they need no cycle proviso (that is for persistent
// sets, which this search does not use); they only skip transitions whose effect is reached
// another way.
//
// Storage: 'exact' (default) interns each component of a state (a region's words) and then the
// vector of component ids (COLLAPSE): nothing is lost. 'hash-compact' keeps a 64-bit fingerprint
// per state and 'bitstate' a bit array (SPIN's -DHC / -DBITSTATE): less memory, but two states may
// be taken for one, so the search is no longer exhaustive; the result gives the probability bound.
import {
  startRun, enabledEvents, execEvent, finishRun, enabledBuf, RunawayError, type RunResult,
} from '../engine.ts';
import type { Kernel } from '../kernel.ts';
import { hash64, Vec, type Snapshot, type Region } from '../state.ts';
import type { ScenarioDef } from '../scenario.ts';
import { VectorTable } from './intern.ts';
import { independent } from './dfs.ts';

export type Storage = 'exact' | 'hash-compact' | 'bitstate';

export interface VerifyOptions {
  maxSteps: number;
  storage?: Storage;
  /** bitstate: log2 of the number of bits (default 30: 128 MiB) */
  bitstateLog2?: number;
  /** stop after this many states (the result is then incomplete) */
  maxStates?: number;
  /** sleep-set reduction (default on) */
  por?: boolean;
  /** after a violation, keep searching for a shorter path to one (SPIN's -i) within this many
   *  extra transitions (0: report the first) */
  shortestBudget?: number;
  /** stop when it returns true (interrupted: checked every 4096 transitions) */
  stop?: () => boolean;
  progress?: (states: number, transitions: number) => void;
}

export interface VerifyResult {
  /** the whole reachable space was searched (exact storage) or the search ran out of states */
  complete: boolean;
  states: number;
  transitions: number;
  /** the deepest path searched */
  depth: number;
  found: RunResult | null;
  storage: Storage;
  /** hash-compact/bitstate: an upper bound on the probability that a state was missed */
  missProbability?: number;
  /** memory the visited set holds, in bytes */
  bytes: number;
  interrupted: boolean;
  counters: Record<string, number>;
}

interface Frame {
  /** the state's components (exact storage: the ids its children are compared against) */
  comps: Int32Array | null;
  enabled: Int32Array;
  n: number;
  next: number;
  /** events to explore from this state (per `enabled` index: 1 = explore) */
  todo: Uint8Array;
  snap: Snapshot | null;
  /** sleep set on entry: event -> footprint */
  sleep: Map<number, Int32Array>;
  /** explored events -> footprints */
  done: Map<number, Int32Array>;
  /** the visited-set id of this state (exact storage), -1 otherwise */
  id: number;
  /** no event explored from it yet: the kernel is still in this state */
  first: boolean;
}

/** The visited set. (verify-bfs.ts keeps one per partition, `ids` small.) */
export class Visited {
  private readonly comps: VectorTable[] = [];
  private readonly states: VectorTable;
  private readonly ids = new Int32Array(4096);
  private bits: Uint32Array | null = null;
  private bitsSet = 0;
  /** exact storage: the sleep set each state was explored with */
  readonly sleeps: (Map<number, Int32Array> | undefined)[] = [];
  size = 0;
  constructor(readonly storage: Storage, readonly log2: number, private readonly initialIds = 1 << 12) {
    this.states = new VectorTable(initialIds);
    if (storage === 'bitstate') this.bits = new Uint32Array(1 << Math.max(0, log2 - 5));
  }

  private keyRegions: Region[] | null = null;
  get components(): number { return this.keyRegions?.length ?? 0; }
  private readonly scratch = new Vec();
  /** the component ids of the state last looked up (exact storage) */
  readonly last = new Int32Array(4096);

  /** Look the current state up; returns its id (exact, else 0) and whether it is new. Each key
   *  region is a component, interned straight from its array (or its canonical form). `parent`
   *  holds the components of the state this one was reached from: a component that did not
   *  change is taken over with a comparison (an append-only region whose length did not change
   *  cannot have changed at all), no hashing. */
  visit(k: Kernel, parent: Int32Array | null): { id: number; fresh: boolean } {
    const regions = (this.keyRegions ??= k.runState.regions.filter((r) => r.opts.key));
    if (this.storage === 'exact') {
      const nc = regions.length;
      const ids = this.last;
      for (let i = 0; i < nc; i++) {
        const r = regions[i];
        let t = this.comps[i];
        if (!t) { t = new VectorTable(this.initialIds); this.comps[i] = t; }
        let v: Int32Array, n: number;
        if (r.opts.canon) {
          const s = this.scratch;
          s.n = 0;
          r.opts.canon(s);
          v = s.a;
          n = s.n;
        } else {
          v = r.a as Int32Array;
          n = r.live();
        }
        if (parent !== null) {
          const pid = parent[i];
          if (r.opts.appendOnly ? t.length(pid) === n : t.equals(pid, v, 0, n)) { ids[i] = pid; continue; }
        }
        ids[i] = t.intern(v, 0, n);
      }
      const id = this.states.intern(ids, 0, nc);
      if (this.states.added) this.size++;
      return { id, fresh: this.states.added };
    }
    const v = k.runState.buildVector();
    const [h1, h2] = hash64(v.a, v.n);
    if (this.storage === 'hash-compact') {
      this.ids[0] = h1;
      this.ids[1] = h2;
      this.states.intern(this.ids, 0, 2);
      if (this.states.added) this.size++;
      return { id: 0, fresh: this.states.added };
    }
    // bitstate: three bit positions from the two hashes (Kirsch-Mitzenmacher)
    const bits = this.bits!, m = bits.length * 32;
    let fresh = false;
    for (let j = 0; j < 3; j++) {
      const b = ((h1 + j * h2) >>> 0) % m;
      const w = b >>> 5, bit = 1 << (b & 31);
      if ((bits[w] & bit) === 0) { bits[w] |= bit; fresh = true; this.bitsSet++; }
    }
    if (fresh) this.size++;
    return { id: 0, fresh };
  }

  get bytes(): number {
    if (this.bits) return this.bits.length * 4;
    let b = this.states.bytes;
    for (const t of this.comps) b += t.bytes;
    return b;
  }

  /** An upper bound on the probability that some state was wrongly taken as visited. */
  missProbability(): number | undefined {
    if (this.storage === 'hash-compact') return Math.min(1, (this.size * this.size) / 2 ** 65);
    if (this.storage === 'bitstate') {
      // a new state is lost when all three of its bits are already set: (fill ratio)^3, summed
      const fill = this.bitsSet / (this.bits!.length * 32);
      return Math.min(1, this.size * fill ** 3);
    }
    return undefined;
  }
}

export function verifySearch(k: Kernel, sc: ScenarioDef, o: VerifyOptions): VerifyResult {
  const storage = o.storage ?? 'exact';
  const por = o.por !== false;
  const visited = new Visited(storage, o.bitstateLog2 ?? 30);
  const pool: Snapshot[] = [];
  const buf = enabledBuf(k);
  const stack: Frame[] = [];
  const path: number[] = [];
  const fps: Int32Array[] = [];
  const maxStates = o.maxStates ?? Infinity;
  let transitions = 0;
  let depth = 0;
  let found: RunResult | null = null;
  let foundAt = Infinity;
  let extra = 0;
  let interrupted = false;
  let complete = true;
  const counters: Record<string, number> = {};

  const frameFor = (sleep: Map<number, Int32Array>, id: number, todoFrom: Map<number, Int32Array> | null): Frame | null => {
    const n = enabledEvents(k, buf);
    const enabled = buf.slice(0, n);
    const todo = new Uint8Array(n);
    let count = 0;
    for (let i = 0; i < n; i++) {
      const e = enabled[i];
      if (todoFrom ? todoFrom.has(e) && !sleep.has(e) : !sleep.has(e)) { todo[i] = 1; count++; }
    }
    if (count === 0) return null;
    // a snapshot only where the search will come back for a second event
    const d = stack.length;
    const snap = count > 1 ? (pool[d] = k.snapshot(pool[d])) : null;
    const comps = storage === 'exact' ? visited.last.slice(0, visited.components) : null;
    return { comps, enabled, n, next: 0, todo, snap, sleep, done: new Map(), id, first: true };
  };

  /** The current state is reached: is it new (then push it), a revisit worth exploring again, or
   *  a dead end / violation? */
  const arrive = (sleep: Map<number, Int32Array>, parent: Int32Array | null) => {
    if (k.violationCount !== 0) { report(); return; }
    const n = enabledEvents(k, buf);
    if (n === 0) {
      // a final state: the quiescence oracles, once per distinct state
      if (!visited.visit(k, parent).fresh) return;
      finishRun(k, sc);
      if (k.violationCount !== 0) report();
      else addCounters();
      return;
    }
    const { id, fresh } = visited.visit(k, parent);
    if (!fresh && !por) return;
    if (!fresh) {
      // Godefroid: explore what slept the first time and does not now; keep the intersection.
      if (storage !== 'exact') return;
      const stored = visited.sleeps[id];
      if (!stored || stored.size === 0) return;
      const again = new Map<number, Int32Array>();
      for (const [e, fp] of stored) if (!sleep.has(e)) again.set(e, fp);
      if (again.size === 0) return;
      const inter = new Map<number, Int32Array>();
      for (const [e, fp] of stored) if (sleep.has(e)) inter.set(e, fp);
      visited.sleeps[id] = inter;
      const f = frameFor(sleep, id, again);
      if (f) push(f);
      return;
    }
    if (storage === 'exact' && por) visited.sleeps[id] = sleep;
    const f = frameFor(sleep, id, null);
    if (f) push(f);
  };
  const push = (f: Frame) => {
    stack.push(f);
    if (stack.length > depth) depth = stack.length;
    if (stack.length > o.maxSteps)
      throw new RunawayError(`scenario '${sc.name}' exceeded the step budget of ${o.maxSteps} steps in one execution (runaway program?)`);
  };
  const addCounters = () => {
    const cs = k.counters;
    for (const key in cs) counters[key] = (counters[key] ?? 0) + cs[key];
  };
  const report = () => {
    if (path.length < foundAt) {
      found = { violations: k.violations, steps: path.length, events: path.slice() };
      foundAt = path.length;
    }
  };

  k.fpOn = por;
  try {
    startRun(k, sc, false);
    arrive(new Map(), null);
    while (stack.length !== 0) {
      if (found !== null) {
        // SPIN -i: look for a shorter path to a violation, within the extra budget
        if (!o.shortestBudget || extra >= o.shortestBudget) break;
      }
      if (visited.size >= maxStates) { complete = false; break; }
      const top = stack[stack.length - 1];
      // the next event of this state still to explore
      let i = top.next;
      while (i < top.n && top.todo[i] === 0) i++;
      if (i >= top.n || stack.length >= foundAt) {
        stack.pop();
        path.length = stack.length;
        fps.length = stack.length;
        continue;
      }
      const first = top.first;
      top.first = false;
      top.next = i + 1;
      const e = top.enabled[i];
      // The kernel is at this state for its first event; a later one starts from the snapshot.
      if (!first) {
        k.restore(top.snap!);
        path.length = stack.length - 1;
      }
      k.fpn = 0;
      execEvent(k, e);
      transitions++;
      if (found !== null) extra++;
      path[stack.length - 1] = e;
      const fp = por ? k.fp.slice(0, k.fpn) : EMPTY;
      fps[stack.length - 1] = fp;
      // the child's sleep set: what slept here, and the siblings already explored, if independent of e
      let sleep = NONE;
      if (por) {
        sleep = new Map();
        for (const [u, ufp] of top.sleep) if (independent(ufp, fp, u, e)) sleep.set(u, ufp);
        for (const [u, ufp] of top.done) if (independent(ufp, fp, u, e)) sleep.set(u, ufp);
        top.done.set(e, fp);
      }
      arrive(sleep, top.comps);
      if ((transitions & 4095) === 0) {
        o.progress?.(visited.size, transitions);
        if (o.stop?.()) { interrupted = true; complete = false; break; }
      }
    }
    if (found !== null) complete = false;
    return {
      complete: complete && storage === 'exact', states: visited.size, transitions, depth, found, storage,
      missProbability: visited.missProbability(), bytes: visited.bytes, interrupted, counters,
    };
  } finally {
    k.fpOn = false;
  }
}

const EMPTY = new Int32Array(0);
const NONE = new Map<number, Int32Array>();

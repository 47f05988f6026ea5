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
//
// The loop allocates nothing per transition: search frames are pooled by depth, footprints are
// interned (an event's footprint becomes an id, and the independence of two ids is cached), and a
// sleep set is a short list of (event, footprint id) pairs.
import {
  startRun, enabledEvents, execEvent, finishRun, enabledBuf, RunawayError, atSchedule, type RunResult,
} from '../engine.ts';
import type { Kernel } from '../kernel.ts';
import { hash64, Vec, type Snapshot, type Region } from '../state.ts';
import type { ScenarioDef } from '../scenario.ts';
import { VectorTable } from './intern.ts';

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
  /** with a signature (k.interest): the first path to reports that do not match it */
  other: RunResult | null;
  storage: Storage;
  /** hash-compact/bitstate: an upper bound on the probability that a state was missed */
  missProbability?: number;
  /** memory the visited set holds, in bytes */
  bytes: number;
  interrupted: boolean;
  counters: Record<string, number>;
}

/** A state on the search stack. Pooled per depth: the arrays are sized once. */
class Frame {
  enabled: Int32Array;
  /** per `enabled` index: 1 = still to explore */
  todo: Uint8Array;
  n = 0;
  next = 0;
  /** the state's component ids (exact storage): its children compare against them */
  comps: Int32Array;
  snap: Snapshot | null = null;
  /** sleep set on entry: events and their footprint ids */
  sleepEv: Int32Array;
  sleepFp: Int32Array;
  sleepN = 0;
  /** events explored from here, with their footprint ids */
  doneEv: Int32Array;
  doneFp: Int32Array;
  doneN = 0;
  /** no event explored from it yet: the kernel is still in this state */
  first = true;
  constructor(events: number, comps: number) {
    this.enabled = new Int32Array(events);
    this.todo = new Uint8Array(events);
    this.comps = new Int32Array(comps);
    this.sleepEv = new Int32Array(events);
    this.sleepFp = new Int32Array(events);
    this.doneEv = new Int32Array(events);
    this.doneFp = new Int32Array(events);
  }
  sleeps(e: number): boolean {
    for (let i = 0; i < this.sleepN; i++) if (this.sleepEv[i] === e) return true;
    return false;
  }
}

/** Footprints as ids, and a cache of which pairs commute. */
class Footprints {
  readonly table = new VectorTable();
  /** (a * CACHE + b) -> 0 unknown, 1 independent, 2 dependent */
  private readonly cache = new Uint8Array(CACHE * CACHE);
  id(fp: Int32Array, n: number): number { return this.table.intern(fp, 0, n); }
  /** Do the two footprints commute (accesses to different words, or reads of the same)? */
  independent(a: number, b: number): boolean {
    const small = a < CACHE && b < CACHE;
    if (small) {
      const c = this.cache[a * CACHE + b];
      if (c !== 0) return c === 1;
    }
    const t = this.table, w = t.words();
    const ao = t.offset(a), an = t.length(a), bo = t.offset(b), bn = t.length(b);
    let ind = true;
    for (let i = 0; i < an && ind; i++) {
      const x = w[ao + i];
      if (x < 0) { ind = false; break; }
      for (let j = 0; j < bn; j++) {
        const y = w[bo + j];
        if (y < 0 || (x >> 1 === y >> 1 && ((x | y) & 1))) { ind = false; break; }
      }
    }
    if (ind) for (let j = 0; j < bn; j++) if (w[bo + j] < 0) { ind = false; break; }
    if (small) { this.cache[a * CACHE + b] = ind ? 1 : 2; this.cache[b * CACHE + a] = ind ? 1 : 2; }
    return ind;
  }
}
const CACHE = 2048;

/** the view of a region that has none (not 8-byte aligned in its buffer) */
const NO_VIEW = new BigInt64Array(0);

/** The visited set. (verify-bfs.ts keeps one per thread.) */
export class Visited {
  private readonly comps: VectorTable[] = [];
  private readonly states = new VectorTable();
  private readonly pair = new Int32Array(2);
  private bits: Uint32Array | null = null;
  private bitsSet = 0;
  /** exact storage with POR: the sleep set each state was explored with, as pairs in `sleepArena`
   *  at sleepAt[id] (count first); a revisit only ever shrinks it, in place */
  sleepAt: Int32Array = new Int32Array(1 << 16);
  sleepArena: Int32Array = new Int32Array(1 << 16);
  sleepUsed = 0;
  size = 0;
  /** the last visit found a new state */
  fresh = false;
  readonly regions: Region[];
  /** per component: 0 plain words, 1 append-only (compared by length), 2 canonical form */
  private readonly kinds: Int8Array;
  /** per component: a BigInt64Array over its words, for equalsAt(), and the array it was made for
   *  (rebuilt when the region reallocates; compared by identity: reading `.buffer` is not free) */
  private views: BigInt64Array[];
  private viewOf: (Int32Array | null)[];
  constructor(k: Kernel, readonly storage: Storage, readonly log2: number) {
    this.regions = k.runState.regions.filter((r) => r.opts.key);
    this.kinds = Int8Array.from(this.regions, (r) => (r.opts.canon ? 2 : r.opts.appendOnly ? 1 : 0));
    for (const r of this.regions) if (!r.opts.canon && !(r.a instanceof Int32Array)) throw new Error(`internal: key region '${r.name}' is not Int32 words`);
    this.views = this.regions.map(() => new BigInt64Array(0));
    this.viewOf = this.regions.map(() => null);
    if (storage === 'bitstate') this.bits = new Uint32Array(1 << Math.max(0, log2 - 5));
    for (let i = 0; i < this.regions.length; i++) this.comps.push(new VectorTable());
  }

  private readonly scratch = new Vec();
  /** the component ids of the state last looked up (exact storage) */
  get components(): number { return this.regions.length; }
  readonly last = new Int32Array(256);
  private readonly last2 = new BigInt64Array(this.last.buffer);

  /** Look the current state up; returns its id (exact, else 0) and sets `fresh`. Each key region
   *  is a component, interned straight from its array (or its canonical form). `parent` holds
   *  the components of the state this one was reached from: a component that did not change is
   *  taken over with a comparison (an append-only region whose length did not change cannot have
   *  changed at all), no hashing. */
  visit(k: Kernel, parent: Int32Array | null): number {
    if (this.storage === 'exact') {
      const regions = this.regions, nc = regions.length, ids = this.last, kinds = this.kinds;
      for (let i = 0; i < nc; i++) {
        const r = regions[i];
        const t = this.comps[i];
        const kind = kinds[i];
        let v: Int32Array, n: number, v2: BigInt64Array | null = null;
        if (kind === 2) {
          const s = this.scratch;
          s.n = 0;
          r.opts.canon!(s);
          v = s.a;
          n = s.n;
          if (parent !== null && t.equals(parent[i], v, 0, n)) { ids[i] = parent[i]; continue; }
        } else {
          v = r.a as Int32Array;
          n = r.live();
          // (a region may be a view into a larger buffer, the kernel's per-CPU arena: the view
          // starts at its offset, and a region not 8-byte aligned compares word by word)
          if (this.viewOf[i] !== v) {
            this.views[i] = (v.byteOffset & 7) === 0 ? new BigInt64Array(v.buffer, v.byteOffset, v.length >> 1) : NO_VIEW;
            this.viewOf[i] = v;
          }
          v2 = this.views[i] === NO_VIEW ? null : this.views[i];
          if (parent !== null) {
            const pid = parent[i];
            if (kind === 1) {
              // an append-only region whose length did not change cannot have changed
              if (t.length(pid) === n) { ids[i] = pid; continue; }
            } else {
              if (v2 !== null ? t.equalsAt(pid, v, v2, 0, n) : t.equals(pid, v, 0, n)) { ids[i] = pid; continue; }
            }
          }
        }
        ids[i] = t.intern(v, 0, n, v2);
      }
      const id = this.states.intern(ids, 0, nc, this.last2);
      this.fresh = this.states.added;
      if (this.fresh) this.size++;
      return id;
    }
    const v = k.runState.buildVector();
    const [h1, h2] = hash64(v.a, v.n);
    if (this.storage === 'hash-compact') {
      this.pair[0] = h1;
      this.pair[1] = h2;
      this.states.intern(this.pair, 0, 2);
      this.fresh = this.states.added;
      if (this.fresh) this.size++;
      return 0;
    }
    // bitstate: three bit positions from the two hashes (Kirsch-Mitzenmacher)
    const bits = this.bits!, m = bits.length * 32;
    let fresh = false;
    for (let j = 0; j < 3; j++) {
      const b = ((h1 + j * h2) >>> 0) % m;
      const w = b >>> 5, bit = 1 << (b & 31);
      if ((bits[w] & bit) === 0) { bits[w] |= bit; fresh = true; this.bitsSet++; }
    }
    this.fresh = fresh;
    if (fresh) this.size++;
    return 0;
  }

  /** Remember the sleep set a new state is explored with. */
  storeSleep(id: number, f: Frame) {
    if (id >= this.sleepAt.length) this.sleepAt = grow(this.sleepAt, id + 1);
    const need = this.sleepUsed + 1 + 2 * f.sleepN;
    if (need > this.sleepArena.length) this.sleepArena = grow(this.sleepArena, need);
    const a = this.sleepArena, o = this.sleepUsed;
    a[o] = f.sleepN;
    for (let i = 0; i < f.sleepN; i++) { a[o + 1 + 2 * i] = f.sleepEv[i]; a[o + 2 + 2 * i] = f.sleepFp[i]; }
    this.sleepAt[id] = o;
    this.sleepUsed = need;
  }

  get bytes(): number {
    if (this.bits) return this.bits.length * 4;
    let b = this.states.bytes + this.sleepUsed * 4 + this.size * 4;
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

function grow(a: Int32Array, min: number): Int32Array<ArrayBuffer> {
  let c = a.length * 2;
  while (c < min) c *= 2;
  const b = new Int32Array(c);
  b.set(a);
  return b;
}

export function verifySearch(k: Kernel, sc: ScenarioDef, o: VerifyOptions): VerifyResult {
  const storage = o.storage ?? 'exact';
  const por = o.por !== false;
  const visited = new Visited(k, storage, o.bitstateLog2 ?? 30);
  const fps = new Footprints();
  const buf = enabledBuf(k);
  const nev = buf.length;
  const nc = visited.components;
  const frames: Frame[] = [];
  const pool: Snapshot[] = [];
  let sp = 0; // frames[0..sp) are the stack
  const path: number[] = [];
  const maxStates = o.maxStates ?? Infinity;
  let transitions = 0;
  let depth = 0;
  let found: RunResult | null = null;
  let other: RunResult | null = null;
  let foundAt = Infinity;
  let extra = 0;
  let interrupted = false;
  let complete = true;
  const counters: Record<string, number> = {};

  const report = () => {
    if (path.length < foundAt) {
      found = { violations: k.violations, steps: path.length, events: path.slice() };
      foundAt = path.length;
    }
  };
  const addCounters = () => {
    k.addCountersTo(counters);
  };

  // A revisit explores again only the events that slept the first time and do not now.
  const again = new Int32Array(nev);
  let againN = -1; // -1: a new state, explore all that do not sleep

  /** Push the current state (its sleep set already in frames[sp]) as a frame to expand. */
  const push = (id: number, n: number) => {
    const f = frames[sp];
    for (let i = 0; i < n; i++) f.enabled[i] = buf[i];
    f.n = n;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const e = f.enabled[i];
      let go = !f.sleeps(e);
      if (go && againN >= 0) {
        go = false;
        for (let j = 0; j < againN; j++) if (again[j] === e) { go = true; break; }
      }
      f.todo[i] = go ? 1 : 0;
      if (go) count++;
    }
    if (againN < 0 && storage === 'exact' && por) visited.storeSleep(id, f);
    if (count === 0) return;
    // a snapshot only where the search will come back for a second event
    f.snap = count > 1 ? (pool[sp] = k.snapshot(pool[sp])) : null;
    if (storage === 'exact') for (let i = 0; i < nc; i++) f.comps[i] = visited.last[i];
    f.next = 0;
    f.doneN = 0;
    f.first = true;
    // past a KASAN/lifetime report an execution may spin on freed memory: it ends at the budget
    if (sp >= o.maxSteps && k.hasFatal) return;
    sp++;
    if (sp > depth) depth = sp;
    if (sp > o.maxSteps)
      throw new RunawayError(`scenario '${sc.name}' exceeded the step budget of ${o.maxSteps} steps in one execution (runaway program?)`);
  };

  /** The current state is reached (its sleep set already in frames[sp]): new (push it), a
   *  revisit worth exploring again, or a dead end / violation? */
  const arrive = (parent: Int32Array | null) => {
    // only a report of the signature (k.interest) ends a branch as a counterexample; an execution
    // with other reports goes on (multi-shot) unless it stopped (the report cap, or the model
    // cannot go on past a report)
    if (k.violationCount !== 0) {
      if (k.found()) { report(); return; }
      if (other === null) other = { violations: k.violations, steps: path.length, events: path.slice() };
      if (k.fatal) return;
    }
    const n = enabledEvents(k, buf);
    if (n === 0) {
      // a final state: the quiescence oracles, once per distinct state
      visited.visit(k, parent);
      if (!visited.fresh) return;
      finishRun(k, sc);
      if (k.found()) report();
      else if (other === null && k.violationCount !== 0) other = { violations: k.violations, steps: path.length, events: path.slice() };
      else addCounters();
      return;
    }
    const id = visited.visit(k, parent);
    if (visited.fresh) { againN = -1; push(id, n); return; }
    if (!por || storage !== 'exact') return;
    // Godefroid: explore what slept the first time and does not now; the stored set becomes the
    // intersection (compacted in place: it only ever shrinks).
    const f = frames[sp];
    const a = visited.sleepArena, at = visited.sleepAt[id], m = a[at];
    let keep = 0;
    againN = 0;
    for (let j = 0; j < m; j++) {
      const e = a[at + 1 + 2 * j], fp = a[at + 2 + 2 * j];
      if (f.sleeps(e)) {
        a[at + 1 + 2 * keep] = e;
        a[at + 2 + 2 * keep] = fp;
        keep++;
      } else again[againN++] = e;
    }
    a[at] = keep;
    if (againN !== 0) push(id, n);
  };

  /** frames[sp], made ready to receive a sleep set */
  const nextFrame = (): Frame => {
    let f = frames[sp];
    if (f === undefined) { f = new Frame(nev, nc); frames[sp] = f; }
    f.sleepN = 0;
    return f;
  };

  k.fpOn = por;
  try {
    startRun(k, sc, false);
    nextFrame();
    arrive(null);
    while (sp !== 0) {
      if (found !== null) {
        // SPIN -i: look for a shorter path to a violation, within the extra budget
        if (!o.shortestBudget || extra >= o.shortestBudget) break;
      }
      if (visited.size >= maxStates) { complete = false; break; }
      const top = frames[sp - 1];
      // the next event of this state still to explore
      let i = top.next;
      while (i < top.n && top.todo[i] === 0) i++;
      if (i >= top.n || sp >= foundAt) {
        sp--;
        path.length = sp;
        continue;
      }
      const first = top.first;
      top.first = false;
      top.next = i + 1;
      const e = top.enabled[i];
      // The kernel is at this state for its first event; a later one starts from the snapshot.
      if (!first) {
        k.restore(top.snap!);
        path.length = sp - 1;
      }
      k.fpn = 0;
      path[sp - 1] = e;
      execEvent(k, e);
      transitions++;
      if (found !== null) extra++;
      const child = nextFrame();
      if (por) {
        // the child's sleep set: what slept here, and the siblings already explored, if
        // independent of e (different CPUs, commuting footprints)
        const fp = fps.id(k.fp, k.fpn);
        const cpu = e & 0xfff;
        for (let j = 0; j < top.sleepN; j++) {
          const u = top.sleepEv[j];
          if ((u & 0xfff) !== cpu && fps.independent(top.sleepFp[j], fp)) { child.sleepEv[child.sleepN] = u; child.sleepFp[child.sleepN++] = top.sleepFp[j]; }
        }
        for (let j = 0; j < top.doneN; j++) {
          const u = top.doneEv[j];
          if ((u & 0xfff) !== cpu && fps.independent(top.doneFp[j], fp)) { child.sleepEv[child.sleepN] = u; child.sleepFp[child.sleepN++] = top.doneFp[j]; }
        }
        top.doneEv[top.doneN] = e;
        top.doneFp[top.doneN++] = fp;
      }
      arrive(storage === 'exact' ? top.comps : null);
      if ((transitions & 4095) === 0) {
        o.progress?.(visited.size, transitions);
        if (o.stop?.()) { interrupted = true; complete = false; break; }
      }
    }
    if (found !== null) complete = false;
    return {
      complete: complete && storage === 'exact', states: visited.size, transitions, depth, found, other, storage,
      missProbability: visited.missProbability(), bytes: visited.bytes, interrupted, counters,
    };
  } catch (e) {
    throw atSchedule(e, path);
  } finally {
    k.fpOn = false;
  }
}

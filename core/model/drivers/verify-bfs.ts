// The exhaustive search breadth-first over a hash-partitioned visited set, so that several threads
// can share it (Stern and Dill's parallel Murphi; DiVinE and LTSmin distribute their searches the
// same way). A state belongs to thread hash(state) mod threads, which keeps it in its own exact
// visited set (verify.ts Visited, COLLAPSE). The search goes level by level: every thread expands
// its states of the level and looks up the successors it owns at once; the others are sent to
// their owners; then every thread settles the level (new states, states seen before).
//
// Everything a level decides is a set operation, so the result does not depend on how the
// partitions are spread over threads, nor on the order messages arrive in:
//  - a state reached at its first level by several transitions keeps the least of them (by the
//    parent's 64-bit fingerprint, then the event) as its parent, and its snapshot;
//  - the sleep sets (verify.ts: footprint-based sleep sets) of all transitions reaching a state at
//    one level are intersected, and the state is expanded once with that intersection; a state seen
//    at an earlier level is expanded again with the events that slept there and do not in the
//    intersection (Godefroid's revisit rule, applied per level). A smaller sleep set explores more,
//    so merging is sound; sleep sets never drop a reachable state, so every state is stored;
//  - the violation reported is one of the shortest: of those at the first level that has any,
//    the least by (parent fingerprint, event). Its path follows the parents back to the root.
// States, transitions and depth (the number of levels) are therefore the same for any number of
// threads; states is the number of reachable states (an exact count: the threads' sets are
// disjoint). The memory the visited sets take does depend on the number of threads.
import { startRun, enabledEvents, execEvent, finishRun, enabledBuf } from '../engine.ts';
import type { Kernel, Violation } from '../kernel.ts';
import type { ScenarioDef } from '../scenario.ts';
import { hash64, Snapshot, type Region } from '../state.ts';
import { independent } from './dfs.ts';
import { Visited } from './verify.ts';
import { stringsFrom, stringCount, learnStrings, sid, str } from '../strings.ts';
import { COUNTER_NAMES, counterId } from '../kernel.ts';

export type Sleep = Map<number, Int32Array>;

/** A transition to a state: the order in which transitions to one state are compared is that of
 *  (parent fingerprint, event), unsigned. */
export interface Edge {
  phi: number;
  plo: number;
  e: number;
  /** the parent's record: host, id (-1 for the initial state) */
  pp: number;
  pid: number;
  sleep: Sleep;
}

export interface Candidate extends Omit<Edge, 'sleep'> {
  level: number;
  violations: Violation[];
}

export function edgeLess(a: { phi: number; plo: number; e: number }, b: { phi: number; plo: number; e: number }): boolean {
  if (a.phi !== b.phi) return a.phi >>> 0 < b.phi >>> 0;
  if (a.plo !== b.plo) return a.plo >>> 0 < b.plo >>> 0;
  return a.e < b.e;
}

/** Which thread owns the kernel's current state: a hash of CPU 0's contexts (stacks, frames,
 *  IPI queue, store buffer: canonical words of the state). Any function of the state would do;
 *  this one is cheap, spreads the states (CPU 0's code position varies across them), and keeps
 *  most successors with their parent's thread (an event of another CPU leaves CPU 0's contexts
 *  alone), so fewer states cross threads. */
export class Router {
  private readonly regions: Region[];
  constructor(k: Kernel) {
    const rs = k.runState.regions.filter((r) => r.opts.key && !r.opts.canon && r.name.startsWith('cpu0.'));
    this.regions = rs.length ? rs : k.runState.regions.filter((r) => r.opts.key && !r.opts.canon);
  }
  owner(hosts: number): number {
    let h = 0x811c9dc5;
    for (const r of this.regions) {
      const a = r.a as Int32Array, n = r.live();
      h = Math.imul(h ^ n, 0x01000193);
      for (let i = 0; i < n; i++) h = Math.imul(h ^ a[i], 0x01000193);
    }
    h ^= h >>> 15; h = Math.imul(h, 0x2c1b3c6d); h ^= h >>> 12;
    return (h >>> 0) % hosts;
  }
}

/** The 64-bit fingerprint of the kernel's current state (its canonical vector). */
export function fingerprint(k: Kernel): [number, number] {
  const v = k.runState.buildVector();
  return hash64(v.a, v.n);
}

/** A state as the search keeps it: a snapshot, and the words the append-only regions gained
 *  since the initial state (a snapshot keeps only their lengths, which is enough to go back to
 *  an ancestor, as a depth-first search does; a breadth-first search jumps between branches). */
export interface Snap { s: Snapshot; tail: Int32Array }

interface Pending {
  /** the least transition so far, and the state as it left it */
  best: Edge;
  snap: Snap;
  /** events asleep in every transition so far */
  inter: Set<number>;
  /** new at this level (else stored at an earlier one) */
  fresh: boolean;
  /** its components in the visited set (for its successors' lookups) */
  comps: Int32Array;
}

interface Expansion {
  snap: Snap;
  hi: number;
  lo: number;
  id: number;
  comps: Int32Array;
  sleep: Sleep;
  /** revisit: only these events */
  only: Set<number> | null;
}

export interface LevelOut {
  /** transitions for each other thread, packed (index: thread; null: none) */
  out: (Int32Array | null)[];
  transitions: number;
  candidates: Candidate[];
}

const R = 5; // record words per state: parent host, parent id, event, fingerprint hi, lo

/** The states one thread owns, in its own exact visited set, on its own kernel. */
export class BfsHost {
  private readonly visited: Visited;
  private rec = new Int32Array(R * 1024);
  /** per state id: its sleep set when stored (revisit rule) */
  private readonly sleeps: (Sleep | undefined)[] = [];
  private pending = new Map<number, Pending>();
  private frontier: Expansion[] = [];
  private readonly buf: Int32Array;
  private readonly free: Snap[] = [];
  private counterSums: Record<string, number> = {};
  private level = 0;
  /** where received states are unpacked */
  private readonly scratch: Snap;
  private readonly router: Router;
  private readonly st: States;

  constructor(readonly k: Kernel, readonly sc: ScenarioDef, readonly index: number, readonly hosts: number, readonly por = true) {
    this.buf = enabledBuf(k);
    this.visited = new Visited(k, 'exact', 0);
    this.scratch = { s: new Snapshot(k.runState.regions.length), tail: new Int32Array(64) };
    this.router = new Router(k);
    // a run's tasks are made at setup (their programs live outside the declared state): set the
    // scenario up once, so that states from other threads can be restored here
    startRun(k, sc, false);
    this.st = new States(k);
  }

  /** The initial state, packed for its owner. */
  static root(k: Kernel, sc: ScenarioDef, hosts: number): { host: number; buf: Int32Array } {
    startRun(k, sc, false);
    const w = startPack();
    packArrival(new States(k), w, { phi: 0, plo: 0, e: -1, pp: -1, pid: -1, sleep: new Map() });
    return { host: new Router(k).owner(hosts), buf: endPack(w) };
  }

  private snap(into?: Snap): Snap {
    return this.st.take(into ?? this.free.pop());
  }

  /** The kernel is at a transition's target state: is the state new, seen at this level, or seen
   *  before? `parent`: the parent's components, when the parent is in this visited set. */
  private arrive(edge: Edge, parent: Int32Array | null) {
    const id = this.visited.visit(this.k, parent), fresh = this.visited.fresh;
    let p = this.pending.get(id);
    if (!p) {
      if (!fresh) {
        // seen at an earlier level: only events that slept then can be woken
        const st = this.sleeps[id];
        if (!this.por || !st || st.size === 0) return;
      }
      p = { best: edge, snap: this.snap(), inter: new Set(edge.sleep.keys()), fresh, comps: this.visited.last.slice(0, this.visited.components) };
      this.pending.set(id, p);
      if (fresh) {
        const [hi, lo] = fingerprint(this.k);
        this.store(id, edge, hi, lo);
      }
      return;
    }
    for (const u of p.inter) if (!edge.sleep.has(u)) p.inter.delete(u);
    if (edgeLess(edge, p.best)) {
      p.best = edge;
      p.snap = this.snap(p.snap);
      if (p.fresh) this.store(id, edge, this.rec[R * id + 3], this.rec[R * id + 4]);
    }
  }

  private store(id: number, e: Edge, hi: number, lo: number) {
    if (R * id + R > this.rec.length) { const b = new Int32Array(this.rec.length * 2); b.set(this.rec); this.rec = b; }
    const r = this.rec, o = R * id;
    r[o] = e.pp; r[o + 1] = e.pid; r[o + 2] = e.e; r[o + 3] = hi; r[o + 4] = lo;
  }

  /** Transitions from other threads (packed), or the initial state. */
  receive(buf: Int32Array) {
    let at = 1;
    for (let i = 0; i < buf[0]; i++) {
      const edge: Edge = { phi: buf[at], plo: buf[at + 1], e: buf[at + 2], pp: buf[at + 3], pid: buf[at + 4], sleep: new Map() };
      at += 5;
      const ns = buf[at++];
      for (let j = 0; j < ns; j++) {
        const u = buf[at++], len = buf[at++];
        edge.sleep.set(u, buf.slice(at, at + len));
        at += len;
      }
      at = this.st.unpack(buf, at, this.scratch);
      this.st.put(this.scratch);
      this.arrive(edge, null);
    }
  }


  /** Close the level: new states (final ones run the quiescence oracles) and revisits, in a fixed
   *  order, become the frontier. Returns final-state violations. */
  settle(level: number): Candidate[] {
    this.level = level;
    const k = this.k;
    const candidates: Candidate[] = [];
    this.frontier = [];
    const ids = [...this.pending.keys()].sort((x, y) => x - y);
    for (const id of ids) {
      const p = this.pending.get(id)!;
      const a = p.best;
      const sleep: Sleep = new Map();
      for (const [u, fp] of a.sleep) if (p.inter.has(u)) sleep.set(u, fp);
      const hi = this.rec[R * id + 3], lo = this.rec[R * id + 4];
      if (p.fresh) {
        this.st.put(p.snap);
        if (enabledEvents(k, this.buf) === 0) {
          finishRun(k, this.sc);
          if (k.violationCount !== 0) candidates.push({ level, phi: a.phi, plo: a.plo, e: a.e, pp: a.pp, pid: a.pid, violations: k.violations });
          else { const cs = k.counters; for (const key in cs) this.counterSums[key] = (this.counterSums[key] ?? 0) + cs[key]; }
          this.free.push(p.snap);
          continue;
        }
        if (this.por) this.sleeps[id] = sleep;
        this.frontier.push({ snap: p.snap, hi, lo, id, comps: p.comps, sleep, only: null });
        continue;
      }
      // Godefroid: explore what slept when it was stored and does not now; keep the intersection
      const stored = this.sleeps[id]!;
      const again = new Set<number>();
      for (const u of stored.keys()) if (!sleep.has(u)) again.add(u);
      if (again.size === 0) { this.free.push(p.snap); continue; }
      const inter: Sleep = new Map();
      for (const [u, fp] of stored) if (sleep.has(u)) inter.set(u, fp);
      this.sleeps[id] = inter;
      this.frontier.push({ snap: p.snap, hi, lo, id, comps: p.comps, sleep, only: again });
    }
    this.pending = new Map();
    return candidates;
  }

  /** Expand the frontier: successors this thread owns are looked up at once, the others are
   *  returned for their owners. */
  expand(): LevelOut {
    const k = this.k, buf = this.buf;
    const out: (Words | null)[] = Array.from({ length: this.hosts }, () => null);
    const candidates: Candidate[] = [];
    let transitions = 0;
    const saved = k.fpOn;
    k.fpOn = this.por;
    try {
      for (const x of this.frontier) {
        this.st.put(x.snap);
        const n = enabledEvents(k, buf);
        const todo: number[] = [];
        for (let i = 0; i < n; i++) {
          const e = buf[i];
          if (x.sleep.has(e) || (x.only && !x.only.has(e))) continue;
          todo.push(e);
        }
        const done: Sleep = new Map();
        for (let j = 0; j < todo.length; j++) {
          const e = todo[j];
          if (j > 0) this.st.put(x.snap);
          k.fpn = 0;
          execEvent(k, e);
          transitions++;
          const fp = this.por ? k.fp.slice(0, k.fpn) : EMPTY;
          const sleep: Sleep = new Map();
          if (this.por) {
            for (const [u, ufp] of x.sleep) if (independent(ufp, fp, u, e)) sleep.set(u, ufp);
            for (const [u, ufp] of done) if (independent(ufp, fp, u, e)) sleep.set(u, ufp);
            done.set(e, fp);
          }
          const edge: Edge = { phi: x.hi, plo: x.lo, e, pp: this.index, pid: x.id, sleep };
          if (k.violationCount !== 0) {
            candidates.push({ level: this.level + 1, phi: x.hi, plo: x.lo, e, pp: this.index, pid: x.id, violations: k.violations });
            continue;
          }
          const h = this.hosts === 1 ? 0 : this.router.owner(this.hosts);
          if (h === this.index) this.arrive(edge, x.comps);
          else packArrival(this.st, (out[h] ??= startPack()), edge);
        }
        this.free.push(x.snap);
      }
    } finally {
      k.fpOn = saved;
    }
    this.frontier = [];
    return { out: out.map((w) => (w ? endPack(w) : null)), transitions, candidates };
  }

  /** A stored state's parent: [host, id, event]. */
  parentOf(id: number): [number, number, number] {
    const r = this.rec;
    return [r[R * id], r[R * id + 1], r[R * id + 2]];
  }

  get states(): number { return this.visited.size; }
  /** memory the visited set holds (it depends on how the states are spread over threads) */
  get bytes(): number { return this.visited.bytes; }
  /** transitions waiting for the next level */
  get waiting(): number { return this.pending.size; }
  counters(): Record<string, number> { return this.counterSums; }
}

const EMPTY = new Int32Array(0);

// ---- states ------------------------------------------------------------------------------------

/** Taking and restoring states (Snap), and packing them for another thread: the same scenario set
 *  up on every thread gives the same initial state, so the append-only regions are kept from their
 *  initial length on. */
export class States {
  private readonly ao: { i: number; r: Region; base: number }[] = [];
  /** the counters (Float64, by counter id) and the ids in the order counted: counter ids are
   *  numbered per thread as names are first counted, so they travel as names (string ids) */
  private readonly counters: Region | undefined;
  private readonly order: Region | undefined;
  constructor(readonly k: Kernel) {
    const c = k.runState.find('counters'), o = k.runState.find('counter order');
    const rs = k.runState.regions;
    // (unpack reads the counters first)
    [this.counters, this.order] = c && o && rs.indexOf(c) < rs.indexOf(o) && c.type === 1 && o.type === 0 ? [c, o] : [undefined, undefined];
    // k is at its initial state (startRun)
    k.runState.regions.forEach((r, i) => {
      if (!r.opts.appendOnly) return;
      // Int32 or byte entries, one per word of the tail (typed-array set() converts both ways)
      if (r.type === 1) throw new Error('internal: append-only regions are Int32 words or bytes');
      this.ao.push({ i, r, base: r.live() });
    });
  }

  take(into?: Snap): Snap {
    const s = this.k.snapshot(into?.s);
    let m = 0;
    for (const x of this.ao) m += Math.max(0, x.r.live() - x.base);
    const tail = into && into.tail.length >= m ? into.tail : new Int32Array(m);
    let at = 0;
    for (const x of this.ao) {
      const n = x.r.live();
      if (n > x.base) { tail.set((x.r.a as Int32Array).subarray(x.base, n), at); at += n - x.base; }
    }
    return { s, tail };
  }

  put(x: Snap) {
    let at = 0;
    for (const a of this.ao) {
      const n = x.s.lens[a.i];
      if (n <= a.base) continue;
      a.r.ensure(n);
      (a.r.a as Int32Array).set(x.tail.subarray(at, at + n - a.base), a.base);
      at += n - a.base;
    }
    this.k.restore(x.s);
  }

  /** The kernel's current state onto `w`: each region's length and live words (append-only
   *  regions: the words past their initial length). */
  pack(w: Words) {
    const rs = this.k.runState.regions;
    w.push(rs.length);
    for (const r of rs) {
      const n = r.live();
      if (r === this.counters && this.order) {
        // [entries, then per entry: the name's string id, the value's two words]
        const ids = this.order.a as Int32Array, m = this.order.live();
        const f = new Int32Array((r.a as Float64Array).buffer);
        w.push(m);
        for (let j = 0; j < m; j++) { w.push(sid(COUNTER_NAMES[ids[j]])); w.push(f[2 * ids[j]]); w.push(f[2 * ids[j] + 1]); }
        continue;
      }
      if (r === this.order) { w.push(n); continue; }
      w.push(n);
      if (r.opts.appendOnly) {
        const base = this.ao.find((x) => x.r === r)!.base;
        if (n > base) w.pushAll((r.a as Int32Array).subarray(base), n - base);
      } else if (r.type === 0) w.pushAll(r.a as Int32Array, n);
      else if (r.type === 1) {
        const f = r.a as Float64Array;
        w.pushAll(new Int32Array(f.buffer, f.byteOffset, f.length * 2), 2 * n);
      } else {
        const u = r.a as Uint8Array;
        for (let i = 0; i < n; i += 4) w.push(u[i] | ((u[i + 1] ?? 0) << 8) | ((u[i + 2] ?? 0) << 16) | ((u[i + 3] ?? 0) << 24));
      }
    }
  }

  /** A packed state into `into`. Returns the offset after it. */
  unpack(a: Int32Array, at: number, into: Snap): number {
    const rs = this.k.runState.regions;
    if (a[at++] !== rs.length) throw new Error('internal: packed state of another kernel');
    const s = into.s;
    let oi = 0, of = 0, ob = 0, ot = 0;
    let ids: number[] = [];
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i];
      if (r === this.counters && this.order) {
        const m = a[at++];
        ids = [];
        const vals: [number, number][] = [];
        for (let j = 0; j < m; j++) { ids.push(counterId(str(a[at]))); vals.push([a[at + 1], a[at + 2]]); at += 3; }
        const n = ids.length ? Math.max(...ids) + 1 : 0;
        s.lens[i] = n;
        if (of + n > s.f64.length) s.f64 = grow(s.f64, of + n);
        s.f64.fill(0, of, of + n);
        const f = new Int32Array(s.f64.buffer, 0, s.f64.length * 2);
        ids.forEach((id, j) => { f[2 * (of + id)] = vals[j][0]; f[2 * (of + id) + 1] = vals[j][1]; });
        of += n;
        continue;
      }
      const n = a[at++];
      s.lens[i] = n;
      if (r === this.order) {
        if (oi + n > s.i32.length) s.i32 = grow(s.i32, oi + n);
        s.i32.set(ids.slice(0, n), oi);
        oi += n;
        continue;
      }
      if (r.opts.appendOnly) {
        const base = this.ao.find((x) => x.r === r)!.base;
        const m = Math.max(0, n - base);
        if (ot + m > into.tail.length) into.tail = grow(into.tail, ot + m);
        into.tail.set(a.subarray(at, at + m), ot);
        ot += m;
        at += m;
      } else if (r.type === 0) {
        if (oi + n > s.i32.length) s.i32 = grow(s.i32, oi + n);
        s.i32.set(a.subarray(at, at + n), oi);
        oi += n;
        at += n;
      } else if (r.type === 1) {
        if (of + n > s.f64.length) s.f64 = grow(s.f64, of + n);
        new Int32Array(s.f64.buffer, 0, s.f64.length * 2).set(a.subarray(at, at + 2 * n), 2 * of);
        of += n;
        at += 2 * n;
      } else {
        if (ob + n > s.u8.length) s.u8 = grow(s.u8, ob + n);
        for (let j = 0; j < n; j += 4) {
          const x = a[at++];
          s.u8[ob + j] = x & 255;
          if (j + 1 < n) s.u8[ob + j + 1] = (x >>> 8) & 255;
          if (j + 2 < n) s.u8[ob + j + 2] = (x >>> 16) & 255;
          if (j + 3 < n) s.u8[ob + j + 3] = (x >>> 24) & 255;
        }
        ob += n;
      }
    }
    return at;
  }
}

function grow<T extends Int32Array | Float64Array | Uint8Array>(a: T, min: number): T {
  let c = Math.max(16, a.length * 2);
  while (c < min) c *= 2;
  const b = new (a.constructor as { new (n: number): T })(c);
  b.set(a as never);
  return b;
}

/** A growable list of words. */
export class Words {
  a = new Int32Array(1 << 12);
  n = 0;
  private room(m: number) {
    if (this.n + m <= this.a.length) return;
    let c = this.a.length * 2;
    while (c < this.n + m) c *= 2;
    const b = new Int32Array(c);
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }
  push(x: number) { this.room(1); this.a[this.n++] = x; }
  pushAll(src: Int32Array, n: number) { this.room(n); this.a.set(src.subarray(0, n), this.n); this.n += n; }
  take(): Int32Array { return this.a.slice(0, this.n); }
}

/** Transitions for another thread, in one buffer: [count, then per transition: phi plo e
 *  pp pid, sleep (count, then event, footprint length, footprint...), the packed target state]. */
export function startPack(): Words {
  const w = new Words();
  w.push(0);
  return w;
}

/** Add a transition to the state the kernel is in. */
export function packArrival(st: States, w: Words, e: Edge) {
  w.a[0]++;
  w.push(e.phi); w.push(e.plo); w.push(e.e); w.push(e.pp); w.push(e.pid);
  w.push(e.sleep.size);
  for (const [u, fp] of e.sleep) { w.push(u); w.push(fp.length); w.pushAll(fp, fp.length); }
  st.pack(w);
}

export const endPack = (w: Words): Int32Array => w.a.subarray(0, w.n);

/** Strings this thread interned since `from` (sent along with packed states). */
export const newStrings = (from: number) => ({ strings: stringsFrom(from), count: stringCount() });
export { learnStrings };

// Declared run state. Everything that can influence the rest of an execution lives in regions:
// typed arrays with a live length, registered with the kernel's RunState. A snapshot is a copy of
// each region's live words; restore() copies them back; stateVector() is the canonical form of
// the regions that make up the state (outputs such as counters and traces are regions too, so a
// restored run reports the same figures, but they are not part of the state's identity).
//
// Views (CpuView, TaskView, frame views...) read and write these arrays directly; restore copies
// into the same arrays, so views stay valid. A region that must grow reallocates its array and
// bumps `RunState.epoch`; code that caches an array re-reads it when the epoch changed.

export type Words = Int32Array | Uint8Array | Float64Array;
const NO_WORDS = new Int32Array(0);

/** A growable Int32 vector, the canonical form being built. */
export class Vec {
  a = new Int32Array(1024);
  n = 0;
  push(v: number) {
    if (this.n === this.a.length) this.grow(this.n + 1);
    this.a[this.n++] = v;
  }
  pushRange(src: Words, from: number, to: number) {
    const len = to - from;
    if (len <= 0) return;
    if (this.n + len > this.a.length) this.grow(this.n + len);
    if (src instanceof Int32Array) this.a.set(src.subarray(from, to), this.n);
    else for (let i = 0; i < len; i++) this.a[this.n + i] = src[from + i];
    this.n += len;
  }
  private grow(min: number) {
    let c = this.a.length * 2;
    while (c < min) c *= 2;
    const b = new Int32Array(c);
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }
  slice(): Int32Array { return this.a.slice(0, this.n); }
}

export interface RegionOpts {
  /** part of the state's identity (stateVector/stateKey)? Outputs are not. */
  key: boolean;
  /** canonical form, when the raw live words are not (ring buffers, stacks with dead slots) */
  canon?: (v: Vec) => void;
  /** the live length, when another array keeps it: words = from[at] * per (a call stack's
   *  depth in its context header) */
  liveFrom?: { from: Int32Array; at: number; per: number };
  /** words below the live length never change once written (an index of allocations): a
   *  snapshot keeps only the length */
  appendOnly?: boolean;
}

export class Region<T extends Words = Words> {
  /** 0: Int32Array, 1: Float64Array, 2: Uint8Array */
  readonly type: number;
  private readonly lfA: Int32Array;
  private readonly lfAt: number;
  private readonly lfPer: number;
  constructor(readonly name: string, public a: T, public n: number, readonly opts: RegionOpts, private readonly state: RunState) {
    this.type = a instanceof Int32Array ? 0 : a instanceof Float64Array ? 1 : 2;
    this.lfA = opts.liveFrom?.from ?? NO_WORDS;
    this.lfAt = opts.liveFrom?.at ?? 0;
    this.lfPer = opts.liveFrom ? opts.liveFrom.per : -1;
  }

  /** The number of live words. */
  live(): number {
    return this.lfPer < 0 ? this.n : this.lfA[this.lfAt] * this.lfPer;
  }

  /** Make room for `cap` words, keeping the contents (reallocates: bumps the state's epoch). */
  ensure(cap: number) {
    if (cap <= this.a.length) return;
    let c = Math.max(16, this.a.length * 2);
    while (c < cap) c *= 2;
    const b = new (this.a.constructor as { new (n: number): T })(c);
    b.set(this.a as never);
    this.a = b;
    this.state.epoch++;
  }
}

/** A copy of every region's live words, packed into one buffer per element type. */
export class Snapshot {
  lens: Int32Array;
  i32 = new Int32Array(1024);
  f64 = new Float64Array(64);
  u8 = new Uint8Array(256);
  constructor(n: number) {
    this.lens = new Int32Array(n);
  }
}

/** Copy n words (small copies in a loop: subarray() would allocate a view per region). */
function copy(dst: Words, dOff: number, src: Words, sOff: number, n: number) {
  if (n > 64) { dst.set(src.subarray(sOff, sOff + n) as never, dOff); return; }
  for (let i = 0; i < n; i++) dst[dOff + i] = src[sOff + i];
}

export class RunState {
  readonly regions: Region[] = [];
  /** bumped whenever a region reallocates its array */
  epoch = 0;
  private readonly vec = new Vec();

  /** regions by name (a map: a kernel of 1024 CPUs declares thousands of regions) */
  private readonly byName = new Map<string, Region>();

  region<T extends Words>(name: string, a: T, n: number, opts: RegionOpts): Region<T> {
    if (this.byName.has(name)) throw new Error(`internal: region '${name}' declared twice`);
    if (opts.key && !opts.canon && !(a instanceof Int32Array)) throw new Error(`internal: key region '${name}' must be Int32 words (or give a canonical form)`);
    const r = new Region<T>(name, a, n, opts, this);
    this.regions.push(r as unknown as Region);
    this.byName.set(name, r as unknown as Region);
    return r;
  }

  find(name: string): Region | undefined {
    return this.byName.get(name);
  }

  /** Copy the live state into `into` (reused when given: no allocation once warmed up). */
  snapshot(into?: Snapshot): Snapshot {
    const rs = this.regions;
    const s = into && into.lens.length === rs.length ? into : new Snapshot(rs.length);
    let oi = 0, of = 0, ob = 0;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i];
      const n = r.live();
      s.lens[i] = n;
      if (r.opts.appendOnly) continue;
      const a = r.a;
      if (r.type === 0) {
        if (oi + n > s.i32.length) s.i32 = grown(s.i32, oi + n);
        copy(s.i32, oi, a, 0, n);
        oi += n;
      } else if (r.type === 1) {
        if (of + n > s.f64.length) s.f64 = grown(s.f64, of + n);
        copy(s.f64, of, a, 0, n);
        of += n;
      } else {
        if (ob + n > s.u8.length) s.u8 = grown(s.u8, ob + n);
        copy(s.u8, ob, a, 0, n);
        ob += n;
      }
    }
    return s;
  }

  restore(s: Snapshot) {
    const rs = this.regions;
    if (s.lens.length !== rs.length) throw new Error('internal: snapshot of another kernel');
    let oi = 0, of = 0, ob = 0;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i];
      const n = s.lens[i];
      if (r.opts.appendOnly) { r.n = n; continue; }
      const was = r.live();
      r.ensure(n);
      const a = r.a;
      if (r.type === 0) { copy(a, 0, s.i32, oi, n); oi += n; }
      else if (r.type === 1) { copy(a, 0, s.f64, of, n); of += n; }
      else { copy(a, 0, s.u8, ob, n); ob += n; }
      // what lay beyond the snapshot's live words was not there then (a counter first used later)
      if (was > n) a.fill(0, n, Math.min(was, a.length));
      r.n = n;
    }
  }

  /** The canonical form of the state: equal vectors, equal futures. */
  stateVector(): Int32Array {
    const v = this.buildVector();
    return v.slice();
  }

  /** The canonical vector in a scratch buffer (valid until the next call). `bounds[i]` is where
   *  the i-th key region's part starts (and bounds[count] where the last ends): the components an
   *  exhaustive search interns separately. */
  buildVector(): Vec {
    const v = this.vec;
    v.n = 0;
    let i = 0;
    for (const r of this.regions) {
      if (!r.opts.key) continue;
      if (i + 1 >= this.bounds.length) { const b = new Int32Array(this.bounds.length * 2); b.set(this.bounds); this.bounds = b; }
      this.bounds[i++] = v.n;
      if (r.opts.canon) r.opts.canon(v);
      else {
        const n = r.live();
        v.push(n);
        v.pushRange(r.a, 0, n);
      }
    }
    this.bounds[i] = v.n;
    this.components = i;
    return v;
  }
  bounds = new Int32Array(64);
  components = 0;

  /** A 64-bit hash of the canonical vector, as 16 hex digits. */
  stateKey(): string {
    const v = this.buildVector();
    const [h1, h2] = hash64(v.a, v.n);
    return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
  }
}

function grown<T extends Words>(a: T, min: number): T {
  let c = a.length * 2;
  while (c < min) c *= 2;
  const b = new (a.constructor as { new (n: number): T })(c);
  b.set(a as never);
  return b;
}

/** Two independent 32-bit hashes (murmur3-style mixing) of a word vector. */
export function hash64(a: Int32Array, n: number, seed = 0): [number, number] {
  let h1 = 0x9747b28c ^ seed;
  let h2 = 0x85ebca6b ^ n;
  for (let i = 0; i < n; i++) {
    let k = a[i];
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 = Math.imul(h2 ^ a[i], 0x2c1b3c6d);
    h2 = (h2 << 12) | (h2 >>> 20);
    h2 = (h2 + 0x297a2d39) | 0;
  }
  h1 ^= n;
  h1 ^= h1 >>> 16; h1 = Math.imul(h1, 0x85ebca6b); h1 ^= h1 >>> 13; h1 = Math.imul(h1, 0xc2b2ae35); h1 ^= h1 >>> 16;
  h2 ^= h2 >>> 15; h2 = Math.imul(h2, 0x2c1b3c6d); h2 ^= h2 >>> 12; h2 = Math.imul(h2, 0x297a2d39); h2 ^= h2 >>> 15;
  return [h1 | 0, h2 | 0];
}

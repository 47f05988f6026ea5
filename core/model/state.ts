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
  /** the live length, when something else keeps it (a call stack's depth in its context header) */
  live?: () => number;
}

export class Region<T extends Words = Words> {
  constructor(readonly name: string, public a: T, public n: number, readonly opts: RegionOpts, private readonly state: RunState) {}

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

/** A copy of every region's live words. */
export class Snapshot {
  lens: Int32Array;
  bufs: Words[];
  constructor(n: number) {
    this.lens = new Int32Array(n);
    this.bufs = new Array(n);
  }
}

export class RunState {
  readonly regions: Region[] = [];
  /** bumped whenever a region reallocates its array */
  epoch = 0;
  private readonly vec = new Vec();

  region<T extends Words>(name: string, a: T, n: number, opts: RegionOpts): Region<T> {
    if (this.regions.some((r) => r.name === name)) throw new Error(`internal: region '${name}' declared twice`);
    const r = new Region<T>(name, a, n, opts, this);
    this.regions.push(r as unknown as Region);
    return r;
  }

  find(name: string): Region | undefined {
    return this.regions.find((r) => r.name === name);
  }

  /** Copy the live state into `into` (reused when given: no allocation once warmed up). */
  snapshot(into?: Snapshot): Snapshot {
    const rs = this.regions;
    const s = into && into.bufs.length === rs.length ? into : new Snapshot(rs.length);
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i];
      const n = r.opts.live ? r.opts.live() : r.n;
      s.lens[i] = n;
      let b = s.bufs[i];
      if (b === undefined || b.length < n || b.constructor !== r.a.constructor) {
        b = new (r.a.constructor as { new (n: number): Words })(Math.max(n, 16));
        s.bufs[i] = b;
      }
      if (n !== 0) b.set(r.a.subarray(0, n) as never);
    }
    return s;
  }

  restore(s: Snapshot) {
    const rs = this.regions;
    if (s.bufs.length !== rs.length) throw new Error('internal: snapshot of another kernel');
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i];
      const n = s.lens[i];
      const was = r.opts.live ? r.opts.live() : r.n;
      r.ensure(n);
      if (n !== 0) r.a.set(s.bufs[i].subarray(0, n) as never);
      // what lay beyond the snapshot's live words was not there then (a counter first used later)
      if (was > n) r.a.fill(0, n, Math.min(was, r.a.length));
      r.n = n;
    }
  }

  /** The canonical form of the state: equal vectors, equal futures. */
  stateVector(): Int32Array {
    const v = this.buildVector();
    return v.slice();
  }

  /** The canonical vector in a scratch buffer (valid until the next call). */
  buildVector(): Vec {
    const v = this.vec;
    v.n = 0;
    for (const r of this.regions) {
      if (!r.opts.key) continue;
      if (r.opts.canon) r.opts.canon(v);
      else {
        const n = r.opts.live ? r.opts.live() : r.n;
        v.push(n);
        v.pushRange(r.a, 0, n);
      }
    }
    return v;
  }

  /** A 64-bit hash of the canonical vector, as 16 hex digits. */
  stateKey(): string {
    const v = this.buildVector();
    const [h1, h2] = hash64(v.a, v.n);
    return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
  }
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

// Exact interning of word vectors: equal contents, equal ids. The visited set of the exhaustive
// search is built from these, SPIN-COLLAPSE style: each component of a state (a region's canonical
// words) is interned in its own table, and a state is the vector of its components' ids, interned
// again. Components repeat across states (a CPU's stack, the memory of a quiet object), so a state
// costs a few words, and nothing is lost: tables compare contents, not just hashes.

/** An open-addressing hash table of word vectors stored in one arena. */
export class VectorTable {
  private arena: Int32Array;
  private used = 0;
  /** per id: offset into the arena, length */
  private off: Int32Array;
  private len: Int32Array;
  private hashes: Int32Array;
  /** slots: id + 1, or 0 */
  private slots: Int32Array;
  size = 0;

  /** `ids`: the ids to make room for at first (a power of two; the tables grow as needed) */
  constructor(ids = 1 << 12) {
    this.arena = new Int32Array(ids * 16);
    this.off = new Int32Array(ids);
    this.len = new Int32Array(ids);
    this.hashes = new Int32Array(ids);
    this.slots = new Int32Array(ids * 2);
  }

  /** The id of v[from, to): existing or new. `added` tells which. */
  intern(v: Int32Array, from: number, to: number): number {
    const n = to - from;
    let h = 0x811c9dc5 ^ n;
    for (let i = from; i < to; i++) h = Math.imul(h ^ v[i], 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h ^= h >>> 12;
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s];
      if (e === 0) break;
      const id = e - 1;
      if (this.hashes[id] !== h || this.len[id] !== n) continue;
      const o = this.off[id];
      let same = true;
      for (let i = 0; i < n; i++) if (this.arena[o + i] !== v[from + i]) { same = false; break; }
      if (same) { this.added = false; return id; }
    }
    const id = this.size++;
    if (id >= this.off.length) this.growIds();
    if (this.used + n > this.arena.length) this.growArena(this.used + n);
    this.arena.set(v.subarray(from, to), this.used);
    this.off[id] = this.used;
    this.len[id] = n;
    this.hashes[id] = h;
    this.used += n;
    this.insert(id, h);
    if (this.size * 2 > this.slots.length) this.rehash();
    this.added = true;
    return id;
  }
  added = false;

  /** Is v[from, from+n) the vector with this id? (a memcmp: no hashing, no probing) */
  equals(id: number, v: Int32Array, from: number, n: number): boolean {
    if (this.len[id] !== n) return false;
    const o = this.off[id], a = this.arena;
    for (let i = 0; i < n; i++) if (a[o + i] !== v[from + i]) return false;
    return true;
  }
  length(id: number): number { return this.len[id]; }

  /** Bytes held (arena, index and slots). */
  get bytes(): number {
    return this.used * 4 + this.size * 12 + this.slots.length * 4;
  }

  private insert(id: number, h: number) {
    const mask = this.slots.length - 1;
    let s = h & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = id + 1;
  }
  private rehash() {
    this.slots = new Int32Array(this.slots.length * 2);
    for (let id = 0; id < this.size; id++) this.insert(id, this.hashes[id]);
  }
  private growIds() {
    const g = (a: Int32Array) => { const b = new Int32Array(a.length * 2); b.set(a); return b; };
    this.off = g(this.off);
    this.len = g(this.len);
    this.hashes = g(this.hashes);
  }
  private growArena(min: number) {
    let c = this.arena.length * 2;
    while (c < min) c *= 2;
    const b = new Int32Array(c);
    b.set(this.arena.subarray(0, this.used));
    this.arena = b;
  }
}

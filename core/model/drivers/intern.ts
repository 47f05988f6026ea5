// Exact interning of word vectors: equal contents, equal ids. The visited set of the exhaustive
// search is built from these, SPIN-COLLAPSE style: each component of a state (a region's canonical
// words) is interned in its own table, and a state is the vector of its components' ids, interned
// again. Components repeat across states (a CPU's stack, the memory of a quiet object), so a state
// costs a few words, and nothing is lost: tables compare contents, not just hashes.

/** An open-addressing hash table of word vectors stored in one arena. */
export class VectorTable {
  private arena = new Int32Array(1 << 16);
  private used = 0;
  /** per id: offset into the arena, length */
  private off = new Int32Array(1 << 12);
  private len = new Int32Array(1 << 12);
  private hashes = new Int32Array(1 << 12);
  /** open addressing, two words a slot: the hash, then id + 1 (0: empty). The hash beside the id
   *  spares a probe the cache miss of reading it from `hashes`. */
  private slots = new Int32Array(2 << 13);
  size = 0;

  /** The id of v[from, to): existing or new. `added` tells which. `v2`, a BigInt64Array over v's
   *  buffer (from even), lets a candidate be compared two words at a time (see equalsAt). */
  intern(v: Int32Array, from: number, to: number, v2: BigInt64Array | null = null): number {
    const n = to - from;
    let h = 0x811c9dc5 ^ n;
    for (let i = from; i < to; i++) h = Math.imul(h ^ v[i], 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h ^= h >>> 12;
    const slots = this.slots, mask = (slots.length >> 1) - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = slots[2 * s + 1];
      if (e === 0) break;
      if (slots[2 * s] !== h) continue;
      const id = e - 1;
      if (this.len[id] !== n) continue;
      if (v2 !== null ? this.equalsAt(id, v, v2, from, to) : this.equals(id, v, from, n)) { this.added = false; return id; }
    }
    const id = this.size++;
    if (id >= this.off.length) this.growIds();
    if (this.used + n > this.arena.length) this.growArena(this.used + n);
    // a loop for short vectors: subarray() would allocate a view per new component
    const a = this.arena, u = this.used;
    if (n > 64) a.set(v.subarray(from, to), u);
    else for (let i = 0; i < n; i++) a[u + i] = v[from + i];
    this.off[id] = this.used;
    this.len[id] = n;
    this.hashes[id] = h;
    // even offsets: equalsAt() reads a vector two words at a time through a BigInt64Array view
    this.used += n + (n & 1);
    this.insert(id, h);
    if (this.size * 4 > this.slots.length) this.rehash();
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
  /** equals(), two words at a time: `from` is even and v2 is a BigInt64Array over v's buffer (v
   *  at offset 0). V8 compares BigInt64Array elements as machine words, with no allocation: about
   *  twice as fast as the Int32 loop on state vectors, which are mostly zeros and small numbers. */
  equalsAt(id: number, v: Int32Array, v2: BigInt64Array, from: number, to: number): boolean {
    const n = to - from;
    if (this.len[id] !== n) return false;
    const a = this.arena;
    if (this.arena2Of !== a) { this.arena2 = new BigInt64Array(a.buffer, 0, a.length >> 1); this.arena2Of = a; }
    const a2 = this.arena2, o = this.off[id], o2 = o >> 1, f2 = from >> 1, m = n >> 1;
    for (let i = 0; i < m; i++) if (a2[o2 + i] !== v2[f2 + i]) return false;
    return (n & 1) === 0 || a[o + n - 1] === v[to - 1];
  }

  private arena2 = new BigInt64Array(0);
  /** the arena arena2 views (compared by identity: reading `.buffer` is not free) */
  private arena2Of: Int32Array | null = null;
  length(id: number): number { return this.len[id]; }
  /** Where the vector with this id starts in words() (valid until the next intern). */
  offset(id: number): number { return this.off[id]; }
  words(): Int32Array { return this.arena; }

  /** Bytes held (arena, index and slots). */
  get bytes(): number {
    return this.used * 4 + this.size * 12 + this.slots.length * 4;
  }

  private insert(id: number, h: number) {
    const slots = this.slots, mask = (slots.length >> 1) - 1;
    let s = h & mask;
    while (slots[2 * s + 1] !== 0) s = (s + 1) & mask;
    slots[2 * s] = h;
    slots[2 * s + 1] = id + 1;
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
    min += 1;
    let c = this.arena.length * 2;
    while (c < min) c *= 2;
    const b = new Int32Array(c);
    b.set(this.arena.subarray(0, this.used));
    this.arena = b;
  }
}

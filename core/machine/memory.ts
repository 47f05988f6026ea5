// Shared memory of the modelled machine: a flat word array addressed by integers, so the explorer's
// hot path touches typed arrays only. Objects (mm_struct, pgd, task_struct, rq, cpu_tlbstate...) are
// ranges of words; `dead[]` marks the words of freed objects so every access can be checked the way
// KASAN checks shadow memory. Optional x86-TSO store buffers sit between CPUs and memory.

export const NULL = 0;

export interface ObjInfo {
  kind: string;
  name: string;
  base: number;
  size: number;
  fields: readonly string[];
  freed: boolean;
  freedBy?: string; // readable "cpu1 __mmdrop" for the KASAN report
}

const SB_CAP = 64;

export class Memory {
  mem: Int32Array;
  dead: Uint8Array;
  owner: Int32Array; // word -> object index
  objs: ObjInfo[] = [];
  top = 1; // word 0 is NULL
  /** Store buffers (TSO): per CPU a FIFO of (addr, val). Length 0 under SC. */
  sbAddr: Int32Array;
  sbVal: Int32Array;
  sbHead: Int32Array;
  sbLen: Int32Array;
  readonly tso: boolean;

  constructor(readonly ncpus: number, tso: boolean, capacity = 4096) {
    this.mem = new Int32Array(capacity);
    this.dead = new Uint8Array(capacity);
    this.owner = new Int32Array(capacity).fill(-1);
    this.tso = tso;
    this.sbAddr = new Int32Array(ncpus * SB_CAP);
    this.sbVal = new Int32Array(ncpus * SB_CAP);
    this.sbHead = new Int32Array(ncpus);
    this.sbLen = new Int32Array(ncpus);
  }

  /** Back to an empty machine, keeping the arrays (one Memory serves every run of a kernel). */
  reset() {
    const t = this.top;
    this.mem.fill(0, 0, t);
    this.dead.fill(0, 0, t);
    this.owner.fill(-1, 0, t);
    this.objs.length = 0;
    this.top = 1;
    this.sbHead.fill(0);
    this.sbLen.fill(0);
  }

  alloc(kind: string, name: string, fields: readonly string[]): number {
    const base = this.top;
    const size = fields.length;
    if (base + size > this.mem.length) this.grow(base + size);
    this.top += size;
    const idx = this.objs.length;
    this.objs.push({ kind, name, base, size, fields, freed: false });
    for (let i = 0; i < size; i++) this.owner[base + i] = idx;
    return base;
  }

  private grow(min: number) {
    let n = this.mem.length * 2;
    while (n < min) n *= 2;
    const m = new Int32Array(n); m.set(this.mem); this.mem = m;
    const d = new Uint8Array(n); d.set(this.dead); this.dead = d;
    const o = new Int32Array(n).fill(-1); o.set(this.owner); this.owner = o;
  }

  free(base: number, by: string) {
    const o = this.objs[this.owner[base]];
    o.freed = true;
    o.freedBy = by;
    for (let i = 0; i < o.size; i++) this.dead[o.base + i] = 1;
  }

  objAt(addr: number): ObjInfo | undefined {
    const i = addr > 0 && addr < this.owner.length ? this.owner[addr] : -1;
    return i >= 0 ? this.objs[i] : undefined;
  }

  /** "mm1->mm_count" for traces and reports. */
  nameOf(addr: number): string {
    const o = this.objAt(addr);
    if (!o) return `@${addr}`;
    return `${o.name}->${o.fields[addr - o.base]}`;
  }

  /** Name of the object a pointer value designates (for traces). */
  ptrName(v: number): string {
    if (v === NULL) return 'NULL';
    const o = this.objAt(v);
    return o && o.base === v ? o.name : String(v);
  }

  // ---- store buffers -------------------------------------------------------------------------

  /** Value of addr as seen by cpu (own store buffer first: TSO store forwarding). */
  read(cpu: number, addr: number): number {
    const len = this.sbLen[cpu];
    if (len !== 0) {
      const head = this.sbHead[cpu];
      for (let i = len - 1; i >= 0; i--) {
        const slot = cpu * SB_CAP + ((head + i) % SB_CAP);
        if (this.sbAddr[slot] === addr) return this.sbVal[slot];
      }
    }
    return this.mem[addr];
  }

  write(cpu: number, addr: number, v: number) {
    if (!this.tso) { this.mem[addr] = v; return; }
    let len = this.sbLen[cpu];
    if (len === SB_CAP) { this.drainOne(cpu); len--; }
    const slot = cpu * SB_CAP + ((this.sbHead[cpu] + len) % SB_CAP);
    this.sbAddr[slot] = addr;
    this.sbVal[slot] = v;
    this.sbLen[cpu] = len + 1;
  }

  /** Commit the oldest buffered store of cpu; returns its address. */
  drainOne(cpu: number): number {
    const head = this.sbHead[cpu];
    const slot = cpu * SB_CAP + head;
    const a = this.sbAddr[slot];
    this.mem[a] = this.sbVal[slot];
    this.sbHead[cpu] = (head + 1) % SB_CAP;
    this.sbLen[cpu]--;
    return a;
  }

  drainAll(cpu: number) {
    while (this.sbLen[cpu] !== 0) this.drainOne(cpu);
  }

  oldestBuffered(cpu: number): number {
    return this.sbAddr[cpu * SB_CAP + this.sbHead[cpu]];
  }
}

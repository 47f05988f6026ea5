// Shared memory of the modelled machine: a flat word array addressed by integers. Objects
// (mm_struct, pgd, task_struct, rq, cpu_tlbstate...) are ranges of words with kernel field names;
// `dead` marks the words of freed objects so every access can be checked the way KASAN checks
// shadow memory. Optional x86-TSO store buffers sit between CPUs and memory. All of it lives in
// declared regions (state.ts): a snapshot copies it, and the object table keeps names as string
// ids.
import { RunState, type Region } from './state.ts';
import { sid, str, listId, list } from './strings.ts';

export const NULL = 0;

export interface ObjInfo {
  index: number;
  kind: string;
  name: string;
  base: number;
  size: number;
  fields: readonly string[];
  freed: boolean;
  freedBy?: string;
}

/** Object table record (written once, at allocation): kind, name, base, size, fields, aux (a word
 *  its owner may use: the mm or task record of an mm_struct or task_struct). */
const O_KIND = 0, O_NAME = 1, O_BASE = 2, O_SIZE = 3, O_FIELDS = 4, O_AUX = 5;
const OW = 6;
/** What changes: freed, and who freed it (a string id for KASAN's report). */
const F_FREED = 0, F_FREEDBY = 1;
const FW = 2;

export const SB_CAP = 64;

export class Memory {
  private readonly rMem: Region<Int32Array>;
  private readonly rDead: Region<Uint8Array>;
  private readonly rOwner: Region<Int32Array>;
  private readonly rObjs: Region<Int32Array>;
  private readonly rFreed: Region<Int32Array>;
  private readonly rWatch: Region<Uint8Array>;
  mem!: Int32Array;
  dead!: Uint8Array;
  owner!: Int32Array; // word -> object index
  objs!: Int32Array;
  freed!: Int32Array;
  /** word -> the kind of reference-owning pointer field it is (ownership.ts W_*), 0: none. Set
   *  once when the object is allocated, like owner[]. */
  watch!: Uint8Array;
  /** Store buffers (TSO): per CPU a FIFO of (addr, val) pairs, oldest first. Empty under SC. */
  readonly sb: Int32Array[];
  readonly sbLen: Int32Array;
  private epoch = -1;

  constructor(private readonly st: RunState, readonly ncpus: number, readonly tso: boolean, capacity = 1024) {
    this.rMem = st.region('mem', new Int32Array(capacity), 1, { key: true });
    // dead[] follows from the object table (owner, freed): restored, not part of the identity
    this.rDead = st.region('dead', new Uint8Array(capacity), 1, { key: false });
    // owner[] follows from the object table; both only grow: a snapshot keeps their lengths
    this.rOwner = st.region('owner', new Int32Array(capacity).fill(-1), 1, { key: false, appendOnly: true });
    this.rObjs = st.region('objs', new Int32Array(64 * OW), 0, { key: true, appendOnly: true });
    this.rFreed = st.region('objs freed', new Int32Array(64 * FW), 0, { key: true });
    // watch[] follows from the objects allocated (set at allocation, never changed)
    this.rWatch = st.region('watch', new Uint8Array(capacity), 1, { key: false, appendOnly: true });
    this.sbLen = st.region('store buffer lengths', new Int32Array(ncpus), ncpus, { key: true }).a;
    const lens = this.sbLen;
    this.sb = [];
    const arena = new Int32Array(ncpus * 2 * SB_CAP); // views of one buffer (kernel.ts: arena)
    for (let c = 0; c < ncpus; c++)
      this.sb.push(st.region(`cpu${c}.store buffer`, arena.subarray(c * 2 * SB_CAP, (c + 1) * 2 * SB_CAP), 0, { key: true, liveFrom: { from: lens, at: c, per: 2 } }).a);
    this.refresh();
  }

  /** Re-read the arrays after a region grew (alloc, restore). */
  refresh() {
    if (this.epoch === this.st.epoch) return;
    this.epoch = this.st.epoch;
    this.mem = this.rMem.a;
    this.dead = this.rDead.a;
    this.owner = this.rOwner.a;
    this.objs = this.rObjs.a;
    this.freed = this.rFreed.a;
    this.watch = this.rWatch.a;
  }

  get top(): number { return this.rMem.n; }
  get nobjs(): number { return this.rObjs.n / OW; }

  /** Back to an empty machine, keeping the arrays (one Memory serves every run of a kernel). */
  reset() {
    const t = this.rMem.n;
    this.mem.fill(0, 0, t);
    this.dead.fill(0, 0, t);
    this.owner.fill(-1, 0, t);
    this.watch.fill(0, 0, t);
    this.rMem.n = this.rDead.n = this.rOwner.n = this.rWatch.n = 1; // word 0 is NULL
    this.rObjs.n = 0;
    this.rFreed.n = 0;
    this.sbLen.fill(0);
  }

  alloc(kind: string, name: string, fields: readonly string[]): number {
    const base = this.rMem.n;
    const size = fields.length;
    const end = base + size;
    if (end > this.mem.length) {
      this.rMem.ensure(end);
      this.rDead.ensure(end);
      const old = this.rOwner.a.length;
      this.rOwner.ensure(end);
      this.rOwner.a.fill(-1, old);
      this.rWatch.ensure(end);
    }
    const idx = this.rObjs.n / OW;
    this.rObjs.ensure(this.rObjs.n + OW);
    this.rFreed.ensure(this.rFreed.n + FW);
    this.refresh();
    const o = idx * OW;
    const t = this.objs;
    t[o + O_KIND] = sid(kind);
    t[o + O_NAME] = sid(name);
    t[o + O_BASE] = base;
    t[o + O_SIZE] = size;
    t[o + O_FIELDS] = listId(fields);
    t[o + O_AUX] = 0;
    this.rObjs.n += OW;
    this.freed[idx * FW + F_FREED] = 0;
    this.freed[idx * FW + F_FREEDBY] = 0;
    this.rFreed.n += FW;
    // a restored run may have left words here: an allocation starts clean
    this.mem.fill(0, base, end);
    this.dead.fill(0, base, end);
    this.owner.fill(idx, base, end);
    this.watch.fill(0, base, end);
    this.rMem.n = this.rDead.n = this.rOwner.n = this.rWatch.n = end;
    return base;
  }

  free(base: number, by: string) {
    const i = this.owner[base];
    const o = i * OW;
    const t = this.objs;
    this.freed[i * FW + F_FREED] = 1;
    this.freed[i * FW + F_FREEDBY] = sid(by);
    this.dead.fill(1, t[o + O_BASE], t[o + O_BASE] + t[o + O_SIZE]);
  }

  /** Object index of the word at addr, or -1. */
  objIndex(addr: number): number {
    return addr > 0 && addr < this.rMem.n ? this.owner[addr] : -1;
  }

  objAt(addr: number): ObjInfo | undefined {
    const i = this.objIndex(addr);
    return i >= 0 ? this.obj(i) : undefined;
  }

  obj(i: number): ObjInfo {
    const o = i * OW;
    const t = this.objs;
    const freed = this.freed[i * FW + F_FREED] !== 0;
    return {
      index: i, kind: str(t[o + O_KIND]), name: str(t[o + O_NAME]), base: t[o + O_BASE], size: t[o + O_SIZE],
      fields: list(t[o + O_FIELDS]), freed, freedBy: freed ? str(this.freed[i * FW + F_FREEDBY]) : undefined,
    };
  }

  objName(i: number): string { return str(this.objs[i * OW + O_NAME]); }
  objKind(i: number): string { return str(this.objs[i * OW + O_KIND]); }
  objBase(i: number): number { return this.objs[i * OW + O_BASE]; }
  aux(i: number): number { return this.objs[i * OW + O_AUX]; }
  setAux(i: number, v: number) { this.objs[i * OW + O_AUX] = v; }

  /** "mm1->mm_count" for traces and reports. */
  nameOf(addr: number): string {
    const i = this.objIndex(addr);
    if (i < 0) return `@${addr}`;
    const o = i * OW;
    return `${str(this.objs[o + O_NAME])}->${list(this.objs[o + O_FIELDS])[addr - this.objs[o + O_BASE]]}`;
  }

  /** Name of the object a pointer value designates (for traces). */
  ptrName(v: number): string {
    if (v === NULL) return 'NULL';
    const i = this.objIndex(v);
    return i >= 0 && this.objs[i * OW + O_BASE] === v ? str(this.objs[i * OW + O_NAME]) : String(v);
  }

  // ---- store buffers -------------------------------------------------------------------------

  /** Value of addr as seen by cpu (own store buffer first: TSO store forwarding). */
  read(cpu: number, addr: number): number {
    const len = this.sbLen[cpu];
    if (len !== 0) {
      const b = this.sb[cpu];
      for (let i = 2 * (len - 1); i >= 0; i -= 2) if (b[i] === addr) return b[i + 1];
    }
    return this.mem[addr];
  }

  write(cpu: number, addr: number, v: number) {
    if (!this.tso) { this.mem[addr] = v; return; }
    let len = this.sbLen[cpu];
    if (len === SB_CAP) { this.drainOne(cpu); len--; }
    const b = this.sb[cpu];
    b[2 * len] = addr;
    b[2 * len + 1] = v;
    this.sbLen[cpu] = len + 1;
  }

  /** Commit the oldest buffered store of cpu; returns its address. */
  drainOne(cpu: number): number {
    const b = this.sb[cpu];
    const a = b[0];
    this.mem[a] = b[1];
    const len = --this.sbLen[cpu];
    for (let i = 0; i < 2 * len; i++) b[i] = b[i + 2]; // a FIFO kept at the front: few entries
    return a;
  }

  drainAll(cpu: number) {
    const len = this.sbLen[cpu];
    if (len === 0) return;
    const b = this.sb[cpu];
    for (let i = 0; i < 2 * len; i += 2) this.mem[b[i]] = b[i + 1];
    this.sbLen[cpu] = 0;
  }

  oldestBuffered(cpu: number): number {
    return this.sb[cpu][0];
  }
}

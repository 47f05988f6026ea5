// Page-level state: files with a page cache and a backing store ("disk"), struct pages, VMAs with
// a PMD entry and a PTE page (with its page-table lock), and per-CPU TLB entries that cache PTEs
// (pfn, writable, dirty). All of it lives in the machine's memory (so KASAN, DPOR footprints and
// traces see it); the ghost side (which VMAs map which file, pfn -> page) is checker/engine state.
//
// A scenario that declares no file or mapping has no page state at all: every page-level step
// starts with `pgOf(k)` and returns at once when it is null, so the mm-lifetime scenarios pay
// nothing for the page model.
import type { Kernel, Ctx } from '../kernel.ts';
import type { ScenarioBuilder } from '../scenario.ts';

// x86 PTE/PMD bits (arch/x86/include/asm/pgtable_types.h). The model uses the same bits on every
// arch: the flags live in the low half of a 64-bit entry, the pfn spans both halves (PAE).
export const _PAGE_PRESENT = 0x001;
export const _PAGE_RW = 0x002;
export const _PAGE_USER = 0x004;
export const _PAGE_ACCESSED = 0x020;
export const _PAGE_DIRTY = 0x040;
const FLAG_MASK = 0xfff;

/** A 64-bit page-table entry as its two 32-bit halves (pte_low, pte_high / pmd_low, pmd_high). */
export interface Entry { lo: number; hi: number }
export const NONE: Entry = { lo: 0, hi: 0 };

export function mkEntry(pfn: number, flags: number): Entry {
  return { lo: (((pfn & 0xfffff) << 12) | flags) | 0, hi: Math.floor(pfn / 0x100000) };
}
export const entryPfn = (e: Entry) => e.hi * 0x100000 + ((e.lo >>> 12) & 0xfffff);
export const entryFlags = (e: Entry) => e.lo & FLAG_MASK;
export const present = (e: Entry) => (e.lo & _PAGE_PRESENT) !== 0;
export const pteWrite = (e: Entry) => (e.lo & _PAGE_RW) !== 0;
export const pteDirty = (e: Entry) => (e.lo & _PAGE_DIRTY) !== 0;
export const isNone = (e: Entry) => e.lo === 0 && e.hi === 0;
export const sameEntry = (a: Entry, b: Entry) => a.lo === b.lo && a.hi === b.hi;
/** One number for a 64-bit value (history sets, messages). */
export const entryKey = (e: Entry) => e.hi * 4294967296 + (e.lo >>> 0);

// struct page (order-0 folio). The page's contents are a separate object, the frame: one word a
// user program writes. Freeing a page frees the frame (KASAN then catches an access through a
// stale TLB entry); struct page itself stays (a freed page has refcount 0, as in the memmap).
export const PG_REFCOUNT = 0;
export const PG_MAPCOUNT = 1; // _mapcount: -1 when unmapped (page_mapcount() = _mapcount + 1)
export const PG_LOCKED = 2;
export const PG_DIRTY = 3;
export const PG_WRITEBACK = 4;
export const PG_PRIVATE = 5; // buffer heads attached (folio_buffers())
export const PG_MAPPING = 6; // address_space, or the anon_vma for an anonymous page
const PAGE_FIELDS = ['_refcount', '_mapcount', 'PG_locked', 'PG_dirty', 'PG_writeback', 'private', 'mapping'];
const FRAME_FIELDS = ['data'];

// A PTE page: its split page-table lock (the ptlock lives in the page table's struct page) and
// the entries. A PMD entry per VMA points to it.
export const PT_PTL = 0;
export const ptLo = (i: number) => 1 + 2 * i;
export const ptHi = (i: number) => 2 + 2 * i;
export const PMD_LO = 0;
export const PMD_HI = 1;

// anon_vma: ->root and its rwsem (reader count, -1 when write-locked).
export const AV_ROOT = 0;
export const AV_RWSEM = 1;

// A TLB entry word: the page's address (struct pages are 4-aligned) | TLB_W | TLB_D; 0 = invalid.
export const TLB_W = 1;
export const TLB_D = 2;

export interface PgFile {
  name: string;
  /** the inode object: i_pages[n] (page cache slots), disk[n] (backing store), i_mmap_rwsem */
  ino: number;
  npages: number;
  /** i_mmap: the VMAs mapping the file, in rmap-walk order (ghost; i_mmap_rwsem guards it) */
  i_mmap: PgVma[];
}
export const inoPage = (f: PgFile, i: number) => f.ino + i;
export const inoDisk = (f: PgFile, i: number) => f.ino + f.npages + i;
export const inoMmapRwsem = (f: PgFile) => f.ino + 2 * f.npages;

export interface PgVma {
  name: string;
  mm: number;
  file: PgFile | null; // null: anonymous
  shared: boolean;
  npages: number;
  pmd: number; // the PMD entry (two words)
  pt: number; // the PTE page
  ptPfn: number;
  anonVma: number; // anon_vma object (anonymous VMAs)
  /** per-CPU TLB entry arrays for this VMA's pages */
  tlb: number[];
  /** detached from the mm by munmap/exit (the fault path finds no VMA) */
  detached: boolean;
  /** unlinked from rmap (i_mmap / anon_vma chain) by free_pgtables */
  unlinked: boolean;
  /** last page faulted in at each index (what kswapd's LRU scan finds) */
  lruPage: number[];
}

export interface PgPage {
  ref: number;
  /** the page's contents (its one word of data) */
  frame: number;
  pfn: number;
  name: string;
  anon: boolean;
  file: PgFile | null;
  index: number;
}

export interface PgState {
  /** k.mms of the run this state belongs to (boot makes a new Map per run) */
  runKey: unknown;
  files: PgFile[];
  vmas: PgVma[];
  pages: Map<number, PgPage>; // struct page address -> ghost info
  byPfn: Map<number, number>; // pfn -> struct page address
  tables: Map<number, PgVma>; // pfn of a PTE page -> its VMA
  /** mm->mmap_lock of each mm with mappings (a reader count, -1 while write-locked) */
  mmapLock: Map<number, number>;
  /** CPUs in an RCU read-side section that protects page-level objects: GUP-fast's IRQs-off walk
   *  (sched-RCU: page tables), folio_lock_anon_vma_read()'s rcu_read_lock() (anon_vma) */
  rcuReaders: Map<number, number>;
  /** objects freed with call_rcu() (tlb_remove_table_rcu, SLAB_TYPESAFE_BY_RCU anon_vmas), freed
   *  for real once no reader is left (the grace period ends) */
  rcuFrees: { a: number; what: string }[];
  nextFrame: number;
  /** every value stored in each page-table entry (address of its low word -> entryKey set) */
  history: Map<number, Set<number>>;
  /** the value each user task last wrote at each file offset (lost-write oracle) */
  lastWrite: Map<string, { val: number; task: string }>;
  /** writes that went through a TLB entry whose PTE no longer mapped the page */
  staleWrites: Map<number, string>;
}

/** Per-kernel (not per-run) properties arches declare: CONFIG_GUP_GET_PTE_LOW_HIGH. */
const LOW_HIGH = new WeakSet<Kernel>();
export function declarePteLowHigh(k: Kernel) { LOW_HIGH.add(k); }
export function pteLowHigh(k: Kernel): boolean { return LOW_HIGH.has(k); }

const STATES = new WeakMap<Kernel, PgState>();
/** The run's page state, or null when the scenario has no pages (the common case: cheap). */
export function pgOf(k: Kernel): PgState | null {
  const s = STATES.get(k);
  return s !== undefined && s.runKey === k.mms ? s : null;
}

function pgInit(k: Kernel): PgState {
  let s = pgOf(k);
  if (s) return s;
  s = {
    runKey: k.mms, files: [], vmas: [], pages: new Map(), byPfn: new Map(), tables: new Map(), mmapLock: new Map(), rcuReaders: new Map(), rcuFrees: [],
    nextFrame: 1, history: new Map(), lastWrite: new Map(), staleWrites: new Map(),
  };
  STATES.set(k, s);
  return s;
}

/** A page frame number whose low and high 32-bit PTE halves are both non-zero: physical memory
 *  above 4 GiB, which is what PAE is for. */
function newPfn(s: PgState): number {
  const n = s.nextFrame++;
  return n * 0x100000 + n;
}

/** Allocate with `align`-word alignment (struct page is __aligned(sizeof(unsigned long)) since
 *  delayed-rmap/01, which frees its two low pointer bits for encoded_page). */
function allocAligned(k: Kernel, kind: string, name: string, fields: readonly string[], align: number): number {
  const pad = (align - (k.m.top % align)) % align;
  if (pad) k.m.alloc('padding', 'padding', PAD_FIELDS[pad]);
  return k.m.alloc(kind, name, fields);
}
const PAD_FIELDS = [[], ['pad'], ['pad', 'pad'], ['pad', 'pad', 'pad']];

/** Allocate a struct page (refcount 1, unmapped, unlocked, clean). */
export function allocPage(k: Kernel, o: { name: string; anon: boolean; file: PgFile | null; index: number; mapping: number; data: number; buffers: boolean }): number {
  const s = pgOf(k)!;
  const ref = allocAligned(k, 'page', o.name, PAGE_FIELDS, 4);
  const m = k.m.mem;
  m[ref + PG_REFCOUNT] = 1;
  m[ref + PG_MAPCOUNT] = -1;
  m[ref + PG_PRIVATE] = o.buffers ? 1 : 0;
  m[ref + PG_MAPPING] = o.mapping;
  const frame = k.m.alloc('page frame', o.name, FRAME_FIELDS);
  m[frame] = o.data;
  const pfn = newPfn(s);
  s.pages.set(ref, { ref, frame, pfn, name: o.name, anon: o.anon, file: o.file, index: o.index });
  s.byPfn.set(pfn, ref);
  return ref;
}

export function pageInfo(k: Kernel, page: number): PgPage {
  return pgOf(k)!.pages.get(page)!;
}
/** page_address(page): the page's contents. */
export function pageData(k: Kernel, page: number): number {
  return pgOf(k)!.pages.get(page)!.frame;
}
export function pfnToPage(k: Kernel, pfn: number): number {
  return pgOf(k)!.byPfn.get(pfn) ?? 0;
}
export const pageName = (k: Kernel, page: number) => pgOf(k)?.pages.get(page)?.name ?? k.m.ptrName(page);

/** "pte(F:0 P|W|A|D)" for traces and reports. */
export function fmtEntry(k: Kernel, e: Entry, what = 'pte'): string {
  if (isNone(e)) return `${what}(none)`;
  const s = pgOf(k)!;
  const pfn = entryPfn(e);
  const page = s.byPfn.get(pfn);
  const tab = s.tables.get(pfn);
  const target = page ? s.pages.get(page)!.name : tab ? `${tab.name}.pte` : `pfn 0x${pfn.toString(16)}`;
  const fl: string[] = [];
  if (e.lo & _PAGE_PRESENT) fl.push('P');
  if (e.lo & _PAGE_RW) fl.push('W');
  if (e.lo & _PAGE_ACCESSED) fl.push('A');
  if (e.lo & _PAGE_DIRTY) fl.push('D');
  return `${what}(${target} ${fl.join('|') || '-'})`;
}

/** "m.pte->pte[0]" / "m.pmd": the entry whose low word is at a. */
export function entryName(k: Kernel, a: number): string {
  return k.m.nameOf(a).replace(/\.pte_low$/, '').replace(/->pmd_low$/, '');
}

/** Record a value stored into a page-table entry (the torn-read oracle's history). */
export function noteStored(k: Kernel, a: number, e: Entry) {
  const s = pgOf(k)!;
  let h = s.history.get(a);
  if (!h) { h = new Set([0]); s.history.set(a, h); }
  h.add(entryKey(e));
}

// ---- the scenario side ---------------------------------------------------------------------------

export interface FileOpts {
  pages?: number;
  /** pages already in the page cache (clean, with buffers), as after a read of the file */
  cached?: boolean;
}
export interface MmapOpts {
  /** the process (mm) the mapping belongs to */
  mm: string;
  /** MAP_SHARED mapping of this file; omit for a private anonymous mapping */
  file?: string;
  pages?: number;
  /** MAP_POPULATE: fault the pages in at setup ('write' dirties them) */
  populate?: 'read' | 'write';
}

/** The page-level part of a scenario's setup: files and mappings. */
export class PageBuilder {
  constructor(readonly b: ScenarioBuilder) {}

  file(name: string, o: FileOpts = {}): string {
    const k = this.b.k;
    const s = pgInit(k);
    const n = o.pages ?? 1;
    const fields: string[] = [];
    for (let i = 0; i < n; i++) fields.push(`i_pages[${i}]`);
    for (let i = 0; i < n; i++) fields.push(`disk[${i}]`);
    fields.push('i_mmap_rwsem');
    const f: PgFile = { name, ino: k.m.alloc('inode', name, fields), npages: n, i_mmap: [] };
    s.files.push(f);
    if (o.cached !== false) {
      for (let i = 0; i < n; i++) {
        const p = allocPage(k, { name: `${name}:${i}`, anon: false, file: f, index: i, mapping: f.ino, data: 0, buffers: true });
        k.m.mem[inoPage(f, i)] = p;
      }
    }
    return name;
  }

  mmap(name: string, o: MmapOpts): string {
    const k = this.b.k;
    const s = pgInit(k);
    const mm = k.mmByName(o.mm);
    const file = o.file !== undefined ? s.files.find((f) => f.name === o.file) : null;
    if (file === undefined) throw new Error(`mmap ${name}: no file '${o.file}'`);
    if (s.vmas.some((v) => v.name === name)) throw new Error(`mmap ${name}: name already used`);
    const n = o.pages ?? file?.npages ?? 1;
    if (!s.mmapLock.has(mm)) s.mmapLock.set(mm, k.m.alloc('mmap_lock', `${o.mm}.mmap_lock`, ['count']));
    const ptFields = ['ptl'];
    for (let i = 0; i < n; i++) ptFields.push(`pte[${i}].pte_low`, `pte[${i}].pte_high`);
    const pt = k.m.alloc('page table', `${name}.pte`, ptFields);
    const pmd = k.m.alloc('pmd', `${name}.pmd`, ['pmd_low', 'pmd_high']);
    const ptPfn = newPfn(s);
    const pmdv = mkEntry(ptPfn, _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED);
    k.m.mem[pmd + PMD_LO] = pmdv.lo;
    k.m.mem[pmd + PMD_HI] = pmdv.hi;
    noteStored(k, pmd + PMD_LO, pmdv);
    let anonVma = 0;
    if (!file) {
      anonVma = k.m.alloc('anon_vma', `${name}.anon_vma`, ['root', 'rwsem']);
      k.m.mem[anonVma + AV_ROOT] = anonVma;
    }
    const tlb: number[] = [];
    const tf: string[] = [];
    for (let i = 0; i < n; i++) tf.push(`${name}[${i}]`);
    for (let c = 0; c < k.ncpus; c++) tlb.push(k.m.alloc('tlb', `cpu${c}.tlb`, tf));
    const v: PgVma = {
      name, mm, file, shared: !!file, npages: n, pmd, pt, ptPfn, anonVma, tlb,
      detached: false, unlinked: false, lruPage: new Array(n).fill(0),
    };
    s.vmas.push(v);
    s.tables.set(ptPfn, v);
    if (file) file.i_mmap.push(v);
    if (o.populate) for (let i = 0; i < n; i++) this.populate(v, i, o.populate === 'write');
    return name;
  }

  /** MAP_POPULATE: what a fault at setup time leaves behind. */
  private populate(v: PgVma, i: number, write: boolean) {
    const k = this.b.k;
    const m = k.m.mem;
    let page: number;
    if (v.file) {
      page = m[inoPage(v.file, i)];
      if (!page) throw new Error(`mmap ${v.name}: populate needs ${v.file.name}:${i} in the page cache`);
    } else {
      page = allocPage(k, { name: `${v.name}:anon${i}`, anon: true, file: null, index: i, mapping: v.anonVma, data: 0, buffers: false });
      m[page + PG_REFCOUNT] = 0; // the mapping's reference is added below
    }
    m[page + PG_REFCOUNT]++;
    m[page + PG_MAPCOUNT]++;
    if (write || !v.file) m[page + PG_DIRTY] = 1;
    const e = mkEntry(pageInfo(k, page).pfn, _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | (write || !v.file ? _PAGE_RW | _PAGE_DIRTY : 0));
    m[v.pt + ptLo(i)] = e.lo;
    m[v.pt + ptHi(i)] = e.hi;
    noteStored(k, v.pt + ptLo(i), e);
    v.lruPage[i] = page;
  }
}

export function pages(b: ScenarioBuilder): PageBuilder {
  return new PageBuilder(b);
}

export function vmaByName(k: Kernel, name: string): PgVma {
  const v = pgOf(k)?.vmas.find((x) => x.name === name);
  if (!v) throw new Error(`no mapping named '${name}'`);
  return v;
}
export function fileByName(k: Kernel, name: string): PgFile {
  const f = pgOf(k)?.files.find((x) => x.name === name);
  if (!f) throw new Error(`no file named '${name}'`);
  return f;
}

// ---- accesses the model makes outside k.ld/k.st --------------------------------------------------

/** Note an access in the DPOR footprint (TLB entries are CPU-local hardware state, but s390's IPTE
 *  and IDTE invalidate other CPUs' entries). */
export function notefp(k: Kernel, a: number, write: boolean) {
  if (k.fpOn) k.fpAdd(a * 2 + (write ? 1 : 0));
}
export function tlbGet(k: Kernel, v: PgVma, cpu: number, i: number): number {
  notefp(k, v.tlb[cpu] + i, false);
  return k.m.mem[v.tlb[cpu] + i];
}
export function tlbSet(k: Kernel, v: PgVma, cpu: number, i: number, e: number) {
  notefp(k, v.tlb[cpu] + i, true);
  k.m.mem[v.tlb[cpu] + i] = e;
}

/** Drop every TLB entry of mm on cpu (a local TLB flush of the mm). */
export function tlbFlushMm(k: Kernel, cpu: number, mm: number) {
  const s = pgOf(k);
  if (!s) return;
  for (const v of s.vmas) {
    if (v.mm !== mm) continue;
    const t = v.tlb[cpu];
    for (let i = 0; i < v.npages; i++) if (k.m.mem[t + i] !== 0) { notefp(k, t + i, true); k.m.mem[t + i] = 0; }
  }
}

/** Every CPU's TLB entries of mm are gone (a broadcast invalidation). */
export function tlbFlushMmAll(k: Kernel, mm: number) {
  if (!pgOf(k)) return;
  for (let c = 0; c < k.ncpus; c++) tlbFlushMm(k, c, mm);
}

/** rcu_read_lock() (or an IRQs-off section, for sched-RCU) on cpu. */
export function rcuReadLock(k: Kernel, cpu: number) {
  const s = pgOf(k)!;
  s.rcuReaders.set(cpu, (s.rcuReaders.get(cpu) ?? 0) + 1);
  k.fpGlobal();
}
/** rcu_read_unlock(): when the last reader is gone, the grace period ends and the callbacks run. */
export function rcuReadUnlock(k: Kernel, x: Ctx) {
  const s = pgOf(k)!;
  const n = (s.rcuReaders.get(x.cpu) ?? 1) - 1;
  if (n > 0) s.rcuReaders.set(x.cpu, n); else s.rcuReaders.delete(x.cpu);
  k.fpGlobal();
  if (s.rcuReaders.size || !s.rcuFrees.length) return;
  for (const f of s.rcuFrees) k.m.free(f.a, `${f.what} (after an RCU grace period)`);
  if (k.tracing) k.tr(x, `RCU grace period over: ${s.rcuFrees.map((f) => `${f.what}(${k.m.ptrName(f.a)})`).join(', ')}`);
  s.rcuFrees = [];
}
/** call_rcu(): free `a` once no reader is left (now, if there is none). */
export function callRcuFree(k: Kernel, x: Ctx, a: number, what: string) {
  const s = pgOf(k)!;
  if (s.rcuReaders.size) {
    s.rcuFrees.push({ a, what });
    if (k.tracing) k.tr(x, `call_rcu(${what}): ${k.m.ptrName(a)} waits for cpu${[...s.rcuReaders.keys()].join(',cpu')}`);
  } else {
    k.m.free(a, `cpu${x.cpu} ${what}`);
    if (k.tracing) k.tr(x, `${what}(${k.m.ptrName(a)}) (no RCU reader)`);
  }
  k.fpGlobal();
}

/** Read a 64-bit entry in one access (a 64-bit load, or the MMU's atomic walk). */
export function ld64(k: Kernel, x: Ctx, a: number): Entry {
  const lo = k.m.read(x.cpu, a);
  const hi = k.m.read(x.cpu, a + 1);
  noteAccess(k, x, a, false);
  return { lo, hi };
}
/** Store a 64-bit entry in one access. Under TSO it commits at once (a 64-bit store is one store
 *  buffer entry; the model's buffer holds words, so it is drained instead). */
export function st64(k: Kernel, x: Ctx, a: number, e: Entry) {
  noteAccess(k, x, a, true);
  if (k.tso) {
    k.m.drainAll(x.cpu);
    k.m.mem[a] = e.lo;
    k.m.mem[a + 1] = e.hi;
  } else {
    k.m.write(x.cpu, a, e.lo);
    k.m.write(x.cpu, a + 1, e.hi);
  }
}
/** KASAN and footprint for both words of a 64-bit entry. */
function noteAccess(k: Kernel, x: Ctx, a: number, write: boolean) {
  if (k.m.dead[a]) { if (write) k.st(x, a, k.m.mem[a]); else k.ld(x, a); } // the kernel's KASAN reports it
  notefp(k, a, write);
  notefp(k, a + 1, write);
}

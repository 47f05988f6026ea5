// Page-level state: files with a page cache and a backing store ("disk"), struct pages, VMAs with
// a PMD entry and a PTE page (with its page-table lock), and per-CPU TLB entries that cache PTEs
// (pfn, writable, dirty). The kernel's side of it lives in the machine's memory (so KASAN, DPOR
// footprints and traces see it); the ghost side (which VMAs map which file, pfn -> page, the
// oracles' history) is declared state of the page model (STATE_PARTS), reset at every boot:
//  - 'page frames': one record per page frame number (a struct page or a PTE page);
//  - 'page state': words laid out at setup, per file (i_mmap), per VMA (detached, unlinked, the
//    LRU page of each index), per page-table entry (the torn-read oracle's history) and per file
//    offset or anonymous page (the lost-write oracle's last write);
//  - 'page model' / 'page rcu frees': the RCU readers of page-level objects and the frees waiting
//    for their grace period.
// What a scenario's setup builds (files, VMAs, their object addresses, the layout of 'page
// state') is the same in every run of that scenario and never changes during a run: it stays in
// JavaScript (PgModel), rebuilt at each setup.
//
// A scenario that declares no file or mapping has no page state at all: every page-level step
// starts with `pgOf(k)` and returns at once when it is null, so the mm-lifetime scenarios pay
// nothing for the page model.
import { STATE_PARTS, ModelError, type Kernel, type Ctx } from '../kernel.ts';
import type { ScenarioBuilder } from '../scenario.ts';
import type { Region } from '../state.ts';
import type { RecordView } from '../records.ts';
import type { Entry } from '../entry.ts';
import { sid, str } from '../strings.ts';
import { PAGE_TLB } from './tlb.ts';

// x86 PTE/PMD bits (arch/x86/include/asm/pgtable_types.h). The model uses the same bits on every
// arch: the flags live in the low half of a 64-bit entry, the pfn spans both halves (PAE).
export const _PAGE_PRESENT = 0x001;
export const _PAGE_RW = 0x002;
export const _PAGE_USER = 0x004;
export const _PAGE_ACCESSED = 0x020;
export const _PAGE_DIRTY = 0x040;
const FLAG_MASK = 0xfff;

export type { Entry };
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
/** One number for a 64-bit value (messages). */
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

/** The VMAs of a run: masks of VMA indices (i_mmap, the RCU table batch) are one word. */
export const MAX_VMAS = 32;
/** Distinct values the torn-read oracle remembers per page-table entry. */
const HIST_CAP = 32;
/** Objects waiting for an RCU grace period at once. */
const RCU_FREE_CAP = 16;

// ---- the static structure of a scenario (setup) ----------------------------------------------------

export interface PgFile {
  idx: number;
  name: string;
  /** the inode object: i_pages[n] (page cache slots), disk[n] (backing store), i_mmap_rwsem */
  ino: number;
  npages: number;
  /** 'page state' word: i_mmap, the VMAs mapping the file (a mask of VMA indices, in rmap-walk
   *  order; i_mmap_rwsem guards it) */
  st: number;
}
export const inoPage = (f: PgFile, i: number) => f.ino + i;
export const inoDisk = (f: PgFile, i: number) => f.ino + f.npages + i;
export const inoMmapRwsem = (f: PgFile) => f.ino + 2 * f.npages;

export interface PgVma {
  idx: number;
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
  /** 'page state' words: detached (by munmap/exit: the fault path finds no VMA), unlinked (from
   *  rmap by free_pgtables), then the last page faulted in at each index (what kswapd's LRU scan
   *  finds) */
  st: number;
}
const V_DETACHED = 0, V_UNLINKED = 1, V_LRU = 2;

// 'page frames' record, per page frame number (pfn = n * 0x100000 + n)
const FR_KIND = 0, FR_PAGE = 1, FR_DATA = 2, FR_ANON = 3, FR_FILE = 4, FR_INDEX = 5, FR_STALE = 6;
const FRW = 7;
const KIND_PAGE = 1, KIND_TABLE = 2;

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

const RCU_SCHEMA = { rcu_readers: 'perCpu', rcu_order: 'perCpu', rcu_nfree: 'word' } as const;

/** One kernel's page model: its declared regions, and the structure of the scenario being run. */
export interface PgModel {
  frames: Region<Int32Array>;
  st: Region<Int32Array>;
  rcu: RecordView<typeof RCU_SCHEMA>;
  rcuFrees: Int32Array;
  // static for a scenario (rebuilt at setup)
  active: boolean;
  files: PgFile[];
  vmas: PgVma[];
  /** mm->mmap_lock of each mm with mappings (a reader count, -1 while write-locked) */
  mmapLock: Map<number, number>;
  /** 'page state' offset of the history of each page-table entry (by the address of its low word) */
  history: Map<number, number>;
  /** 'page state' offset of the lost-write oracle's record of each file offset / anon page */
  lastWrite: Map<string, number>;
}

const MODELS = new WeakMap<Kernel, PgModel>();

function region(k: Kernel, name: string, words: number, n: number): Region<Int32Array> {
  return k.runState.region(name, new Int32Array(Math.max(words, 16)), n, { key: true });
}

STATE_PARTS.push({
  declare(k) {
    MODELS.set(k, {
      frames: region(k, 'page frames', 64 * FRW, FRW),
      st: region(k, 'page state', 256, 0),
      rcu: k.declareRecord('page model', RCU_SCHEMA),
      rcuFrees: region(k, 'page rcu frees', 2 * RCU_FREE_CAP, 2 * RCU_FREE_CAP).a,
      active: false, files: [], vmas: [], mmapLock: new Map(), history: new Map(), lastWrite: new Map(),
    });
  },
  boot(k) {
    const s = MODELS.get(k)!;
    s.frames.a.fill(0, 0, FRW);
    s.frames.n = FRW; // frame number 0 is none: the first one is 1
    s.st.n = 0;
    s.rcu.rcu_readers.fill(0);
    s.rcu.rcu_order.fill(0);
    s.rcu.rcu_nfree = 0;
    s.rcuFrees.fill(0);
    s.active = false;
    s.files = [];
    s.vmas = [];
    s.mmapLock = new Map();
    s.history = new Map();
    s.lastWrite = new Map();
  },
});

/** The run's page model, or null when the scenario has no pages (the common case: cheap). */
export function pgOf(k: Kernel): PgModel | null {
  const s = MODELS.get(k);
  return s !== undefined && s.active ? s : null;
}

function pgInit(k: Kernel): PgModel {
  const s = MODELS.get(k)!;
  s.active = true;
  return s;
}

/** Words of 'page state' for a new setup object (zeroed). */
function stAlloc(s: PgModel, words: number): number {
  const at = s.st.n;
  s.st.ensure(at + words);
  s.st.a.fill(0, at, at + words);
  s.st.n = at + words;
  return at;
}

/** A page frame number whose low and high 32-bit PTE halves are both non-zero: physical memory
 *  above 4 GiB, which is what PAE is for. */
function newPfn(s: PgModel, kind: number): number {
  const n = s.frames.n / FRW;
  s.frames.ensure((n + 1) * FRW);
  s.frames.a.fill(0, n * FRW, (n + 1) * FRW);
  s.frames.a[n * FRW + FR_KIND] = kind;
  s.frames.n = (n + 1) * FRW;
  return n * 0x100000 + n;
}

/** The frame record of pfn, or -1 when pfn is no frame the model allocated. */
function frameOf(s: PgModel, pfn: number): number {
  const n = pfn % 0x100000;
  if (n <= 0 || n * 0x100000 + n !== pfn || n >= s.frames.n / FRW) return -1;
  return n * FRW;
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
  k.m.mem[frame] = o.data;
  const pfn = newPfn(s, KIND_PAGE);
  const r = frameOf(s, pfn), a = s.frames.a;
  a[r + FR_PAGE] = ref;
  a[r + FR_DATA] = frame;
  a[r + FR_ANON] = o.anon ? 1 : 0;
  a[r + FR_FILE] = o.file ? o.file.idx + 1 : 0;
  a[r + FR_INDEX] = o.index;
  k.m.setAux(k.m.objIndex(ref), r / FRW); // struct page -> its frame number
  return ref;
}

/** The frame record of a struct page. */
function pageRec(k: Kernel, page: number): number {
  const n = k.m.aux(k.m.objIndex(page));
  if (n <= 0) throw new ModelError(`internal: ${k.m.ptrName(page)} is no struct page`);
  return n * FRW;
}

export function pageInfo(k: Kernel, page: number): PgPage {
  const s = pgOf(k)!;
  const r = pageRec(k, page), a = s.frames.a;
  const f = a[r + FR_FILE];
  const n = r / FRW;
  return {
    ref: page, frame: a[r + FR_DATA], pfn: n * 0x100000 + n, name: k.m.ptrName(page), anon: a[r + FR_ANON] !== 0,
    file: f ? s.files[f - 1] : null, index: a[r + FR_INDEX],
  };
}
/** page_address(page): the page's contents. */
export function pageData(k: Kernel, page: number): number {
  return pgOf(k)!.frames.a[pageRec(k, page) + FR_DATA];
}
export function pageIsAnon(k: Kernel, page: number): boolean {
  return pgOf(k)!.frames.a[pageRec(k, page) + FR_ANON] !== 0;
}
export function pfnToPage(k: Kernel, pfn: number): number {
  const s = pgOf(k)!;
  const r = frameOf(s, pfn);
  return r >= 0 && s.frames.a[r + FR_KIND] === KIND_PAGE ? s.frames.a[r + FR_PAGE] : 0;
}
/** The VMA whose PTE page has this pfn (what a PMD entry points to). */
export function tableVma(k: Kernel, pfn: number): PgVma | undefined {
  const s = pgOf(k)!;
  const r = frameOf(s, pfn);
  return r >= 0 && s.frames.a[r + FR_KIND] === KIND_TABLE ? s.vmas[s.frames.a[r + FR_PAGE]] : undefined;
}
/** Every struct page of the run, in allocation order. */
export function allPages(k: Kernel): number[] {
  const s = pgOf(k)!, a = s.frames.a, out: number[] = [];
  for (let r = FRW; r < s.frames.n; r += FRW) if (a[r + FR_KIND] === KIND_PAGE) out.push(a[r + FR_PAGE]);
  return out;
}
export const pageName = (k: Kernel, page: number) => k.m.ptrName(page);

/** The lost-write oracle: how a write through a stale TLB entry reached the page ('' if none). */
export function staleWrite(k: Kernel, page: number): string {
  return str(pgOf(k)!.frames.a[pageRec(k, page) + FR_STALE]);
}
export function setStaleWrite(k: Kernel, page: number, how: string) {
  pgOf(k)!.frames.a[pageRec(k, page) + FR_STALE] = sid(how);
}

/** "pte(F:0 P|W|A|D)" for traces and reports. */
export function fmtEntry(k: Kernel, e: Entry, what = 'pte'): string {
  if (isNone(e)) return `${what}(none)`;
  const pfn = entryPfn(e);
  const page = pfnToPage(k, pfn);
  const tab = tableVma(k, pfn);
  const target = page ? pageName(k, page) : tab ? `${tab.name}.pte` : `pfn 0x${pfn.toString(16)}`;
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

// ---- the torn-read oracle's history: every value stored in each page-table entry ------------------

function historyOf(k: Kernel, a: number): number {
  const at = pgOf(k)!.history.get(a);
  if (at === undefined) throw new ModelError(`internal: ${k.m.nameOf(a)} is no page-table entry of a mapping`);
  return at;
}

/** Record a value stored into a page-table entry (the torn-read oracle's history). */
export function noteStored(k: Kernel, a: number, e: Entry) {
  const at = historyOf(k, a), w = pgOf(k)!.st.a;
  let n = w[at];
  if (n === 0) { w[at + 1] = 0; w[at + 2] = 0; n = 1; } // a new history holds the initial none
  for (let i = 0; i < n; i++) if (w[at + 1 + 2 * i] === e.lo && w[at + 2 + 2 * i] === e.hi) { w[at] = n; return; }
  if (n === HIST_CAP) throw new ModelError(`${entryName(k, a)}: more than ${HIST_CAP} distinct values stored (the torn-read oracle's history is full)`);
  w[at + 1 + 2 * n] = e.lo;
  w[at + 2 + 2 * n] = e.hi;
  w[at] = n + 1;
}

/** The values stored into the entry at a, in the order first stored (empty: never noted). */
export function storedValues(k: Kernel, a: number): Entry[] {
  const at = historyOf(k, a), w = pgOf(k)!.st.a, out: Entry[] = [];
  for (let i = 0; i < w[at]; i++) out.push({ lo: w[at + 1 + 2 * i], hi: w[at + 2 + 2 * i] });
  return out;
}

// ---- per-VMA and per-file state -----------------------------------------------------------------

export const vmaDetached = (k: Kernel, v: PgVma) => pgOf(k)!.st.a[v.st + V_DETACHED] !== 0;
export const setVmaDetached = (k: Kernel, v: PgVma) => { pgOf(k)!.st.a[v.st + V_DETACHED] = 1; };
export const vmaUnlinked = (k: Kernel, v: PgVma) => pgOf(k)!.st.a[v.st + V_UNLINKED] !== 0;
export const setVmaUnlinked = (k: Kernel, v: PgVma) => { pgOf(k)!.st.a[v.st + V_UNLINKED] = 1; };
/** The page last faulted in at index i of v (kswapd's LRU), 0 if none. */
export const lruPage = (k: Kernel, v: PgVma, i: number) => pgOf(k)!.st.a[v.st + V_LRU + i];
export const setLruPage = (k: Kernel, v: PgVma, i: number, page: number) => { pgOf(k)!.st.a[v.st + V_LRU + i] = page; };

/** i_mmap of a file: a mask of VMA indices, in rmap-walk order. */
export const iMmap = (k: Kernel, f: PgFile) => pgOf(k)!.st.a[f.st];
export const setIMmap = (k: Kernel, f: PgFile, mask: number) => { pgOf(k)!.st.a[f.st] = mask; };

/** The next VMA after index `after` in mask (-1 when there is none). */
export function nextInMask(mask: number, after: number): number {
  for (let i = after + 1; i < MAX_VMAS; i++) if (mask & (1 << i)) return i;
  return -1;
}

// ---- the lost-write oracle's record: the value each user task last wrote --------------------------

/** The key of the lost-write oracle for a mapping's page: the file offset, or the anon page. */
export function dataKey(v: PgVma, i: number): string {
  return v.file ? `${v.file.name}:${i}` : `${v.name}:${i}`;
}
function lastWriteOf(k: Kernel, key: string): number {
  const at = pgOf(k)!.lastWrite.get(key);
  if (at === undefined) throw new ModelError(`no page ${key} in any mapping`);
  return at;
}
export function lastWrite(k: Kernel, key: string): { val: number; task: string } | undefined {
  const at = pgOf(k)!.lastWrite.get(key);
  if (at === undefined) return undefined;
  const w = pgOf(k)!.st.a;
  return w[at] ? { val: w[at + 1], task: str(w[at + 2]) } : undefined;
}
export function setLastWrite(k: Kernel, key: string, val: number, task: string) {
  const at = lastWriteOf(k, key), w = pgOf(k)!.st.a;
  w[at] = 1;
  w[at + 1] = val;
  w[at + 2] = sid(task);
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
    const f: PgFile = { idx: s.files.length, name, ino: k.m.alloc('inode', name, fields), npages: n, st: stAlloc(s, 1) };
    s.files.push(f);
    for (let i = 0; i < n; i++) this.dataKey(`${name}:${i}`);
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
    if (s.vmas.length === MAX_VMAS) throw new ModelError(`mmap ${name}: at most ${MAX_VMAS} mappings`);
    const n = o.pages ?? file?.npages ?? 1;
    if (!s.mmapLock.has(mm)) s.mmapLock.set(mm, k.m.alloc('mmap_lock', `${o.mm}.mmap_lock`, ['count']));
    const ptFields = ['ptl'];
    for (let i = 0; i < n; i++) ptFields.push(`pte[${i}].pte_low`, `pte[${i}].pte_high`);
    const pt = k.m.alloc('page table', `${name}.pte`, ptFields);
    const pmd = k.m.alloc('pmd', `${name}.pmd`, ['pmd_low', 'pmd_high']);
    const ptPfn = newPfn(s, KIND_TABLE);
    s.frames.a[frameOf(s, ptPfn) + FR_PAGE] = s.vmas.length;
    // the declared state of the mapping: its VMA words, the history of each of its entries
    const st = stAlloc(s, V_LRU + n);
    s.history.set(pmd + PMD_LO, stAlloc(s, 1 + 2 * HIST_CAP));
    for (let i = 0; i < n; i++) s.history.set(pt + ptLo(i), stAlloc(s, 1 + 2 * HIST_CAP));
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
    const v: PgVma = { idx: s.vmas.length, name, mm, file, shared: !!file, npages: n, pmd, pt, ptPfn, anonVma, tlb, st };
    s.vmas.push(v);
    for (let i = 0; i < n; i++) this.dataKey(dataKey(v, i));
    if (file) setIMmap(k, file, iMmap(k, file) | (1 << v.idx));
    if (o.populate) for (let i = 0; i < n; i++) this.populate(v, i, o.populate === 'write');
    return name;
  }

  private dataKey(key: string) {
    const s = pgOf(this.b.k)!;
    if (!s.lastWrite.has(key)) s.lastWrite.set(key, stAlloc(s, 3));
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
    setLruPage(k, v, i, page);
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
export const vmaAt = (k: Kernel, i: number): PgVma => pgOf(k)!.vmas[i];
export const fileAt = (k: Kernel, i: number): PgFile => pgOf(k)!.files[i];

// ---- accesses the model makes outside k.ld/k.st --------------------------------------------------

/** Note an access in the DPOR footprint (TLB entries are CPU-local hardware state, but s390's IPTE
 *  and IDTE invalidate other CPUs' entries). */
export function notefp(k: Kernel, a: number, write: boolean) {
  k.notefp(a, write);
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
PAGE_TLB.flushMm = tlbFlushMm;

// ---- RCU readers of page-level objects ------------------------------------------------------------
// CPUs in an RCU read-side section that protects page-level objects: GUP-fast's IRQs-off walk
// (sched-RCU: page tables), folio_lock_anon_vma_read()'s rcu_read_lock() (anon_vma). Objects freed
// with call_rcu() (tlb_remove_table_rcu, SLAB_TYPESAFE_BY_RCU anon_vmas) are freed for real once no
// reader is left (the grace period ends). rcu_order ranks the readers by when they entered.

function rcuReaderList(s: PgModel): number[] {
  const out: number[] = [];
  const r = s.rcu;
  for (let c = 0; c < r.rcu_readers.length; c++) if (r.rcu_readers[c] > 0) out.push(c);
  return out.sort((a, b) => r.rcu_order[a] - r.rcu_order[b]);
}

/** rcu_read_lock() (or an IRQs-off section, for sched-RCU) on cpu. */
export function rcuReadLock(k: Kernel, cpu: number) {
  const r = pgOf(k)!.rcu;
  if (r.rcu_readers[cpu] === 0) {
    let n = 0;
    for (let c = 0; c < r.rcu_readers.length; c++) if (r.rcu_readers[c] > 0) n++;
    r.rcu_order[cpu] = n;
  }
  r.rcu_readers[cpu]++;
  k.fpGlobal();
}
/** rcu_read_unlock(): when the last reader is gone, the grace period ends and the callbacks run. */
export function rcuReadUnlock(k: Kernel, x: Ctx) {
  const s = pgOf(k)!, r = s.rcu;
  const n = (r.rcu_readers[x.cpu] || 1) - 1;
  if (n > 0) r.rcu_readers[x.cpu] = n;
  else {
    if (r.rcu_readers[x.cpu] > 0) {
      const o = r.rcu_order[x.cpu];
      for (let c = 0; c < r.rcu_readers.length; c++) if (r.rcu_readers[c] > 0 && r.rcu_order[c] > o) r.rcu_order[c]--;
    }
    r.rcu_readers[x.cpu] = 0;
    r.rcu_order[x.cpu] = 0;
  }
  k.fpGlobal();
  if (rcuReaderList(s).length || !r.rcu_nfree) return;
  const fr = s.rcuFrees;
  const what: string[] = [];
  for (let i = 0; i < r.rcu_nfree; i++) {
    const a = fr[2 * i], w = str(fr[2 * i + 1]);
    k.m.free(a, `${w} (after an RCU grace period)`);
    what.push(`${w}(${k.m.ptrName(a)})`);
  }
  if (k.tracing) k.tr(x, `RCU grace period over: ${what.join(', ')}`);
  fr.fill(0, 0, 2 * r.rcu_nfree);
  r.rcu_nfree = 0;
}
/** call_rcu(): free `a` once no reader is left (now, if there is none). */
export function callRcuFree(k: Kernel, x: Ctx, a: number, what: string) {
  const s = pgOf(k)!, r = s.rcu;
  const readers = rcuReaderList(s);
  if (readers.length) {
    const n = r.rcu_nfree;
    if (n === RCU_FREE_CAP) throw new ModelError(`more than ${RCU_FREE_CAP} objects wait for an RCU grace period`);
    s.rcuFrees[2 * n] = a;
    s.rcuFrees[2 * n + 1] = sid(what);
    r.rcu_nfree = n + 1;
    if (k.tracing) k.tr(x, `call_rcu(${what}): ${k.m.ptrName(a)} waits for cpu${readers.join(',cpu')}`);
  } else {
    k.m.free(a, `cpu${x.cpu} ${what}`);
    if (k.tracing) k.tr(x, `${what}(${k.m.ptrName(a)}) (no RCU reader)`);
  }
  k.fpGlobal();
}

// ---- 64-bit entry accesses ---------------------------------------------------------------------------

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
    if (k.tracing) k.traceDrain(x, k.m.sbLen[x.cpu]);
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

/** Per-kernel (not per-run) properties arches declare: CONFIG_GUP_GET_PTE_LOW_HIGH. */
const LOW_HIGH = new WeakSet<Kernel>();
export function declarePteLowHigh(k: Kernel) { LOW_HIGH.add(k); }
export function pteLowHigh(k: Kernel): boolean { return LOW_HIGH.has(k); }

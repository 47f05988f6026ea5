// User accesses through the TLB, the MMU's page walk, and page faults on file and anonymous
// mappings (v6.1 mm/memory.c handle_pte_fault(), do_shared_fault(), do_read_fault(),
// do_wp_page() -> wp_page_shared(), do_anonymous_page(); mm/filemap.c filemap_fault()).
//
// A user store is one instruction: a TLB hit that is writable and dirty goes straight to the page
// (no PTE, no struct page flag sees it: the entry "hides the dirty bit", as Linus put it); a miss,
// or a writable entry without the dirty bit, walks the page tables and sets A/D atomically in the
// PTE (x86 semantics, used on every arch of the model); a missing or read-only PTE faults.
import type { StepRegistry } from '../hooks.ts';
import type { Kernel, Ctx, TaskInfo } from '../kernel.ts';
import { BLOCK } from '../kernel/sched.ts';
import { PH } from './hooks.ts';
import {
  pgOf, allocPage, pageInfo, pfnToPage, mkEntry, entryPfn, present, pteWrite, pteDirty, isNone,
  sameEntry, fmtEntry, ptLo, tlbGet, tlbSet, notefp, noteStored, ld64, inoPage, inoDisk, pageName,
  _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_ACCESSED, _PAGE_DIRTY, TLB_W, TLB_D,
  PG_REFCOUNT, PG_MAPCOUNT, PG_MAPPING, pageData, PG_DIRTY, PG_LOCKED, PG_PRIVATE, type PgVma, type Entry,
} from './state.ts';
import { loadEntry } from './pgtable.ts';
import { ptl_lock, ptl_unlock, lock_page, unlock_page, folio_try_get, get_page, put_page, down_read, up_read } from './mm.ts';

type Gen<R = void> = Generator<number, R, unknown>;

const USER_PTE = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;

/** The key of the lost-write oracle for a mapping's page: the file offset, or the anon page. */
export function dataKey(v: PgVma, i: number): string {
  return v.file ? `${v.file.name}:${i}` : `${v.name}:${i}`;
}

/** A user load or store of page i of mapping v by task t. Returns the value read (a load), or
 *  undefined when the access died with SIGSEGV (the VMA is gone). */
export function* userAccess(k: Kernel, x: Ctx, t: TaskInfo, v: PgVma, i: number, write: boolean, val: number): Gen<number | undefined> {
  for (let tries = 0; ; tries++) {
    if (tries > 8) throw new Error(`internal: ${t.name}'s access to ${v.name}[${i}] keeps faulting`);
    const e = tlbGet(k, v, x.cpu, i);
    if (e !== 0 && (!write || (e & (TLB_W | TLB_D)) === (TLB_W | TLB_D))) {
      const r = accessPage(k, x, t, v, i, e & ~3, write, val, 'TLB hit');
      yield 0;
      return r;
    }
    // A write through an entry without W faults; without D the CPU re-walks to set it. Either
    // way the walk below decides (a #PF also invalidates the entry).
    if (e !== 0) tlbSet(k, v, x.cpu, i, 0);
    const w = mmuWalk(k, x, v, i, write);
    if (w) {
      tlbSet(k, v, x.cpu, i, w.page | TLB_W * +pteWrite(w.e) | TLB_D * +pteDirty(w.e));
      const r = accessPage(k, x, t, v, i, w.page, write, val, `walk ${fmtEntry(k, w.e)}`);
      yield 0;
      return r;
    }
    yield 0;
    // do_user_addr_fault(): mmap_read_lock(mm); vma = find_vma(mm, address); ... handle_mm_fault()
    const lock = pgOf(k)!.mmapLock.get(v.mm)!;
    yield* down_read(k, x, lock);
    if (v.detached) {
      yield* up_read(k, x, lock);
      k.count('sigsegv');
      if (k.tracing) k.tr(x, `SIGSEGV: ${v.name} is unmapped`);
      return undefined;
    }
    k.count('page_faults');
    yield k.invoke(PH.handle_mm_fault, { vma: v, i, write, tsk: t });
    yield* up_read(k, x, lock);
  }
}

/** The MMU's page walk (atomic, as the hardware's): PMD, PTE, then A (and D for a write) set in
 *  the PTE with a locked update. Null: the access faults. */
function mmuWalk(k: Kernel, x: Ctx, v: PgVma, i: number, write: boolean): { e: Entry; page: number } | null {
  const s = pgOf(k)!;
  if (k.arch.hwLoadedMm(k, x.cpu) !== v.mm) k.violate('warn', `cpu${x.cpu} accesses ${v.name} but its MMU holds ${k.name(k.arch.hwLoadedMm(k, x.cpu))}`, x);
  const pmd = ld64(k, x, v.pmd);
  if (!present(pmd) || s.tables.get(entryPfn(pmd)) !== v) return null;
  const a = v.pt + ptLo(i);
  const pte = ld64(k, x, a);
  if (!present(pte) || (write && !pteWrite(pte))) return null;
  const page = pfnToPage(k, entryPfn(pte));
  const want = pte.lo | _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0);
  let e = pte;
  if (want !== pte.lo) {
    e = { lo: want, hi: pte.hi };
    notefp(k, a, true);
    k.m.mem[a] = want; // LOCK-prefixed update of the A/D bits
    noteStored(k, a, e);
  }
  return { e, page };
}

function accessPage(k: Kernel, x: Ctx, t: TaskInfo, v: PgVma, i: number, page: number, write: boolean, val: number, how: string): number {
  const s = pgOf(k)!;
  // Oracle bookkeeping: does the PTE still map the page this entry points to?
  const m = k.m.mem;
  const pte = { lo: m[v.pt + ptLo(i)], hi: m[v.pt + ptLo(i) + 1] };
  const stale = k.m.dead[v.pt] || !present(pte) || pfnToPage(k, entryPfn(pte)) !== page;
  if (k.tracing) k.tr(x, `${how}${stale ? ' (stale: the PTE no longer maps it)' : ''}`);
  if (write) {
    k.st(x, pageData(k, page), val);
    s.lastWrite.set(dataKey(v, i), { val, task: t.name });
    if (stale) s.staleWrites.set(page, `${t.name} wrote ${val} through cpu${x.cpu}'s stale TLB entry`);
    k.count('user_writes');
    return val;
  }
  const r = k.ld(x, pageData(k, page));
  // Nadav's PoC: "*ul_p = cnt; if (*ul_p != cnt) printf("FAILED: expected %ld, got %ld\n", ...)"
  const lw = s.lastWrite.get(dataKey(v, i));
  if (lw && lw.task === t.name && lw.val !== r)
    k.violate('lost-write', `${t.name} wrote ${lw.val} to ${dataKey(v, i)} and read back ${r} (FAILED: expected ${lw.val}, got ${r})`, x);
  return r;
}

export function registerFaults(r: StepRegistry) {
  // handle_mm_fault() -> __handle_mm_fault() -> handle_pte_fault(); f: { vma, i, write, tsk }
  r.add('handle_mm_fault', 'handle_pte_fault', function* (k, x, f) {
    const v: PgVma = f.vma;
    const pmd = ld64(k, x, v.pmd);
    yield 0;
    if (!present(pmd)) { f.ret_early = true; return; } // (__pte_alloc() is not modelled)
    f.orig = loadEntry(k, x, v.pt + ptLo(f.i), 'pte'); // vmf->orig_pte = *vmf->pte;
    yield 0;
    if (isNone(f.orig)) f.fn = !v.file ? PH.do_anonymous_page : f.write ? PH.do_shared_fault : PH.do_read_fault;
    else if (f.write && !pteWrite(f.orig)) f.fn = PH.do_wp_page;
    else f.ret_early = true; // spurious: the walk sets A/D
  });
  r.add('handle_mm_fault', 'do_fault', function* (k, _x, f) {
    yield k.invoke(f.fn, f);
  });

  // static vm_fault_t do_shared_fault(struct vm_fault *vmf)
  r.add('do_shared_fault', '__do_fault', function* (k, _x, f) {
    yield k.invoke(PH.filemap_fault, f); // returns the page locked, with a reference
  });
  // "Check if the backing address space wants to know that the page is about to become
  // writable": do_page_mkwrite() -> ext4_page_mkwrite() -> block_page_mkwrite(): (re)attach the
  // buffers, set_page_dirty(), return with the page locked.
  r.add('do_shared_fault', 'do_page_mkwrite', function* (k, x, f) {
    if (!(yield* pageMkwrite(k, x, f))) f.ret_early = true;
  });
  r.add('do_shared_fault', 'finish_fault', function* (k, x, f) {
    yield* finishFault(k, x, f, _PAGE_RW | _PAGE_DIRTY);
  });
  // fault_dirty_shared_page(): set_page_dirty(); unlock_page()
  r.add('do_shared_fault', 'fault_dirty_shared_page', function* (k, x, f) {
    if (!f.raced) yield k.invoke(PH.set_page_dirty, { page: f.page });
    yield* unlock_page(k, x, f.page);
    if (f.raced) yield* put_page(k, x, f.page);
  });

  // static vm_fault_t do_read_fault(struct vm_fault *vmf)
  r.add('do_read_fault', '__do_fault', function* (k, _x, f) {
    yield k.invoke(PH.filemap_fault, f);
  });
  r.add('do_read_fault', 'finish_fault', function* (k, x, f) {
    yield* finishFault(k, x, f, 0);
    yield* unlock_page(k, x, f.page);
    if (f.raced) yield* put_page(k, x, f.page);
  });

  // do_wp_page() on a shared file page -> wp_page_shared(): entered with the PTL held
  r.add('do_wp_page', 'wp_page_shared', function* (k, x, f) {
    const v: PgVma = f.vma;
    yield* ptl_lock(k, x, v);
    const cur = loadEntry(k, x, v.pt + ptLo(f.i), 'pte');
    if (!sameEntry(cur, f.orig)) { yield* ptl_unlock(k, x, v); f.ret_early = true; return; }
    f.page = pfnToPage(k, entryPfn(cur));
    yield* get_page(k, x, f.page);
    yield* ptl_unlock(k, x, v);
  });
  // do_page_mkwrite(): ext4_page_mkwrite() returns VM_FAULT_LOCKED
  r.add('do_wp_page', 'do_page_mkwrite', function* (k, x, f) {
    yield* lock_page(k, x, f.page);
    if (!(yield* pageMkwrite(k, x, f))) f.ret_early = true;
  });
  // finish_mkwrite_fault(): re-take the PTL, pte_same(), wp_page_reuse()
  r.add('do_wp_page', 'finish_mkwrite_fault', function* (k, x, f) {
    const v: PgVma = f.vma;
    yield* ptl_lock(k, x, v);
    const cur = loadEntry(k, x, v.pt + ptLo(f.i), 'pte');
    if (!sameEntry(cur, f.orig)) {
      yield* ptl_unlock(k, x, v);
      yield* unlock_page(k, x, f.page);
      yield* put_page(k, x, f.page);
      f.ret_early = true;
      return;
    }
    // wp_page_reuse(): entry = maybe_mkwrite(pte_mkdirty(pte_mkyoung(orig)))
    const e = { lo: cur.lo | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED, hi: cur.hi };
    yield k.invoke(PH.set_pte_at, { a: v.pt + ptLo(f.i), e });
    yield* ptl_unlock(k, x, v);
  });
  r.add('do_wp_page', 'fault_dirty_shared_page', function* (k, x, f) {
    yield k.invoke(PH.set_page_dirty, { page: f.page });
    yield* unlock_page(k, x, f.page);
    yield* put_page(k, x, f.page);
  });

  // static vm_fault_t do_anonymous_page(struct vm_fault *vmf)
  r.add('do_anonymous_page', 'alloc_zeroed_user_highpage_movable', (k, x, f) => {
    const v: PgVma = f.vma;
    f.page = allocPage(k, { name: `${v.name}:anon${f.i}`, anon: true, file: null, index: f.i, mapping: 0, data: 0, buffers: false });
    if (k.tracing) k.tr(x, `alloc ${pageName(k, f.page)}`);
  });
  r.add('do_anonymous_page', 'set_pte_at', function* (k, x, f) {
    const v: PgVma = f.vma;
    yield* ptl_lock(k, x, v);
    const cur = loadEntry(k, x, v.pt + ptLo(f.i), 'pte');
    if (!isNone(cur)) {
      yield* ptl_unlock(k, x, v);
      yield* put_page(k, x, f.page);
      return;
    }
    // page_add_new_anon_rmap(): _mapcount = 0, page->mapping = anon_vma | PAGE_MAPPING_ANON
    k.st(x, f.page + PG_MAPCOUNT, 0);
    k.st(x, f.page + PG_MAPPING, v.anonVma);
    k.st(x, f.page + PG_DIRTY, 1);
    v.lruPage[f.i] = f.page; k.fpGlobal(); // (ghost: the LRU kswapd scans)
    const e = mkEntry(pageInfo(k, f.page).pfn, USER_PTE | _PAGE_RW | _PAGE_DIRTY);
    yield k.invoke(PH.set_pte_at, { a: v.pt + ptLo(f.i), e });
    yield* ptl_unlock(k, x, v);
  });

  // vm_fault_t filemap_fault(struct vm_fault *vmf): find (or read in) the page, lock it, with a
  // reference for the caller. f: { vma, i } -> f.page
  r.add('filemap_fault', 'filemap_get_folio', function* (k, x, f) {
    const file = f.vma.file;
    for (;;) {
      const page = k.ld(x, inoPage(file, f.i));
      yield 0;
      if (page === 0) {
        // page_cache_ra_unbounded() -> filemap_add_folio() -> ext4_readpage(): locked, two
        // references (the page cache's and ours), then the read from the disk.
        const np = allocPage(k, { name: `${file.name}:${f.i}'`, anon: false, file, index: f.i, mapping: file.ino, data: 0, buffers: true });
        k.m.mem[np + PG_REFCOUNT] = 2;
        k.m.mem[np + PG_LOCKED] = 1; // nobody can see it yet
        if (k.cmpxchg(x, inoPage(file, f.i), 0, np) !== 0) { k.m.free(pageData(k, np), 'filemap_add_folio race'); yield 0; continue; }
        yield 0;
        const d = k.ld(x, inoDisk(file, f.i));
        k.st(x, pageData(k, np), d);
        if (k.tracing) k.tr(x, `read ${pageName(k, np)} from disk: ${d}`);
        yield 0;
        f.page = np;
        return;
      }
      if (!(yield* folio_try_get(k, x, page))) {
        // being freed (refcount frozen by __remove_mapping): "goto repeat" once it is gone
        const slot = inoPage(file, f.i);
        x.wait = () => k.m.mem[slot] !== page || k.m.mem[page + PG_REFCOUNT] > 0;
        yield BLOCK;
        continue;
      }
      yield* lock_page(k, x, page);
      if (k.ld(x, page + PG_MAPPING) !== file.ino) { // evicted while we waited: retry
        yield* unlock_page(k, x, page);
        yield* put_page(k, x, page);
        continue;
      }
      f.page = page;
      return;
    }
  });
}

/** block_page_mkwrite() on a locked page with our reference: "We overload EFAULT to mean page
 *  got truncated"; __block_write_begin() creates buffers if reclaim stripped them;
 *  set_page_dirty(). False (page unlocked and released): the fault is retried. */
function* pageMkwrite(k: Kernel, x: Ctx, f: { page: number; vma: PgVma }): Gen<boolean> {
  const file = f.vma.file!;
  if (k.ld(x, f.page + PG_MAPPING) !== file.ino) {
    yield 0;
    yield* unlock_page(k, x, f.page);
    yield* put_page(k, x, f.page);
    return false;
  }
  if (!k.ld(x, f.page + PG_PRIVATE)) k.st(x, f.page + PG_PRIVATE, 1); // create_empty_buffers()
  yield 0;
  yield k.invoke(PH.set_page_dirty, { page: f.page });
  return true;
}

/** finish_fault() -> do_set_pte(): map the (locked, referenced) page if the PTE is still none. */
function* finishFault(k: Kernel, x: Ctx, f: { vma: PgVma; i: number; page: number; raced?: boolean }, wflags: number): Gen {
  const v = f.vma;
  yield* ptl_lock(k, x, v);
  const cur = loadEntry(k, x, v.pt + ptLo(f.i), 'pte');
  if (!isNone(cur)) { f.raced = true; yield* ptl_unlock(k, x, v); return; }
  yield k.invoke(PH.page_add_file_rmap, { page: f.page });
  v.lruPage[f.i] = f.page; k.fpGlobal(); // (ghost: the LRU kswapd scans)
  const e = mkEntry(pageInfo(k, f.page).pfn, USER_PTE | wflags);
  yield k.invoke(PH.set_pte_at, { a: v.pt + ptLo(f.i), e });
  yield* ptl_unlock(k, x, v);
}

export function registerRmapAdd(r: StepRegistry) {
  // void page_add_file_rmap(struct page *page, struct vm_area_struct *vma, bool compound)
  r.add('page_add_file_rmap', 'atomic_inc_and_test', function* (k, x, f) {
    k.atomicAdd(x, f.page + PG_MAPCOUNT, 1, 'atomic_inc_and_test');
    yield 0;
  });
}


// User accesses through the TLB, the MMU's page walk, and page faults on file and anonymous
// mappings (v6.1 mm/memory.c handle_pte_fault(), do_shared_fault(), do_read_fault(),
// do_wp_page() -> wp_page_shared(), do_anonymous_page(); mm/filemap.c filemap_fault()).
//
// A user store is one instruction: a TLB hit that is writable and dirty goes straight to the page
// (no PTE, no struct page flag sees it: the entry "hides the dirty bit", as Linus put it); a miss,
// or a writable entry without the dirty bit, walks the page tables and sets A/D atomically in the
// PTE (x86 semantics, used on every arch of the model); a missing or read-only PTE faults.
//
// The fault handlers share one frame, struct vm_fault (hooks.ts): handle_mm_fault() calls the
// handler it picks, which calls filemap_fault(), finish_fault() and block_page_mkwrite(), on it.
import type { StepRegistry } from '../registry.ts';
import { NEXT, RET, YIELD, FUSE, CALL, FUSE_CALL, callAgain, fuseCallAgain, again, block, goTo, type FnId } from '../fns.ts';
import { H, W_NE_OR_POS, type Kernel, type Ctx, type TaskView } from '../kernel.ts';
import {
  allocPage, pageInfo, pfnToPage, tableVma, mkEntry, entryPfn, present, pteWrite, pteDirty, isNone,
  sameEntry, fmtEntry, ptLo, tlbGet, tlbSet, notefp, noteStored, ld64, inoPage, inoDisk, pageName,
  _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_ACCESSED, _PAGE_DIRTY, TLB_W, TLB_D,
  PG_REFCOUNT, PG_MAPCOUNT, PG_MAPPING, pageData, PG_DIRTY, PG_LOCKED, PG_PRIVATE, vmaAt, setLruPage,
  vmaDetached, dataKey, lastWrite, setLastWrite, setStaleWrite, pgOf, type PgVma, type Entry,
} from './state.ts';
import { loadEntry } from './pgtable.ts';
import { ptlLock, ptlUnlock } from './mm.ts';

declare module '../fns.ts' {
  interface KernelSteps {
    'handle_mm_fault.handle_pte_fault': true; 'handle_mm_fault.do_fault': true;
    'do_shared_fault.__do_fault': true; 'do_shared_fault.do_page_mkwrite': true;
    'do_shared_fault.finish_fault': true; 'do_shared_fault.fault_dirty_shared_page': true;
    'do_read_fault.__do_fault': true; 'do_read_fault.finish_fault': true;
    'do_wp_page.wp_page_shared': true; 'do_wp_page.do_page_mkwrite': true;
    'do_wp_page.finish_mkwrite_fault': true; 'do_wp_page.fault_dirty_shared_page': true;
    'do_anonymous_page.alloc_zeroed_user_highpage_movable': true; 'do_anonymous_page.set_pte_at': true;
    'filemap_fault.filemap_get_folio': true; 'finish_fault.do_set_pte': true;
    'block_page_mkwrite.block_page_mkwrite': true; 'page_add_file_rmap.atomic_inc_and_test': true;
  }
}

const USER_PTE = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;

/** A user load or store of page i of mapping v by task t: one step of the sys_user_write /
 *  sys_user_read operation, whose frame holds vma (set by the caller).
 *  The access dies with SIGSEGV when the VMA is gone. Like the kernel, it retries after every
 *  fault with no limit: a schedule in which another CPU unmaps the page each time is a livelock
 *  only while the workload has unmaps left; a run catches a real one with its step budget, and
 *  the exhaustive search meets the retry's state again and cuts it.
 *  Resume points: 0 an access (the first, or a retry after a fault),
 *  1 after the walk that faulted, 2 mmap_read_lock() held, 3 SIGSEGV (after mmap_read_unlock()),
 *  4 after handle_mm_fault(), 5 after mmap_read_unlock(): retry. */
export function userAccess(k: Kernel, x: Ctx, f: { tsk: number; vma: number }, pc: number, i: number, write: boolean, val: number): number {
  const v = vmaAt(k, f.vma);
  const lock = () => pgOf(k)!.mmapLock.get(v.mm)!;
  switch (pc) {
    case 0: break;
    case 1:
      // do_user_addr_fault(): mmap_read_lock(mm); vma = find_vma(mm, address); ... handle_mm_fault()
      k.call(x, H.down_read).a = lock();
      return callAgain(2);
    case 2: {
      if (vmaDetached(k, v)) {
        k.call(x, H.up_read).a = lock();
        return callAgain(3);
      }
      k.count('page_faults');
      const c = k.call(x, H.handle_mm_fault);
      c.vma = v.idx;
      c.i = i;
      c.write = write;
      c.tsk = f.tsk;
      return callAgain(4);
    }
    case 3:
      k.count('sigsegv');
      if (k.tracing) k.tr(x, `SIGSEGV: ${v.name} is unmapped`);
      return NEXT;
    case 4:
      k.call(x, H.up_read).a = lock();
      return callAgain(5);
    default:
      break;
  }
  const t = k.task(f.tsk);
  const e = tlbGet(k, v, x.cpu, i);
  if (e !== 0 && (!write || (e & (TLB_W | TLB_D)) === (TLB_W | TLB_D))) {
    accessPage(k, x, t, v, i, e & ~3, write, val, 'TLB hit');
    return YIELD;
  }
  // A write through an entry without W faults; without D the CPU re-walks to set it. Either
  // way the walk below decides (a #PF also invalidates the entry).
  if (e !== 0) tlbSet(k, v, x.cpu, i, 0);
  const w = mmuWalk(k, x, v, i, write);
  if (w) {
    tlbSet(k, v, x.cpu, i, w.page | TLB_W * +pteWrite(w.e) | TLB_D * +pteDirty(w.e));
    accessPage(k, x, t, v, i, w.page, write, val, `walk ${fmtEntry(k, w.e)}`);
    return YIELD;
  }
  return again(1);
}

/** The MMU's page walk (atomic, as the hardware's): PMD, PTE, then A (and D for a write) set in
 *  the PTE with a locked update. Null: the access faults. */
function mmuWalk(k: Kernel, x: Ctx, v: PgVma, i: number, write: boolean): { e: Entry; page: number } | null {
  if (k.arch.hwLoadedMm(k, x.cpu) !== v.mm) k.violate('warn', `cpu${x.cpu} accesses ${v.name} but its MMU holds ${k.name(k.arch.hwLoadedMm(k, x.cpu))}`, x);
  const pmd = ld64(k, x, v.pmd);
  if (!present(pmd) || tableVma(k, entryPfn(pmd)) !== v) return null;
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

function accessPage(k: Kernel, x: Ctx, t: TaskView, v: PgVma, i: number, page: number, write: boolean, val: number, how: string): number {
  // Oracle bookkeeping: does the PTE still map the page this entry points to?
  const m = k.m.mem;
  const pte = { lo: m[v.pt + ptLo(i)], hi: m[v.pt + ptLo(i) + 1] };
  const stale = k.m.dead[v.pt] || !present(pte) || pfnToPage(k, entryPfn(pte)) !== page;
  if (k.tracing) k.tr(x, `${how}${stale ? ' (stale: the PTE no longer maps it)' : ''}`);
  if (write) {
    k.st(x, pageData(k, page), val);
    setLastWrite(k, dataKey(v, i), val, t.name);
    if (stale) setStaleWrite(k, page, `${t.name} wrote ${val} through cpu${x.cpu}'s stale TLB entry`);
    k.count('user_writes');
    return val;
  }
  const r = k.ld(x, pageData(k, page));
  // Nadav's PoC: "*ul_p = cnt; if (*ul_p != cnt) printf("FAILED: expected %ld, got %ld\n", ...)"
  const lw = lastWrite(k, dataKey(v, i));
  if (lw && lw.task === t.name && lw.val !== r)
    k.violate('lost-write', `${t.name} wrote ${lw.val} to ${dataKey(v, i)} and read back ${r} (FAILED: expected ${lw.val}, got ${r})`, x);
  return r;
}

export function registerFaults(r: StepRegistry) {
  // handle_mm_fault() -> __handle_mm_fault() -> handle_pte_fault(); vmf: { vma, i, write, tsk }
  // Resume points: 1 after the PMD read, 2 after the PTE read.
  r.add('handle_mm_fault', 'handle_pte_fault', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    switch (pc) {
      case 0:
        f.orig = ld64(k, x, v.pmd); // (the PMD, until vmf->orig_pte is read)
        return again(1);
      case 1:
        if (!present(f.orig)) return RET; // (__pte_alloc() is not modelled)
        f.orig = loadEntry(k, x, v.pt + ptLo(f.i), 'pte'); // vmf->orig_pte = *vmf->pte;
        return again(2);
      default:
        if (isNone(f.orig)) f.fn = !v.file ? H.do_anonymous_page : f.write ? H.do_shared_fault : H.do_read_fault;
        else if (f.write && !pteWrite(f.orig)) f.fn = H.do_wp_page;
        else return RET; // spurious: the walk sets A/D
        return NEXT;
    }
  });
  r.add('handle_mm_fault', 'do_fault', (k, x, f) => {
    k.callOn(x, f.fn as FnId<'do_shared_fault'>, k.ptr(f));
    return CALL;
  });

  // static vm_fault_t do_shared_fault(struct vm_fault *vmf)
  r.add('do_shared_fault', '__do_fault', (k, x, f) => {
    k.callOn(x, H.filemap_fault, k.ptr(f)); // returns the page locked, with a reference
    return CALL;
  });
  // "Check if the backing address space wants to know that the page is about to become
  // writable": do_page_mkwrite() -> ext4_page_mkwrite() -> block_page_mkwrite(): (re)attach the
  // buffers, set_page_dirty(), return with the page locked.
  // Resume point 1: after block_page_mkwrite().
  r.add('do_shared_fault', 'do_page_mkwrite', (k, x, f, pc) => {
    if (pc === 1) return f.mkwrite ? NEXT : RET;
    k.callOn(x, H.block_page_mkwrite, k.ptr(f));
    return callAgain(1);
  });
  r.add('do_shared_fault', 'finish_fault', (k, x, f) => {
    f.wflags = _PAGE_RW | _PAGE_DIRTY;
    k.callOn(x, H.finish_fault, k.ptr(f));
    return CALL;
  });
  // fault_dirty_shared_page(): set_page_dirty(); unlock_page()
  // Resume points: 1 after set_page_dirty(), 2 after unlock_page().
  r.add('do_shared_fault', 'fault_dirty_shared_page', (k, x, f, pc) => {
    switch (pc) {
      case 0:
        if (!f.raced) {
          k.call(x, H.set_page_dirty).page = f.page;
          return callAgain(1);
        }
        return goTo(1);
      case 1:
        k.call(x, H.unlock_page).page = f.page;
        return callAgain(2);
      default:
        if (!f.raced) return NEXT;
        k.call(x, H.put_page).page = f.page;
        return CALL;
    }
  });

  // static vm_fault_t do_read_fault(struct vm_fault *vmf)
  r.add('do_read_fault', '__do_fault', (k, x, f) => {
    k.callOn(x, H.filemap_fault, k.ptr(f));
    return CALL;
  });
  // Resume points: 1 after finish_fault(), 2 after unlock_page().
  r.add('do_read_fault', 'finish_fault', (k, x, f, pc) => {
    switch (pc) {
      case 0:
        f.wflags = 0;
        k.callOn(x, H.finish_fault, k.ptr(f));
        return callAgain(1);
      case 1:
        k.call(x, H.unlock_page).page = f.page;
        return callAgain(2);
      default:
        if (!f.raced) return NEXT;
        k.call(x, H.put_page).page = f.page;
        return CALL;
    }
  });

  // do_wp_page() on a shared file page -> wp_page_shared(): entered with the PTL held
  // Resume points: 1 the PTL held, 2 unlocked after the PTE changed (return), 3 after get_page().
  r.add('do_wp_page', 'wp_page_shared', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    switch (pc) {
      case 0:
        ptlLock(k, x, v);
        return callAgain(1);
      case 1: {
        const cur = loadEntry(k, x, v.pt + ptLo(f.i), 'pte');
        if (!sameEntry(cur, f.orig)) { ptlUnlock(k, x, v); return fuseCallAgain(2); }
        f.page = pfnToPage(k, entryPfn(cur));
        k.call(x, H.get_page).page = f.page;
        return fuseCallAgain(3);
      }
      case 2:
        return RET;
      default:
        ptlUnlock(k, x, v);
        return CALL;
    }
  });
  // do_page_mkwrite(): ext4_page_mkwrite() returns VM_FAULT_LOCKED
  // Resume points: 1 the page locked, 2 after block_page_mkwrite().
  r.add('do_wp_page', 'do_page_mkwrite', (k, x, f, pc) => {
    switch (pc) {
      case 0:
        k.call(x, H.lock_page).page = f.page;
        return callAgain(1);
      case 1:
        k.callOn(x, H.block_page_mkwrite, k.ptr(f));
        return callAgain(2);
      default:
        return f.mkwrite ? NEXT : RET;
    }
  });
  // finish_mkwrite_fault(): re-take the PTL, pte_same(), wp_page_reuse()
  // Resume points: 1 the PTL held; the PTE changed: 2 unlocked, 3 the page unlocked, 4 released
  // (return); 5 after set_pte_at().
  r.add('do_wp_page', 'finish_mkwrite_fault', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    switch (pc) {
      case 0:
        ptlLock(k, x, v);
        return callAgain(1);
      case 1: {
        const cur = loadEntry(k, x, v.pt + ptLo(f.i), 'pte');
        if (!sameEntry(cur, f.orig)) { ptlUnlock(k, x, v); return fuseCallAgain(2); }
        // wp_page_reuse(): entry = maybe_mkwrite(pte_mkdirty(pte_mkyoung(orig)))
        const e = { lo: cur.lo | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED, hi: cur.hi };
        const c = k.call(x, H.set_pte_at);
        c.a = v.pt + ptLo(f.i);
        c.e = e;
        return fuseCallAgain(5);
      }
      case 2:
        k.call(x, H.unlock_page).page = f.page;
        return callAgain(3);
      case 3:
        k.call(x, H.put_page).page = f.page;
        return callAgain(4);
      case 4:
        return RET;
      default:
        ptlUnlock(k, x, v);
        return CALL;
    }
  });
  // Resume points: 1 after set_page_dirty(), 2 after unlock_page().
  r.add('do_wp_page', 'fault_dirty_shared_page', (k, x, f, pc) => {
    switch (pc) {
      case 0:
        k.call(x, H.set_page_dirty).page = f.page;
        return callAgain(1);
      case 1:
        k.call(x, H.unlock_page).page = f.page;
        return callAgain(2);
      default:
        k.call(x, H.put_page).page = f.page;
        return CALL;
    }
  });

  // static vm_fault_t do_anonymous_page(struct vm_fault *vmf)
  r.add('do_anonymous_page', 'alloc_zeroed_user_highpage_movable', (k, x, f) => {
    const v = vmaAt(k, f.vma);
    f.page = allocPage(k, { name: `${v.name}:anon${f.i}`, anon: true, file: null, index: f.i, mapping: 0, data: 0, buffers: false });
    if (k.tracing) k.tr(x, `alloc ${pageName(k, f.page)}`);
    return NEXT;
  });
  // Resume points: 1 the PTL held, 2 unlocked after a race (the page goes), 3 after set_pte_at().
  r.add('do_anonymous_page', 'set_pte_at', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    switch (pc) {
      case 0:
        ptlLock(k, x, v);
        return callAgain(1);
      case 1: {
        const cur = loadEntry(k, x, v.pt + ptLo(f.i), 'pte');
        if (!isNone(cur)) { ptlUnlock(k, x, v); return fuseCallAgain(2); }
        // page_add_new_anon_rmap(): _mapcount = 0, page->mapping = anon_vma | PAGE_MAPPING_ANON
        k.st(x, f.page + PG_MAPCOUNT, 0);
        k.st(x, f.page + PG_MAPPING, v.anonVma);
        k.st(x, f.page + PG_DIRTY, 1);
        setLruPage(k, v, f.i, f.page); k.fpGlobal(); // (ghost: the LRU kswapd scans)
        const e = mkEntry(pageInfo(k, f.page).pfn, USER_PTE | _PAGE_RW | _PAGE_DIRTY);
        const c = k.call(x, H.set_pte_at);
        c.a = v.pt + ptLo(f.i);
        c.e = e;
        return fuseCallAgain(3);
      }
      case 2:
        k.call(x, H.put_page).page = f.page;
        return CALL;
      default:
        ptlUnlock(k, x, v);
        return CALL;
    }
  });

  // vm_fault_t filemap_fault(struct vm_fault *vmf): find (or read in) the page, lock it, with a
  // reference for the caller. vmf: { vma, i } -> vmf->page
  // Resume points: 0 the page cache lookup ("repeat"), 1 after it, 2 the new page is in the page
  // cache, 3 read in; a cached page: 4 after folio_try_get(), 5 locked, 6 unlocked (evicted).
  r.add('filemap_fault', 'filemap_get_folio', (k, x, f, pc) => {
    const file = vmaAt(k, f.vma).file!;
    switch (pc) {
      case 0:
        f.cand = k.ld(x, inoPage(file, f.i));
        return again(1);
      case 1: {
        if (f.cand !== 0) {
          k.call(x, H.folio_try_get).page = f.cand;
          return callAgain(4);
        }
        // page_cache_ra_unbounded() -> filemap_add_folio() -> ext4_readpage(): locked, two
        // references (the page cache's and ours), then the read from the disk.
        const np = allocPage(k, { name: `${file.name}:${f.i}'`, anon: false, file, index: f.i, mapping: file.ino, data: 0, buffers: true });
        k.m.mem[np + PG_REFCOUNT] = 2;
        k.m.mem[np + PG_LOCKED] = 1; // nobody can see it yet
        if (k.cmpxchg(x, inoPage(file, f.i), 0, np) !== 0) { k.m.free(pageData(k, np), 'filemap_add_folio race'); return again(0); }
        f.cand = np;
        return again(2);
      }
      case 2: {
        const d = k.ld(x, inoDisk(file, f.i));
        k.st(x, pageData(k, f.cand), d);
        if (k.tracing) k.tr(x, `read ${pageName(k, f.cand)} from disk: ${d}`);
        return again(3);
      }
      case 3:
        f.page = f.cand;
        return NEXT;
      case 4:
        if (!k.ret(x, H.folio_try_get).ret) {
          // being freed (refcount frozen by __remove_mapping): "goto repeat" once it is gone
          k.wait(x, W_NE_OR_POS, inoPage(file, f.i), f.cand, f.cand + PG_REFCOUNT);
          return block(0);
        }
        k.call(x, H.lock_page).page = f.cand;
        return callAgain(5);
      case 5:
        if (k.ld(x, f.cand + PG_MAPPING) !== file.ino) { // evicted while we waited: retry
          k.call(x, H.unlock_page).page = f.cand;
          return fuseCallAgain(6);
        }
        f.page = f.cand;
        return FUSE;
      default:
        k.call(x, H.put_page).page = f.cand;
        return callAgain(0);
    }
  });

  // finish_fault() -> do_set_pte(): map the (locked, referenced) page if the PTE is still none.
  // Resume points: 1 the PTL held, 2 after page_add_file_rmap(), 3 after set_pte_at().
  r.add('finish_fault', 'do_set_pte', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    switch (pc) {
      case 0:
        ptlLock(k, x, v);
        return callAgain(1);
      case 1: {
        const cur = loadEntry(k, x, v.pt + ptLo(f.i), 'pte');
        if (!isNone(cur)) { f.raced = true; ptlUnlock(k, x, v); return FUSE_CALL; }
        k.call(x, H.page_add_file_rmap).page = f.page;
        return fuseCallAgain(2);
      }
      case 2: {
        setLruPage(k, v, f.i, f.page); k.fpGlobal(); // (ghost: the LRU kswapd scans)
        const e = mkEntry(pageInfo(k, f.page).pfn, USER_PTE | f.wflags);
        const c = k.call(x, H.set_pte_at);
        c.a = v.pt + ptLo(f.i);
        c.e = e;
        return callAgain(3);
      }
      default:
        ptlUnlock(k, x, v);
        return CALL;
    }
  });

  // block_page_mkwrite() on a locked page with our reference: "We overload EFAULT to mean page
  // got truncated"; __block_write_begin() creates buffers if reclaim stripped them;
  // set_page_dirty(). vmf->mkwrite false (page unlocked and released): the fault is retried.
  // Resume points: truncated: 1 after the check, 2 unlocked; 3 the buffers are there.
  r.add('block_page_mkwrite', 'block_page_mkwrite', (k, x, f, pc) => {
    switch (pc) {
      case 0: {
        const file = vmaAt(k, f.vma).file!;
        if (k.ld(x, f.page + PG_MAPPING) !== file.ino) { f.mkwrite = false; return again(1); }
        if (!k.ld(x, f.page + PG_PRIVATE)) k.st(x, f.page + PG_PRIVATE, 1); // create_empty_buffers()
        f.mkwrite = true;
        return again(3);
      }
      case 1:
        k.call(x, H.unlock_page).page = f.page;
        return callAgain(2);
      case 2:
        k.call(x, H.put_page).page = f.page;
        return CALL;
      default:
        k.call(x, H.set_page_dirty).page = f.page;
        return CALL;
    }
  });
}

export function registerRmapAdd(r: StepRegistry) {
  // void page_add_file_rmap(struct page *page, struct vm_area_struct *vma, bool compound)
  r.add('page_add_file_rmap', 'atomic_inc_and_test', (k, x, f) => {
    k.atomicAdd(x, f.page + PG_MAPCOUNT, 1, 'atomic_inc_and_test');
    return YIELD;
  });
}


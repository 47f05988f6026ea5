// Unmapping pages, v6.1: unmap_vmas() -> unmap_page_range() -> zap_pmd_range() -> zap_pte_range()
// (mm/memory.c), the mmu_gather page batches (mm/mmu_gather.c, include/asm-generic/tlb.h), the
// batch free (free_pages_and_swap_cache() in mm/swap_state.c, release_pages() in mm/swap.c),
// page_remove_rmap() (mm/rmap.c) and free_pgtables()' unlinking of the VMA and its PTE page.
// These plug into the mmu_gather hooks the mm-lifetime model already has (tlb_gather_mmu,
// unmap_vmas, free_pgtables, tlb_flush_mmu, tlb_finish_mmu).
//
// The mmu_gather lives on the zapping task's stack, so its batches are fields of the struct (in
// the task's frames, core/model/page/hooks.ts): batch j's page pointers (struct page addresses, or
// encoded page pointers once delayed-rmap/03 is applied) start at batchBase(j) of tlb->pages, its
// count is tlb->batch_nr[j]; tlb->active is the active batch, tlb->nbatch the length of the chain
// (batch j's next is j + 1).
import type { StepRegistry } from '../registry.ts';
import type { OptionDecl } from '../options.ts';

/** The mmu_gather limits gatherLimits() reads. */
export const GATHER_OPTIONS: OptionDecl[] = [
  { name: 'MMU_GATHER_BUNDLE', type: 'int', min: 1, max: 1_000_000, default: '8', help: 'pages of the on-stack local batch of struct mmu_gather' },
  { name: 'MAX_GATHER_BATCH', type: 'int', min: 1, max: 1_000_000, default: '510', help: 'pages per mmu_gather_batch page' },
  { name: 'MAX_GATHER_BATCH_COUNT', type: 'int', min: 1, max: 1_000_000, default: '10000 / MAX_GATHER_BATCH', help: 'batches an mmu_gather may allocate before it must flush' },
];
import { NEXT, RET, YIELD, CALL, callAgain, fuseCallAgain, again, type Frame, type Step } from '../fns.ts';
import { H, ModelError, type Kernel, type Ctx } from '../kernel.ts';
import {
  pgOf, pageIsAnon, pfnToPage, entryPfn, present, pteDirty, isNone, ptLo, PG_MAPCOUNT, PG_LOCKED,
  PG_DIRTY, PG_PRIVATE, inoMmapRwsem, pageName, callRcuFree, AV_RWSEM, MAX_VMAS, vmaAt, vmaDetached,
  setVmaDetached, vmaUnlinked, setVmaUnlinked, iMmap, setIMmap,
} from './state.ts';
import { loadEntry } from './pgtable.ts';
import { ptlLock, ptlUnlock } from './mm.ts';
import { GATHER_CAP, GATHER_BATCHES } from './hooks.ts';

declare module '../fns.ts' {
  interface KernelSteps {
    'tlb_gather_mmu.__tlb_gather_mmu': true; 'unmap_vmas.unmap_single_vma': true;
    'unmap_page_range.zap_pmd_range': true; 'zap_pmd_range.pmd_none_or_trans_huge_or_clear_bad': true;
    'zap_pmd_range.zap_pte_range': true; 'zap_pte_range.pte_offset_map_lock': true;
    'zap_pte_range.zap_ptes': true; 'zap_pte_range.tlb_flush_mmu_tlbonly': true;
    'zap_pte_range.pte_unmap_unlock': true; 'zap_pte_range.tlb_flush_mmu': true;
    'zap_present_pte.vm_normal_page': true; 'zap_present_pte.ptep_get_and_clear_full': true;
    'zap_present_pte.tlb_remove_tlb_entry': true; 'zap_present_pte.set_page_dirty': true;
    'zap_present_pte.page_remove_rmap': true; 'zap_present_pte.__tlb_remove_page': true;
    'page_remove_rmap.atomic_add_negative': true; 'set_page_dirty.ext4_dirty_folio': true;
    'set_page_dirty.folio_test_set_dirty': true; '__tlb_remove_page_size.batch_add': true;
    '__tlb_remove_page_size.batch_full': true; 'tlb_next_batch.next_batch': true;
    'tlb_flush_mmu.tlb_table_flush': true; 'tlb_flush_mmu.tlb_batch_pages_flush': true;
    'tlb_batch_pages_flush.free_pages_and_swap_cache': true;
    'free_pages_and_swap_cache.free_swap_cache': true; 'free_pages_and_swap_cache.release_pages': true;
    'release_pages.folio_put_testzero': true; 'free_pgtables.free_pgd_range': true;
    'unlink_anon_vmas.anon_vma_free': true; 'unlink_file_vma.__remove_shared_vm_struct': true;
    'free_pgd_range.free_pte_range': true;
  }
}

type Gather = Frame<'mmu_gather'>;

/** MMU_GATHER_BUNDLE (include/asm-generic/tlb.h: the on-stack local batch) and MAX_GATHER_BATCH
 *  ((PAGE_SIZE - sizeof(struct mmu_gather_batch)) / sizeof(void *)), MAX_GATHER_BATCH_COUNT
 *  (10000UL/MAX_GATHER_BATCH): parameters, so a scenario can make a few pages fill a batch. */
export function gatherLimits(k: Kernel) {
  const batch = Number(k.param('MAX_GATHER_BATCH', '510'));
  return {
    bundle: Number(k.param('MMU_GATHER_BUNDLE', '8')),
    batch,
    count: Number(k.param('MAX_GATHER_BATCH_COUNT', String(Math.floor(10000 / batch)))),
  };
}

// ---- the batches of a struct mmu_gather ----------------------------------------------------------

/** Where batch j's page pointers start in tlb->pages: the batches before it are full. */
export function batchBase(k: Kernel, j: number): number {
  if (j === 0) return 0;
  const lim = gatherLimits(k);
  return lim.bundle + (j - 1) * lim.batch;
}
/** batch->max */
export function batchMax(k: Kernel, j: number): number {
  const lim = gatherLimits(k);
  return j === 0 ? lim.bundle : lim.batch;
}
/** batch->nr of batch j */
export function batchNr(k: Kernel, x: Ctx, tlb: Gather, j: number): number {
  return k.fw[x.id][tlb.batch_nr + j];
}
function setBatchNr(k: Kernel, x: Ctx, tlb: Gather, j: number, v: number) {
  k.fw[x.id][tlb.batch_nr + j] = v;
}
/** A pointer to batch j's page pointers (batch->encoded_pages), as free_pages_and_swap_cache()
 *  gets it. */
export function batchPages(k: Kernel, tlb: Gather, j: number): number {
  return tlb.pages + batchBase(k, j);
}
/** The page pointer at p (a pointer into x's frames: an element of a batch). */
export function pagePtrAt(k: Kernel, x: Ctx, p: number): number {
  return k.fw[x.id][p];
}
export function setPagePtrAt(k: Kernel, x: Ctx, p: number, v: number) {
  k.fw[x.id][p] = v;
}
/** batch = tlb->active; batch->encoded_pages[batch->nr++] = enc; */
export function batchAdd(k: Kernel, x: Ctx, tlb: Gather, enc: number) {
  const j = tlb.active, nr = batchNr(k, x, tlb, j);
  const at = batchBase(k, j) + nr;
  if (at >= GATHER_CAP) throw new ModelError(`mmu_gather: more than ${GATHER_CAP} pages gathered (the model's bound)`);
  k.fw[x.id][tlb.pages + at] = enc;
  setBatchNr(k, x, tlb, j, nr + 1);
}

// ---- steps --------------------------------------------------------------------------------------------

/** zap_pte_range()'s rmap removal and its print_bad_pte() check (resume point 1: after
 *  page_remove_rmap()). */
export function zapRemoveRmap(k: Kernel, x: Ctx, f: Frame<'zap_present_pte'>, pc: number): number {
  if (pc === 1) {
    const mc = k.peek(f.page + PG_MAPCOUNT) + 1;
    if (mc < 0) k.violate('mapcount', `BUG: Bad page map in zap_pte_range: ${pageName(k, f.page)} mapcount:${mc} (print_bad_pte)`, x);
    return NEXT;
  }
  const c = k.call(x, H.page_remove_rmap);
  c.page = f.page;
  c.vma = f.vma;
  return callAgain(1);
}

/** zap_pte_range(): if (unlikely(__tlb_remove_page(tlb, page, flags))) { force_flush = 1;
 *  addr += PAGE_SIZE; break; }  (resume point 1: after __tlb_remove_page_size()) */
export function tlbRemovePage(flags: (f: Frame<'zap_present_pte'>) => number): Step<'zap_present_pte'> {
  return (k, x, f, pc) => {
    if (pc === 1) {
      if (k.ret(x, H.__tlb_remove_page_size).ret) { k.at(x, H.zap_pte_range, f.z).force_flush = 1; f.stop = true; }
      return NEXT;
    }
    const fl = flags(f);
    const c = k.call(x, H.__tlb_remove_page_size);
    c.tlb = f.tlb;
    c.page = f.page;
    c.flags = fl;
    return callAgain(1);
  };
}

/** release_pages(): put_page() of each page pointer (decoded by `ptr`); resume point 1: after a
 *  put_page(). */
export function releasePages(ptr: (enc: number) => number): Step<'release_pages'> {
  return (k, x, f, pc) => {
    if (pc === 1) f.i++;
    if (f.i >= f.nr) return NEXT;
    const page = ptr(pagePtrAt(k, x, f.pages + f.i));
    k.call(x, H.put_page).page = page;
    return callAgain(1);
  };
}

export function registerZap(r: StepRegistry) {
  // static void __tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm, bool fullmm)
  //   tlb->local.next = NULL; tlb->local.nr = 0; tlb->local.max = ARRAY_SIZE(tlb->__pages);
  //   tlb->active = &tlb->local; tlb->batch_count = 0;
  r.add('tlb_gather_mmu', '__tlb_gather_mmu', (k, x, tlb) => {
    tlb.active = 0;
    tlb.nbatch = 1;
    tlb.batch_count = 0;
    setBatchNr(k, x, tlb, 0, 0);
    return NEXT;
  });

  // unmap_vmas() -> unmap_single_vma() -> unmap_page_range(), for each VMA of the mm. munmap and
  // exit detach the VMAs first (a fault on them then finds no VMA); MADV_DONTNEED keeps them.
  // Resume points: 1 mmap_write_lock() held, 2 the next VMA (after unmap_page_range()).
  r.add('unmap_vmas', 'unmap_single_vma', (k, x, tlb, pc) => {
    const s = pgOf(k);
    if (!s) return NEXT;
    if (pc === 0) {
      const lock = s.mmapLock.get(tlb.mm);
      if (lock === undefined) return NEXT;
      tlb.vma_i = -1;
      if (!tlb.fullmm && k.syscallOf(x) === 'munmap') {
        // __do_munmap(): mmap_write_lock(); detach the VMAs; mmap_write_downgrade(); unmap_region()
        k.call(x, H.down_write).a = lock;
        return callAgain(1);
      }
      if (tlb.fullmm) for (const v of s.vmas) if (v.mm === tlb.mm) setVmaDetached(k, v); // exit: no user is left
    } else if (pc === 1) {
      for (const v of s.vmas) if (v.mm === tlb.mm) setVmaDetached(k, v);
      k.fpGlobal();
      k.call(x, H.up_write).a = s.mmapLock.get(tlb.mm)!;
      return callAgain(2);
    }
    for (let i = tlb.vma_i + 1; i < s.vmas.length; i++) {
      const v = s.vmas[i];
      if (v.mm !== tlb.mm || vmaUnlinked(k, v)) continue;
      tlb.vma_i = i;
      const c = k.call(x, H.unmap_page_range);
      c.tlb = k.ptr(tlb);
      c.vma = i;
      return callAgain(2);
    }
    return NEXT;
  }, { after: 'zap_page_range' });

  r.add('unmap_page_range', 'zap_pmd_range', (k, x, f) => {
    const c = k.call(x, H.zap_pmd_range);
    c.tlb = f.tlb;
    c.vma = f.vma;
    return CALL;
  });

  // zap_pmd_range(): "Here there can be other concurrent MADV_DONTNEED or trans huge page faults
  // running, and if the pmd is none or trans huge it can change under us."
  //   if (pmd_none_or_trans_huge_or_clear_bad(pmd)) goto next;   (pmd_read_atomic() inside)
  // Resume point 1: after pmd_read_atomic().
  r.add('zap_pmd_range', 'pmd_none_or_trans_huge_or_clear_bad', (k, x, f, pc) => {
    if (pc === 1) return present(k.ret(x, H.pmd_read_atomic).ret) ? NEXT : RET;
    k.call(x, H.pmd_read_atomic).a = vmaAt(k, f.vma).pmd;
    return callAgain(1);
  });
  // next = zap_pte_range(tlb, vma, pmd, addr, next, details); (which restarts itself: "goto again")
  // The restarts share one frame (f.zf): addr and force_flush carry over.
  // Resume point 1: after a zap_pte_range() (restart it while addr < end).
  r.add('zap_pmd_range', 'zap_pte_range', (k, x, f, pc) => {
    const zf = k.at(x, H.zap_pte_range, f.zf);
    if (pc === 0) {
      zf.tlb = f.tlb;
      zf.vma = f.vma;
      zf.addr = 0;
      zf.end = vmaAt(k, f.vma).npages;
      zf.force_flush = 0;
    } else if (zf.addr >= zf.end) return NEXT;
    k.callOn(x, H.zap_pte_range, f.zf);
    return callAgain(1);
  });

  // static unsigned long zap_pte_range(tlb, vma, pmd, addr, end, details)
  r.add('zap_pte_range', 'pte_offset_map_lock', (k, x, f) => {
    ptlLock(k, x, vmaAt(k, f.vma));
    return CALL;
  });
  // for each PTE: pte_t ptent = *pte; (a scheduling point); the present ones: zap_present_pte()
  // Resume points: 1 after the PTE read, 2 after zap_present_pte().
  r.add('zap_pte_range', 'zap_ptes', (k, x, f, pc) => {
    if (pc === 1) {
      const ptent = f.ptent;
      if (isNone(ptent) || !present(ptent)) f.addr++; // (swap entries are not modelled)
      else {
        const c = k.call(x, H.zap_present_pte);
        c.tlb = f.tlb;
        c.vma = f.vma;
        c.i = f.addr;
        c.z = k.ptr(f);
        c.ptent = ptent;
        return callAgain(2);
      }
    } else if (pc === 2) {
      const stop = k.ret(x, H.zap_present_pte).stop;
      f.addr++;
      if (stop) return NEXT;
    }
    if (f.addr >= f.end) return NEXT;
    f.ptent = loadEntry(k, x, vmaAt(k, f.vma).pt + ptLo(f.addr), 'pte');
    return again(1);
  });
  // "Do the actual TLB flush before dropping ptl"
  r.add('zap_pte_range', 'tlb_flush_mmu_tlbonly', (k, x, f) => {
    if (!f.force_flush) return NEXT;
    k.count('zap_forced_flushes');
    k.callOn(x, H.tlb_flush_mmu_tlbonly, f.tlb);
    return CALL;
  });
  r.add('zap_pte_range', 'pte_unmap_unlock', (k, x, f) => {
    ptlUnlock(k, x, vmaAt(k, f.vma));
    return CALL;
  });
  // "If we forced a TLB flush (either due to running out of batch buffers or because we needed to
  //  flush dirty TLB entries before releasing the ptl), free the batched memory too."
  r.add('zap_pte_range', 'tlb_flush_mmu', (k, x, f) => {
    if (!f.force_flush) return NEXT;
    f.force_flush = 0;
    k.callOn(x, H.tlb_flush_mmu, f.tlb);
    return CALL;
  });

  // The loop body of zap_pte_range() for a present PTE (a function of its own, zap_present_pte(),
  // since v6.9). f: { tlb, vma, i, z (zap_pte_range's frame), ptent, page, delay_rmap, stop }.
  r.add('zap_present_pte', 'vm_normal_page', (k, _x, f) => {
    f.page = pfnToPage(k, entryPfn(f.ptent));
    return f.page ? NEXT : RET;
  });
  // Resume point 1: after ptep_get_and_clear().
  r.add('zap_present_pte', 'ptep_get_and_clear_full', (k, x, f, pc) => {
    if (pc === 1) { f.ptent = k.ret(x, H.ptep_get_and_clear).ret; return NEXT; }
    const full = k.at(x, H.mmu_gather, f.tlb).fullmm;
    const c = k.call(x, H.ptep_get_and_clear);
    c.vma = f.vma;
    c.i = f.i;
    c.full = full;
    return callAgain(1);
  });
  r.add('zap_present_pte', 'tlb_remove_tlb_entry', (k, x, f) => {
    k.at(x, H.mmu_gather, f.tlb).need_flush = true; // __tlb_adjust_range(); tlb->cleared_ptes = 1
    return NEXT;
  });
  //   if (!PageAnon(page)) { if (pte_dirty(ptent)) { force_flush = 1; set_page_dirty(page); } ... }
  r.add('zap_present_pte', 'set_page_dirty', (k, x, f) => {
    if (pageIsAnon(k, f.page) || !pteDirty(f.ptent)) return NEXT;
    k.at(x, H.zap_pte_range, f.z).force_flush = 1;
    k.call(x, H.set_page_dirty).page = f.page;
    return CALL;
  });
  //   page_remove_rmap(page, vma, false);
  //   if (unlikely(page_mapcount(page) < 0)) print_bad_pte(vma, addr, ptent, page);
  r.add('zap_present_pte', 'page_remove_rmap', zapRemoveRmap);
  //   if (unlikely(__tlb_remove_page(tlb, page))) { force_flush = 1; addr += PAGE_SIZE; break; }
  r.add('zap_present_pte', '__tlb_remove_page', tlbRemovePage(() => 0));

  // void page_remove_rmap(struct page *page, struct vm_area_struct *vma, bool compound)
  // (a small, non-compound page: the mapcount decrement; memcg stats and munlock not modelled)
  r.add('page_remove_rmap', 'atomic_add_negative', (k, x, f) => {
    const v = k.atomicAdd(x, f.page + PG_MAPCOUNT, -1, 'atomic_add_negative');
    f.last = v < 0;
    return YIELD;
  });

  // int set_page_dirty(struct page *page) -> folio_mark_dirty() -> mapping->a_ops->dirty_folio():
  // the file system is ext4 (Nadav's PoC ran on ext4 over a RAM block device).
  r.add('set_page_dirty', 'ext4_dirty_folio', (k, x, f) => {
    if (pageIsAnon(k, f.page)) return NEXT;
    const locked = k.ld(x, f.page + PG_LOCKED);
    const dirty = k.ld(x, f.page + PG_DIRTY);
    const buffers = k.ld(x, f.page + PG_PRIVATE);
    k.warn(x, !locked && !dirty, `WARN_ON_ONCE(!folio_test_locked(folio) && !folio_test_dirty(folio)) in ext4_dirty_folio(${pageName(k, f.page)})`);
    k.warn(x, !buffers, `WARN_ON_ONCE(!folio_buffers(folio)) in ext4_dirty_folio(${pageName(k, f.page)})`);
    return YIELD;
  });
  // block_dirty_folio() / __set_page_dirty_nobuffers(): folio_test_set_dirty()
  r.add('set_page_dirty', 'folio_test_set_dirty', (k, x, f) => {
    f.ret = k.cmpxchg(x, f.page + PG_DIRTY, 0, 1) === 0;
    return YIELD;
  });

  // bool __tlb_remove_page_size(struct mmu_gather *tlb, struct page *page, int page_size)
  //   batch = tlb->active; batch->pages[batch->nr++] = page;
  r.add('__tlb_remove_page_size', 'batch_add', (k, x, f) => {
    batchAdd(k, x, k.at(x, H.mmu_gather, f.tlb), f.page);
    return NEXT;
  });
  //   if (batch->nr == batch->max) { if (!tlb_next_batch(tlb)) return true; batch = tlb->active; }
  // Resume point 1: after tlb_next_batch().
  r.add('__tlb_remove_page_size', 'batch_full', (k, x, f, pc) => {
    if (pc === 1) {
      if (!k.ret(x, H.tlb_next_batch).ret) f.ret = true;
      return NEXT;
    }
    const tlb = k.at(x, H.mmu_gather, f.tlb);
    if (batchNr(k, x, tlb, tlb.active) !== batchMax(k, tlb.active)) return NEXT;
    k.call(x, H.tlb_next_batch).tlb = f.tlb;
    return callAgain(1);
  });

  // static bool tlb_next_batch(struct mmu_gather *tlb)
  r.add('tlb_next_batch', 'next_batch', (k, x, f) => {
    const tlb = k.at(x, H.mmu_gather, f.tlb);
    if (tlb.active + 1 < tlb.nbatch) { tlb.active++; f.ret = true; return NEXT; } // batch->next
    const lim = gatherLimits(k);
    if (tlb.batch_count === lim.count) { f.ret = false; return NEXT; }
    tlb.batch_count++;
    if (tlb.nbatch === GATHER_BATCHES) throw new ModelError(`mmu_gather: more than ${GATHER_BATCHES} batches (the model's bound)`);
    setBatchNr(k, x, tlb, tlb.nbatch, 0); // __get_free_page(): batch->next = NULL; batch->nr = 0; batch->max = MAX_GATHER_BATCH;
    tlb.active = tlb.nbatch;
    tlb.nbatch++;
    f.ret = true;
    return NEXT;
  });

  // tlb_flush_mmu() = tlb_flush_mmu_tlbonly() + tlb_flush_mmu_free(); the latter is
  // tlb_table_flush() (page tables) + tlb_batch_pages_flush() (pages).
  // CONFIG_MMU_GATHER_RCU_TABLE_FREE (x86 with PARAVIRT, arm64, powerpc, s390...): "gup_fast() and
  // other software pagetable walkers do a lockless page-table walk and therefore needs some
  // synchronization with the freeing of the page directories ... by disabling IRQs over the walk.
  // ... What we do is batch the freed directory pages (tables) and RCU free them. We use the
  // sched RCU variant, as that guarantees that IRQ/preempt disabling holds off grace periods."
  r.add('tlb_flush_mmu', 'tlb_table_flush', (k, x, tlb) => {
    if (!pgOf(k) || !tlb.pt_free) return NEXT;
    const n = tlb.pt_free;
    tlb.pt_free = 0;
    // tlb_remove_table_free() -> call_rcu(&batch->rcu, tlb_remove_table_rcu)
    for (let i = 0; i < n; i++) callRcuFree(k, x, vmaAt(k, pagePtrAt(k, x, tlb.pt_free_vma + i)).pt, 'tlb_remove_table_rcu');
    return YIELD;
  }, { after: 'tlb_flush_mmu_free' });
  r.add('tlb_flush_mmu', 'tlb_batch_pages_flush', (k, x, tlb) => {
    if (!batchNr(k, x, tlb, 0)) return NEXT;
    k.callOn(x, H.tlb_batch_pages_flush, k.ptr(tlb));
    return CALL;
  }, { after: 'tlb_table_flush' });

  // static void tlb_batch_pages_flush(struct mmu_gather *tlb)
  //   for (batch = &tlb->local; batch && batch->nr; batch = batch->next) {
  //     while (batch->nr) { unsigned int nr = min(512U, batch->nr); free_pages_and_swap_cache(pages, nr);
  //       pages += nr; batch->nr -= nr; cond_resched(); } }
  //   tlb->active = &tlb->local;
  // Resume point 1: after free_pages_and_swap_cache() of tlb->flush_nr pages of batch tlb->flush_batch.
  r.add('tlb_batch_pages_flush', 'free_pages_and_swap_cache', (k, x, tlb, pc) => {
    if (pc === 0) tlb.flush_batch = 0;
    else {
      const j = tlb.flush_batch, p = batchPages(k, tlb, j);
      const left = batchNr(k, x, tlb, j) - tlb.flush_nr;
      k.fw[x.id].copyWithin(p, p + tlb.flush_nr, p + tlb.flush_nr + left); // the rest of the batch comes next
      setBatchNr(k, x, tlb, j, left);
      if (left === 0) tlb.flush_batch = j + 1;
    }
    const j = tlb.flush_batch;
    if (j < tlb.nbatch && batchNr(k, x, tlb, j) !== 0) {
      const nr = Math.min(512, batchNr(k, x, tlb, j));
      tlb.flush_nr = nr;
      const c = k.call(x, H.free_pages_and_swap_cache);
      c.pages = batchPages(k, tlb, j);
      c.nr = nr;
      return callAgain(1);
    }
    tlb.active = 0;
    return NEXT;
  });

  // void free_pages_and_swap_cache(struct page **pages, int nr)
  //   lru_add_drain(); for (i = 0; i < nr; i++) free_swap_cache(pagep[i]); release_pages(pagep, nr);
  // (free_swap_cache() has nothing to do: no page of the model is in the swap cache)
  r.add('free_pages_and_swap_cache', 'free_swap_cache', () => NEXT);
  r.add('free_pages_and_swap_cache', 'release_pages', (k, x, f) => {
    const c = k.call(x, H.release_pages);
    c.pages = f.pages;
    c.nr = f.nr;
    return CALL;
  });

  // void release_pages(struct page **pages, int nr): batched put_page()
  r.add('release_pages', 'folio_put_testzero', releasePages((p) => p));

  // free_pgtables(): "Hide vma from rmap and truncate_pagecache before freeing pgtables"
  //   unlink_anon_vmas(vma); unlink_file_vma(vma); free_pgd_range(tlb, ...);
  // Resume points: 1 the next VMA (after free_pgd_range()), 2 after unlink_anon_vmas(), 3 after
  // unlink_file_vma().
  r.add('free_pgtables', 'free_pgd_range', (k, x, tlb, pc) => {
    const s = pgOf(k);
    if (!s) return NEXT;
    if (pc === 0) { tlb.pgd_vma_i = -1; pc = 1; }
    if (pc === 1) {
      let i = tlb.pgd_vma_i + 1;
      for (; i < s.vmas.length; i++) {
        const v = s.vmas[i];
        if (v.mm === tlb.mm && vmaDetached(k, v) && !vmaUnlinked(k, v)) break;
      }
      if (i === s.vmas.length) return NEXT;
      tlb.pgd_vma_i = i;
      if (s.vmas[i].anonVma) { k.call(x, H.unlink_anon_vmas).vma = i; return callAgain(2); }
      pc = 2;
    }
    const v = s.vmas[tlb.pgd_vma_i];
    if (pc === 2 && v.file) { k.call(x, H.unlink_file_vma).vma = v.idx; return callAgain(3); }
    setVmaUnlinked(k, v);
    const c = k.call(x, H.free_pgd_range);
    c.tlb = k.ptr(tlb);
    c.vma = v.idx;
    return callAgain(1);
  }, { after: 'unlink_page_tables' });

  // void unlink_anon_vmas(struct vm_area_struct *vma): the VMA's anon_vma_chain goes; the model's
  // anon_vma has this one VMA, so put_anon_vma() -> __put_anon_vma() -> anon_vma_free():
  //   "Synchronize against folio_lock_anon_vma_read() such that we can safely hold the lock
  //    without the anon_vma disappearing under us." if (rwsem_is_locked(&anon_vma->root->rwsem))
  //    { anon_vma_lock_write(anon_vma); anon_vma_unlock_write(anon_vma); }
  //   kmem_cache_free(anon_vma_cachep, anon_vma);   (SLAB_TYPESAFE_BY_RCU)
  // Resume points: 1 after anon_vma_lock_write(), 2 the free.
  r.add('unlink_anon_vmas', 'anon_vma_free', (k, x, f, pc) => {
    const av = vmaAt(k, f.vma).anonVma;
    switch (pc) {
      case 0:
        if (k.ld(x, av + AV_RWSEM) !== 0) {
          k.call(x, H.down_write).a = av + AV_RWSEM;
          return fuseCallAgain(1);
        }
        return again(2);
      case 1:
        k.call(x, H.up_write).a = av + AV_RWSEM;
        return callAgain(2);
      default:
        callRcuFree(k, x, av, 'anon_vma_free');
        return YIELD;
    }
  });

  // void unlink_file_vma(struct vm_area_struct *vma): i_mmap_lock_write(); __remove_shared_vm_struct()
  // Resume point 1: i_mmap_rwsem held.
  r.add('unlink_file_vma', '__remove_shared_vm_struct', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma), file = v.file!;
    if (pc === 0) {
      k.call(x, H.down_write).a = inoMmapRwsem(file);
      return callAgain(1);
    }
    setIMmap(k, file, iMmap(k, file) & ~(1 << v.idx));
    k.fpGlobal();
    if (k.tracing) k.tr(x, `remove ${v.name} from ${file.name}'s i_mmap`);
    k.call(x, H.up_write).a = inoMmapRwsem(file);
    return CALL;
  });

  // free_pte_range(): pmd_clear(pmd); pte_free_tlb(tlb, token, addr) (freed after the TLB flush)
  // Resume point 1: after pmd_clear().
  r.add('free_pgd_range', 'free_pte_range', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    if (pc === 0) {
      k.call(x, H.pmd_clear).a = v.pmd;
      return callAgain(1);
    }
    const tlb = k.at(x, H.mmu_gather, f.tlb);
    if (tlb.pt_free === MAX_VMAS) throw new ModelError(`mmu_gather: more than ${MAX_VMAS} page tables to free`);
    setPagePtrAt(k, x, tlb.pt_free_vma + tlb.pt_free, v.idx);
    tlb.pt_free++;
    tlb.freed_tables = true;
    tlb.need_flush = true;
    return NEXT;
  });
}


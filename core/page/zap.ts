// Unmapping pages, v6.1: unmap_vmas() -> unmap_page_range() -> zap_pmd_range() -> zap_pte_range()
// (mm/memory.c), the mmu_gather page batches (mm/mmu_gather.c, include/asm-generic/tlb.h), the
// batch free (free_pages_and_swap_cache() in mm/swap_state.c, release_pages() in mm/swap.c),
// page_remove_rmap() (mm/rmap.c) and free_pgtables()' unlinking of the VMA and its PTE page.
// These plug into the mmu_gather hooks the mm-lifetime model already has (tlb_gather_mmu,
// unmap_vmas, free_pgtables, tlb_flush_mmu, tlb_finish_mmu).
//
// The mmu_gather lives on the zapping task's stack, so its batches are plain frame fields:
// tlb.local / tlb.active are { nr, max, pages[], next } (pages[] holds struct page addresses, or
// encoded page pointers once delayed-rmap/03 is applied).
import type { StepRegistry, Frame } from '../hooks.ts';
import { H, type Kernel, type Ctx } from '../kernel.ts';
import { PH } from './hooks.ts';
import {
  pgOf, pageInfo, pfnToPage, entryPfn, present, pteDirty, isNone, ptLo, PG_MAPCOUNT, PG_LOCKED,
  PG_DIRTY, PG_PRIVATE, inoMmapRwsem, pageName, callRcuFree, AV_RWSEM, type PgState, type PgVma,
} from './state.ts';
import { loadEntry } from './pgtable.ts';
import { ptl_lock, ptl_unlock, put_page, down_write, up_write } from './mm.ts';

type Gen = Generator<number, void, unknown>;

export interface Batch { nr: number; max: number; pages: number[]; next: Batch | null }

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

/** The system call a task context is in (the op's step at the base of its step stack). */
export function syscallOf(k: Kernel, x: Ctx): string {
  return x.sp > 0 ? k.stepTable[x.stk[0]].replace(/^sys_/, '') : '';
}

/** Only when the run has pages: a step that costs nothing otherwise. */
const withPages = (g: (k: Kernel, x: Ctx, f: Frame, s: PgState) => Gen) =>
  (k: Kernel, x: Ctx, f: Frame) => { const s = pgOf(k); return s ? g(k, x, f, s) : undefined; };

export function registerZap(r: StepRegistry) {
  // static void __tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm, bool fullmm)
  r.add('tlb_gather_mmu', '__tlb_gather_mmu', (k, _x, tlb) => {
    const lim = gatherLimits(k);
    tlb.local = { nr: 0, max: lim.bundle, pages: [], next: null } satisfies Batch;
    tlb.active = tlb.local;
    tlb.batch_count = 0;
  });

  // unmap_vmas() -> unmap_single_vma() -> unmap_page_range(), for each VMA of the mm. munmap and
  // exit detach the VMAs first (a fault on them then finds no VMA); MADV_DONTNEED keeps them.
  r.add('unmap_vmas', 'unmap_single_vma', withPages(function* (k, x, tlb, s) {
    const lock = s.mmapLock.get(tlb.mm);
    if (lock === undefined) return;
    if (!tlb.fullmm && syscallOf(k, x) === 'munmap') {
      // __do_munmap(): mmap_write_lock(); detach the VMAs; mmap_write_downgrade(); unmap_region()
      yield* down_write(k, x, lock);
      for (const v of s.vmas) if (v.mm === tlb.mm) v.detached = true;
      k.fpGlobal();
      yield* up_write(k, x, lock);
    } else if (tlb.fullmm) {
      for (const v of s.vmas) if (v.mm === tlb.mm) v.detached = true; // exit: no user is left
    }
    for (const v of s.vmas) {
      if (v.mm !== tlb.mm || v.unlinked) continue;
      yield k.invoke(PH.unmap_page_range, { tlb, vma: v });
    }
  }), { after: 'zap_page_range' });

  r.add('unmap_page_range', 'zap_pmd_range', function* (k, _x, f) {
    yield k.invoke(PH.zap_pmd_range, f);
  });

  // zap_pmd_range(): "Here there can be other concurrent MADV_DONTNEED or trans huge page faults
  // running, and if the pmd is none or trans huge it can change under us."
  //   if (pmd_none_or_trans_huge_or_clear_bad(pmd)) goto next;   (pmd_read_atomic() inside)
  r.add('zap_pmd_range', 'pmd_none_or_trans_huge_or_clear_bad', function* (k, _x, f) {
    const pr: Frame = { a: f.vma.pmd };
    yield k.invoke(PH.pmd_read_atomic, pr);
    if (!present(pr.ret)) f.ret_early = true;
  });
  // next = zap_pte_range(tlb, vma, pmd, addr, next, details); (which restarts itself: "goto again")
  r.add('zap_pmd_range', 'zap_pte_range', function* (k, _x, f) {
    const zf = { tlb: f.tlb, vma: f.vma, addr: 0, end: f.vma.npages, force_flush: 0 };
    do yield k.invoke(PH.zap_pte_range, zf); while (zf.addr < zf.end);
  });

  // static unsigned long zap_pte_range(tlb, vma, pmd, addr, end, details)
  r.add('zap_pte_range', 'pte_offset_map_lock', function* (k, x, f) {
    yield* ptl_lock(k, x, f.vma);
  });
  r.add('zap_pte_range', 'zap_ptes', function* (k, x, f) {
    const v: PgVma = f.vma;
    for (; f.addr < f.end; f.addr++) {
      const ptent = loadEntry(k, x, v.pt + ptLo(f.addr), 'pte'); // pte_t ptent = *pte;
      yield 0;
      if (isNone(ptent) || !present(ptent)) continue; // (swap entries are not modelled)
      const pf = { tlb: f.tlb, vma: v, i: f.addr, z: f, ptent, page: 0, delay_rmap: 0, stop: false };
      yield k.invoke(PH.zap_present_pte, pf);
      if (pf.stop) { f.addr++; break; }
    }
  });
  // "Do the actual TLB flush before dropping ptl"
  r.add('zap_pte_range', 'tlb_flush_mmu_tlbonly', function* (k, _x, f) {
    if (!f.force_flush) return;
    k.count('zap_forced_flushes');
    yield k.invoke(H.tlb_flush_mmu_tlbonly, f.tlb);
  });
  r.add('zap_pte_range', 'pte_unmap_unlock', function* (k, x, f) {
    yield* ptl_unlock(k, x, f.vma);
  });
  // "If we forced a TLB flush (either due to running out of batch buffers or because we needed to
  //  flush dirty TLB entries before releasing the ptl), free the batched memory too."
  r.add('zap_pte_range', 'tlb_flush_mmu', function* (k, _x, f) {
    if (!f.force_flush) return;
    f.force_flush = 0;
    yield k.invoke(H.tlb_flush_mmu, f.tlb);
  });

  // The loop body of zap_pte_range() for a present PTE (a function of its own, zap_present_pte(),
  // since v6.9). f: { tlb, vma, i, z (zap_pte_range's frame), ptent, page, delay_rmap, stop }.
  r.add('zap_present_pte', 'vm_normal_page', (k, _x, f) => {
    f.page = pfnToPage(k, entryPfn(f.ptent));
    if (!f.page) f.ret_early = true;
  });
  r.add('zap_present_pte', 'ptep_get_and_clear_full', function* (k, _x, f) {
    const pc: Frame = { vma: f.vma, i: f.i, full: f.tlb.fullmm };
    yield k.invoke(PH.ptep_get_and_clear, pc);
    f.ptent = pc.ret;
  });
  r.add('zap_present_pte', 'tlb_remove_tlb_entry', (_k, _x, f) => {
    f.tlb.need_flush = true; // __tlb_adjust_range(); tlb->cleared_ptes = 1
  });
  //   if (!PageAnon(page)) { if (pte_dirty(ptent)) { force_flush = 1; set_page_dirty(page); } ... }
  r.add('zap_present_pte', 'set_page_dirty', function* (k, _x, f) {
    if (pageInfo(k, f.page).anon || !pteDirty(f.ptent)) return;
    f.z.force_flush = 1;
    yield k.invoke(PH.set_page_dirty, { page: f.page });
  });
  //   page_remove_rmap(page, vma, false);
  //   if (unlikely(page_mapcount(page) < 0)) print_bad_pte(vma, addr, ptent, page);
  r.add('zap_present_pte', 'page_remove_rmap', function* (k, x, f) {
    yield* zapRemoveRmap(k, x, f);
  });
  //   if (unlikely(__tlb_remove_page(tlb, page))) { force_flush = 1; addr += PAGE_SIZE; break; }
  r.add('zap_present_pte', '__tlb_remove_page', function* (k, _x, f) {
    const rf = { tlb: f.tlb, page: f.page, flags: 0, ret: false };
    yield k.invoke(PH.__tlb_remove_page_size, rf);
    if (rf.ret) { f.z.force_flush = 1; f.stop = true; }
  });

  // void page_remove_rmap(struct page *page, struct vm_area_struct *vma, bool compound)
  // (a small, non-compound page: the mapcount decrement; memcg stats and munlock not modelled)
  r.add('page_remove_rmap', 'atomic_add_negative', function* (k, x, f) {
    const v = k.atomicAdd(x, f.page + PG_MAPCOUNT, -1, 'atomic_add_negative');
    f.last = v < 0;
    yield 0;
  });

  // int set_page_dirty(struct page *page) -> folio_mark_dirty() -> mapping->a_ops->dirty_folio():
  // the file system is ext4 (Nadav's PoC ran on ext4 over a RAM block device).
  r.add('set_page_dirty', 'ext4_dirty_folio', function* (k, x, f) {
    if (pageInfo(k, f.page).anon) return;
    const locked = k.ld(x, f.page + PG_LOCKED);
    const dirty = k.ld(x, f.page + PG_DIRTY);
    const buffers = k.ld(x, f.page + PG_PRIVATE);
    k.warn(x, !locked && !dirty, `WARN_ON_ONCE(!folio_test_locked(folio) && !folio_test_dirty(folio)) in ext4_dirty_folio(${pageName(k, f.page)})`);
    k.warn(x, !buffers, `WARN_ON_ONCE(!folio_buffers(folio)) in ext4_dirty_folio(${pageName(k, f.page)})`);
    yield 0;
  });
  // block_dirty_folio() / __set_page_dirty_nobuffers(): folio_test_set_dirty()
  r.add('set_page_dirty', 'folio_test_set_dirty', function* (k, x, f) {
    f.ret = k.cmpxchg(x, f.page + PG_DIRTY, 0, 1) === 0;
    yield 0;
  });

  // bool __tlb_remove_page_size(struct mmu_gather *tlb, struct page *page, int page_size)
  //   batch = tlb->active; batch->pages[batch->nr++] = page;
  r.add('__tlb_remove_page_size', 'batch_add', (_k, _x, f) => {
    const b: Batch = f.tlb.active;
    b.pages[b.nr++] = f.page;
  });
  //   if (batch->nr == batch->max) { if (!tlb_next_batch(tlb)) return true; batch = tlb->active; }
  r.add('__tlb_remove_page_size', 'batch_full', function* (k, _x, f) {
    const b: Batch = f.tlb.active;
    if (b.nr !== b.max) return;
    const nf = { tlb: f.tlb, ret: false };
    yield k.invoke(PH.tlb_next_batch, nf);
    if (!nf.ret) f.ret = true;
  });

  // static bool tlb_next_batch(struct mmu_gather *tlb)
  r.add('tlb_next_batch', 'next_batch', (k, _x, f) => {
    const tlb = f.tlb;
    const b: Batch = tlb.active;
    if (b.next) { tlb.active = b.next; f.ret = true; return; }
    const lim = gatherLimits(k);
    if (tlb.batch_count === lim.count) { f.ret = false; return; }
    tlb.batch_count++;
    const nb: Batch = { nr: 0, max: lim.batch, pages: [], next: null };
    b.next = nb;
    tlb.active = nb;
    f.ret = true;
  });

  // tlb_flush_mmu() = tlb_flush_mmu_tlbonly() + tlb_flush_mmu_free(); the latter is
  // tlb_table_flush() (page tables) + tlb_batch_pages_flush() (pages).
  // CONFIG_MMU_GATHER_RCU_TABLE_FREE (x86 with PARAVIRT, arm64, powerpc, s390...): "gup_fast() and
  // other software pagetable walkers do a lockless page-table walk and therefore needs some
  // synchronization with the freeing of the page directories ... by disabling IRQs over the walk.
  // ... What we do is batch the freed directory pages (tables) and RCU free them. We use the
  // sched RCU variant, as that guarantees that IRQ/preempt disabling holds off grace periods."
  r.add('tlb_flush_mmu', 'tlb_table_flush', withPages(function* (k, x, tlb) {
    const vs: PgVma[] | undefined = tlb.ptFree;
    if (!vs || !vs.length) return;
    tlb.ptFree = [];
    // tlb_remove_table_free() -> call_rcu(&batch->rcu, tlb_remove_table_rcu)
    for (const v of vs) callRcuFree(k, x, v.pt, 'tlb_remove_table_rcu');
    yield 0;
  }), { after: 'tlb_flush_mmu_free' });
  r.add('tlb_flush_mmu', 'tlb_batch_pages_flush', (k, _x, tlb) => (tlb.local && tlb.local.nr ? batchPagesFlush(k, tlb) : undefined), { after: 'tlb_table_flush' });

  // static void tlb_batch_pages_flush(struct mmu_gather *tlb)
  r.add('tlb_batch_pages_flush', 'free_pages_and_swap_cache', function* (k, _x, tlb) {
    for (let b: Batch | null = tlb.local; b && b.nr; b = b.next) {
      // unsigned int nr = min(512U, batch->nr); free_pages_and_swap_cache(pages, nr); ...
      while (b.nr) {
        const nr = Math.min(512, b.nr);
        yield k.invoke(PH.free_pages_and_swap_cache, { pages: b.pages.splice(0, nr), nr });
        b.nr -= nr;
      }
    }
    tlb.active = tlb.local;
  });

  // void free_pages_and_swap_cache(struct page **pages, int nr)
  //   lru_add_drain(); for (i = 0; i < nr; i++) free_swap_cache(pagep[i]); release_pages(pagep, nr);
  // (free_swap_cache() has nothing to do: no page of the model is in the swap cache)
  r.add('free_pages_and_swap_cache', 'free_swap_cache', () => {});
  r.add('free_pages_and_swap_cache', 'release_pages', function* (k, _x, f) {
    yield k.invoke(PH.release_pages, f);
  });

  // void release_pages(struct page **pages, int nr): batched put_page()
  r.add('release_pages', 'folio_put_testzero', function* (k, x, f) {
    for (let i = 0; i < f.nr; i++) yield* put_page(k, x, f.pages[i]);
  });

  // free_pgtables(): "Hide vma from rmap and truncate_pagecache before freeing pgtables"
  //   unlink_anon_vmas(vma); unlink_file_vma(vma); free_pgd_range(tlb, ...);
  r.add('free_pgtables', 'free_pgd_range', withPages(function* (k, _x, tlb, s) {
    for (const v of s.vmas) {
      if (v.mm !== tlb.mm || !v.detached || v.unlinked) continue;
      if (v.anonVma) yield k.invoke(PH.unlink_anon_vmas, { vma: v });
      if (v.file) yield k.invoke(PH.unlink_file_vma, { vma: v });
      v.unlinked = true;
      yield k.invoke(PH.free_pgd_range, { tlb, vma: v });
    }
  }), { after: 'unlink_page_tables' });

  // void unlink_anon_vmas(struct vm_area_struct *vma): the VMA's anon_vma_chain goes; the model's
  // anon_vma has this one VMA, so put_anon_vma() -> __put_anon_vma() -> anon_vma_free():
  //   "Synchronize against folio_lock_anon_vma_read() such that we can safely hold the lock
  //    without the anon_vma disappearing under us." if (rwsem_is_locked(&anon_vma->root->rwsem))
  //    { anon_vma_lock_write(anon_vma); anon_vma_unlock_write(anon_vma); }
  //   kmem_cache_free(anon_vma_cachep, anon_vma);   (SLAB_TYPESAFE_BY_RCU)
  r.add('unlink_anon_vmas', 'anon_vma_free', function* (k, x, f) {
    const av = f.vma.anonVma;
    if (k.ld(x, av + AV_RWSEM) !== 0) {
      yield* down_write(k, x, av + AV_RWSEM);
      yield* up_write(k, x, av + AV_RWSEM);
    } else yield 0;
    callRcuFree(k, x, av, 'anon_vma_free');
    yield 0;
  });

  // void unlink_file_vma(struct vm_area_struct *vma): i_mmap_lock_write(); __remove_shared_vm_struct()
  r.add('unlink_file_vma', '__remove_shared_vm_struct', function* (k, x, f) {
    const file = f.vma.file;
    yield* down_write(k, x, inoMmapRwsem(file));
    file.i_mmap = file.i_mmap.filter((w: PgVma) => w !== f.vma);
    k.fpGlobal();
    if (k.tracing) k.tr(x, `remove ${f.vma.name} from ${file.name}'s i_mmap`);
    yield* up_write(k, x, inoMmapRwsem(file));
  });

  // free_pte_range(): pmd_clear(pmd); pte_free_tlb(tlb, token, addr) (freed after the TLB flush)
  r.add('free_pgd_range', 'free_pte_range', function* (k, _x, f) {
    yield k.invoke(PH.pmd_clear, { a: f.vma.pmd });
    const tlb = f.tlb;
    (tlb.ptFree ??= []).push(f.vma);
    tlb.freed_tables = true;
    tlb.need_flush = true;
  });
}

function* batchPagesFlush(k: Kernel, tlb: Frame): Gen {
  yield k.invoke(PH.tlb_batch_pages_flush, tlb);
}

/** zap_pte_range()'s rmap removal and its print_bad_pte() check. */
export function* zapRemoveRmap(k: Kernel, x: Ctx, f: Frame): Gen {
  const rf = { page: f.page, vma: f.vma, last: false };
  yield k.invoke(PH.page_remove_rmap, rf);
  const mc = k.peek(f.page + PG_MAPCOUNT) + 1;
  if (mc < 0) k.violate('mapcount', `BUG: Bad page map in zap_pte_range: ${pageName(k, f.page)} mapcount:${mc} (print_bad_pte)`, x);
}

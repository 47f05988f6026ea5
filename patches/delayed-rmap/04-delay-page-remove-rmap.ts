// delayed-rmap/04 "mm: delay page_remove_rmap() until after the TLB has been flushed"
// Seed: seeds/002_a22f6d6eeee8c674.txt L5744-6070 (commit message L5749-5809, s390 L5828-5879,
// asm-generic/tlb.h L5880-5929, mm/memory.c L5930-5987, mm/mmu_gather.c L5988-6067).
// zap_pte_range() keeps the rmap of a dirty file page until the TLB is flushed: set_page_dirty()
// is still called, tlb_delay_rmap() marks the page in the gather (encoded flag) and forces the
// flush, and tlb_flush_rmaps() does the page_remove_rmap()s after tlb_flush_mmu_tlbonly() and
// before the page-table lock drops; only the active batch may hold delayed entries. On s390
// (CONFIG_MMU_GATHER_NO_GATHER) tlb_delay_rmap() is false, so dirty shared pages no longer force
// a flush there.
import {
  definePatch, fns, helperFns, frameExt, ptr, int, bool, H, NEXT, RET, CALL, callAgain, page,
  type Kernel, type Ctx,
} from '../../core/model/index.ts';
import { encode_page, encoded_page_flags, encoded_page_ptr } from './01-introduce-encoded-page-pointers.ts';

/** tlb_delay_rmap(tlb) -> ret; tlb_flush_rmaps(tlb, vma) */
export const H4 = fns({
  tlb_delay_rmap: { tlb: ptr, ret: bool },
  tlb_flush_rmaps: { tlb: ptr, vma: int },
});
/** The page_remove_rmap()s of one batch's flagged entries (a helper: traced as its caller). */
export const H4_HELPERS = helperFns({
  tlb_flush_rmap_batch: { tlb: ptr, batch: int, vma: int, i: int },
});
/** struct mmu_gather { ... unsigned int delayed_rmap : 1; } */
export const H4_EXT = frameExt({ mmu_gather: { delayed_rmap: int } });
declare module '../../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof H4>, Readonly<typeof H4_HELPERS> {}
  interface FrameExts { 'delayed-rmap/04': typeof H4_EXT }
  interface KernelSteps {
    'tlb_gather_mmu.delayed_rmap': true; 'tlb_delay_rmap.return_false': true;
    'tlb_delay_rmap.set_delayed_rmap': true; 'tlb_flush_rmaps.nothing_to_do': true;
    'tlb_flush_rmaps.active_batch': true; 'tlb_next_batch.delayed_rmap': true;
    'zap_pte_range.tlb_flush_rmaps': true; 'tlb_flush_rmap_batch.page_remove_rmap': true;
  }
}

/** Push tlb_flush_rmap_batch() of batch `batch` of the mmu_gather at `tlb` (the caller returns
 *  CALL or callAgain). */
export function tlb_flush_rmap_batch(k: Kernel, x: Ctx, tlb: number, batch: number, vma: number) {
  const c = k.call(x, H.tlb_flush_rmap_batch);
  c.tlb = tlb;
  c.batch = batch;
  c.vma = vma;
}

export default definePatch({
  id: 'delayed-rmap/04',
  series: 'delayed-rmap',
  index: 4,
  title: 'mm: delay page_remove_rmap() until after the TLB has been flushed',
  requires: ['delayed-rmap/01', 'delayed-rmap/02', 'delayed-rmap/03'],
  effect: 'behaviour',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L5744-6070',
  apply(r, k) {
    // "s390 has its own mmu_gather model that doesn't delay TLB flushing, and as a result also
    //  does not want the delayed rmap"
    const noGather = k.arch.mmuGather === 'immediate';

    // static void tlb_flush_rmap_batch(struct mmu_gather_batch *batch, struct vm_area_struct *vma)
    //   for (int i = 0; i < batch->nr; i++) { struct encoded_page *enc = batch->encoded_pages[i];
    //     if (encoded_page_flags(enc)) { struct page *page = encoded_page_ptr(enc); page_remove_rmap(page, vma, false); } }
    // Resume point 1: after a page_remove_rmap().
    r.add('tlb_flush_rmap_batch', 'page_remove_rmap', (k, x, f, pc) => {
      const tlb = k.at(x, H.mmu_gather, f.tlb);
      if (pc === 1) f.i++;
      for (; f.i < page.batchNr(k, x, tlb, f.batch); f.i++) {
        const enc = page.pagePtrAt(k, x, page.batchPages(k, tlb, f.batch) + f.i);
        if (!encoded_page_flags(enc)) continue;
        const c = k.call(x, H.page_remove_rmap);
        c.page = encoded_page_ptr(enc);
        c.vma = f.vma;
        return callAgain(1);
      }
      return NEXT;
    });

    // __tlb_gather_mmu(): tlb->delayed_rmap = 0;
    r.add('tlb_gather_mmu', 'delayed_rmap', (_k, _x, tlb) => { tlb.delayed_rmap = 0; return NEXT; }, { after: '__tlb_gather_mmu' });

    if (noGather) {
      // "s390 never needs to delay page_remove_rmap, because the ptep_get_and_clear_full() will
      //  have flushed the TLB across CPUs"
      r.add('tlb_delay_rmap', 'return_false', (_k, _x, f) => { f.ret = false; return NEXT; });
      // static inline void tlb_flush_rmaps(...) { /* Nothing to do, s390 does not delay rmaps */ }
      r.add('tlb_flush_rmaps', 'nothing_to_do', () => NEXT);
    } else {
      // "This both sets 'delayed_rmap', and returns true."
      //   #define tlb_delay_rmap(tlb) (((tlb)->delayed_rmap = 1), true)
      r.add('tlb_delay_rmap', 'set_delayed_rmap', (k, x, f) => {
        k.at(x, H.mmu_gather, f.tlb).delayed_rmap = 1;
        f.ret = true;
        return NEXT;
      });
      // void tlb_flush_rmaps(struct mmu_gather *tlb, struct vm_area_struct *vma): "because of how
      // tlb_next_batch() above works, we will never start new batches with pending delayed rmaps,
      // so we only need to walk through the current active batch."
      // Resume point 1: after the active batch.
      r.add('tlb_flush_rmaps', 'active_batch', (k, x, f, pc) => {
        const tlb = k.at(x, H.mmu_gather, f.tlb);
        if (pc === 1) { tlb.delayed_rmap = 0; return NEXT; }
        tlb_flush_rmap_batch(k, x, f.tlb, tlb.active, f.vma);
        return callAgain(1);
      });
      // tlb_next_batch(): "/* No more batching if we have delayed rmaps pending */
      //   if (tlb->delayed_rmap) return false;"
      r.add('tlb_next_batch', 'delayed_rmap', (k, x, f) => {
        if (!k.at(x, H.mmu_gather, f.tlb).delayed_rmap) return NEXT;
        f.ret = false;
        return RET;
      }, { before: 'next_batch' });
      // __tlb_remove_page_size(tlb, page, page_size, flags):
      //   batch->encoded_pages[batch->nr++] = encode_page(page, flags);
      r.replace('__tlb_remove_page_size', 'batch_add', (k, x, f) => {
        page.batchAdd(k, x, k.at(x, H.mmu_gather, f.tlb), encode_page(f.page, f.flags));
        return NEXT;
      });
    }

    // zap_pte_range():
    //   delay_rmap = 0;
    //   if (!PageAnon(page)) {
    //           if (pte_dirty(ptent)) {
    //                   set_page_dirty(page);
    //                   if (tlb_delay_rmap(tlb)) { delay_rmap = 1; force_flush = 1; }
    //           } ...
    // Resume points: 1 after set_page_dirty(), 2 after tlb_delay_rmap().
    r.replace('zap_present_pte', 'set_page_dirty', (k, x, f, pc) => {
      switch (pc) {
        case 0:
          f.delay_rmap = 0;
          if (page.pageIsAnon(k, f.page) || !page.pteDirty(f.ptent)) return NEXT;
          k.call(x, H.set_page_dirty).page = f.page;
          return callAgain(1);
        case 1:
          k.call(x, H.tlb_delay_rmap).tlb = f.tlb;
          return callAgain(2);
        default:
          if (k.ret(x, H.tlb_delay_rmap).ret) { f.delay_rmap = 1; k.at(x, H.zap_pte_range, f.z).force_flush = 1; }
          return NEXT;
      }
    });
    //   if (!delay_rmap) { page_remove_rmap(page, vma, false); if (...) print_bad_pte(...); }
    r.replace('zap_present_pte', 'page_remove_rmap', (k, x, f, pc) => (pc === 0 && f.delay_rmap ? NEXT : page.zapRemoveRmap(k, x, f, pc)));
    //   if (unlikely(__tlb_remove_page(tlb, page, delay_rmap))) { force_flush = 1; ... break; }
    r.replace('zap_present_pte', '__tlb_remove_page', page.tlbRemovePage((f) => f.delay_rmap));
    //   /* Do the actual TLB flush before dropping ptl */
    //   if (force_flush) { tlb_flush_mmu_tlbonly(tlb); if (tlb->delayed_rmap) tlb_flush_rmaps(tlb, vma); }
    r.add('zap_pte_range', 'tlb_flush_rmaps', (k, x, f) => {
      if (!f.force_flush || !k.at(x, H.mmu_gather, f.tlb).delayed_rmap) return NEXT;
      const c = k.call(x, H.tlb_flush_rmaps);
      c.tlb = f.tlb;
      c.vma = f.vma;
      return CALL;
    }, { after: 'tlb_flush_mmu_tlbonly' });
  },
});

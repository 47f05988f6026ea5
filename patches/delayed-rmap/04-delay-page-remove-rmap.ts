// delayed-rmap/04 "mm: delay page_remove_rmap() until after the TLB has been flushed"
// Seed: seeds/002_a22f6d6eeee8c674.txt L5744-6070 (commit message L5749-5809, s390 L5828-5879,
// asm-generic/tlb.h L5880-5929, mm/memory.c L5930-5987, mm/mmu_gather.c L5988-6067).
// zap_pte_range() keeps the rmap of a dirty file page until the TLB is flushed: set_page_dirty()
// is still called, tlb_delay_rmap() marks the page in the gather (encoded flag) and forces the
// flush, and tlb_flush_rmaps() does the page_remove_rmap()s after tlb_flush_mmu_tlbonly() and
// before the page-table lock drops; only the active batch may hold delayed entries. On s390
// (CONFIG_MMU_GATHER_NO_GATHER) tlb_delay_rmap() is false, so dirty shared pages no longer force
// a flush there.
import { definePatch } from '../../core/series/types.ts';
import { defineHooks } from '../../core/hooks.ts';
import { PH } from '../../core/page/hooks.ts';
import { pageInfo, pteDirty } from '../../core/page/state.ts';
import { zapRemoveRmap, type Batch } from '../../core/page/zap.ts';
import { encode_page, encoded_page_flags, encoded_page_ptr } from './01-introduce-encoded-page-pointers.ts';
import type { Kernel, Ctx } from '../../core/kernel.ts';

/** tlb_delay_rmap(tlb) -> ret; tlb_flush_rmaps(tlb, vma) */
export const H4 = defineHooks(['tlb_delay_rmap', 'tlb_flush_rmaps']);

/** The page_remove_rmap()s of one batch's flagged entries. */
export function* tlb_flush_rmap_batch(k: Kernel, _x: Ctx, b: Batch, vma: unknown): Generator<number, void, unknown> {
  for (let i = 0; i < b.nr; i++) {
    const enc = b.pages[i];
    if (encoded_page_flags(enc)) yield k.invoke(PH.page_remove_rmap, { page: encoded_page_ptr(enc), vma });
  }
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

    // struct mmu_gather { ... unsigned int delayed_rmap : 1; }   __tlb_gather_mmu(): tlb->delayed_rmap = 0;
    r.add('tlb_gather_mmu', 'delayed_rmap', (_k, _x, tlb) => { tlb.delayed_rmap = 0; }, { after: '__tlb_gather_mmu' });

    if (noGather) {
      // "s390 never needs to delay page_remove_rmap, because the ptep_get_and_clear_full() will
      //  have flushed the TLB across CPUs"
      r.add('tlb_delay_rmap', 'return_false', (_k, _x, f) => { f.ret = false; });
      // static inline void tlb_flush_rmaps(...) { /* Nothing to do, s390 does not delay rmaps */ }
      r.add('tlb_flush_rmaps', 'nothing_to_do', () => {});
    } else {
      // "This both sets 'delayed_rmap', and returns true."
      //   #define tlb_delay_rmap(tlb) (((tlb)->delayed_rmap = 1), true)
      r.add('tlb_delay_rmap', 'set_delayed_rmap', (_k, _x, f) => { f.tlb.delayed_rmap = 1; f.ret = true; });
      // void tlb_flush_rmaps(struct mmu_gather *tlb, struct vm_area_struct *vma): "because of how
      // tlb_next_batch() above works, we will never start new batches with pending delayed rmaps,
      // so we only need to walk through the current active batch."
      r.add('tlb_flush_rmaps', 'active_batch', function* (k, x, f) {
        yield* tlb_flush_rmap_batch(k, x, f.tlb.active, f.vma);
        f.tlb.delayed_rmap = 0;
      });
      // tlb_next_batch(): "/* No more batching if we have delayed rmaps pending */
      //   if (tlb->delayed_rmap) return false;"
      r.add('tlb_next_batch', 'delayed_rmap', (_k, _x, f) => {
        if (f.tlb.delayed_rmap) { f.ret = false; f.ret_early = true; }
      }, { before: 'next_batch' });
      // __tlb_remove_page_size(tlb, page, page_size, flags):
      //   batch->encoded_pages[batch->nr++] = encode_page(page, flags);
      r.replace('__tlb_remove_page_size', 'batch_add', (_k, _x, f) => {
        const b: Batch = f.tlb.active;
        b.pages[b.nr++] = encode_page(f.page, f.flags);
      });
    }

    // zap_pte_range():
    //   delay_rmap = 0;
    //   if (!PageAnon(page)) {
    //           if (pte_dirty(ptent)) {
    //                   set_page_dirty(page);
    //                   if (tlb_delay_rmap(tlb)) { delay_rmap = 1; force_flush = 1; }
    //           } ...
    r.replace('zap_present_pte', 'set_page_dirty', function* (k, _x, f) {
      f.delay_rmap = 0;
      if (pageInfo(k, f.page).anon || !pteDirty(f.ptent)) return;
      yield k.invoke(PH.set_page_dirty, { page: f.page });
      const d = { tlb: f.tlb, ret: false };
      yield k.invoke(H4.tlb_delay_rmap, d);
      if (d.ret) { f.delay_rmap = 1; f.z.force_flush = 1; }
    });
    //   if (!delay_rmap) { page_remove_rmap(page, vma, false); if (...) print_bad_pte(...); }
    r.replace('zap_present_pte', 'page_remove_rmap', function* (k, x, f) {
      if (!f.delay_rmap) yield* zapRemoveRmap(k, x, f);
    });
    //   if (unlikely(__tlb_remove_page(tlb, page, delay_rmap))) { force_flush = 1; ... break; }
    r.replace('zap_present_pte', '__tlb_remove_page', function* (k, _x, f) {
      const rf = { tlb: f.tlb, page: f.page, flags: f.delay_rmap, ret: false };
      yield k.invoke(PH.__tlb_remove_page_size, rf);
      if (rf.ret) { f.z.force_flush = 1; f.stop = true; }
    });
    //   /* Do the actual TLB flush before dropping ptl */
    //   if (force_flush) { tlb_flush_mmu_tlbonly(tlb); if (tlb->delayed_rmap) tlb_flush_rmaps(tlb, vma); }
    r.add('zap_pte_range', 'tlb_flush_rmaps', function* (k, _x, f) {
      if (f.force_flush && f.tlb.delayed_rmap) yield k.invoke(H4.tlb_flush_rmaps, { tlb: f.tlb, vma: f.vma });
    }, { after: 'tlb_flush_mmu_tlbonly' });
  },
});

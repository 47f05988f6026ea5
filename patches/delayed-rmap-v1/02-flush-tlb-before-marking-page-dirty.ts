// delayed-rmap-v1/02 "mm: make sure to flush TLB before marking page dirty"
// Seed: seeds/002_a22f6d6eeee8c674.txt L1873-1895 (the idea), L1899-1980 (patch.diff, not in the
// seed), L2043-2071 (attachment 0002, filed as "...-page-dcirty.patch"), rejected at L2740-2838.
// Linus's first attempt: "carry the dirty bit along to the __tlb_remove_page() point ... set the
// page dirty after the TLB flush, the same way we can free the page after the TLB flush": a dirty
// file PTE no longer calls set_page_dirty() or forces a flush in zap_pte_range(); the page is
// gathered with an encoded dirty bit and set_page_dirty() runs when the batch is freed, after the
// flush and after the page-table lock. Nadav's PoC then hit ext4_dirty_folio()'s
// WARN_ON_ONCE(!folio_test_locked(folio) && !folio_test_dirty(folio)) from tlb_flush_mmu().
import { definePatch, frameExt, int, H, NEXT, CALL, callAgain, goTo, page } from '../../core/model/index.ts';
import { encode_page, encoded_page_flags, encoded_page_ptr } from '../delayed-rmap/01-introduce-encoded-page-pointers.ts';

/** zap_pte_range()'s dirty: the PTE was dirty, the page is gathered with the bit */
export const V1_EXT = frameExt({ zap_present_pte: { dirty: int } });
declare module '../../core/model/fns.ts' {
  interface FrameExts { 'delayed-rmap-v1/02': typeof V1_EXT }
  interface KernelSteps { '__tlb_remove_page_size.free_page_and_swap_cache': true }
}

export default definePatch({
  id: 'delayed-rmap-v1/02',
  series: 'delayed-rmap-v1',
  index: 2,
  title: 'mm: make sure to flush TLB before marking page dirty',
  requires: ['delayed-rmap-v1/01'],
  effect: 'behaviour',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L1873-2071 (the diff itself is an attachment, not in the seed)',
  apply(r, k) {
    // zap_pte_range(): if (!PageAnon(page)) { if (pte_dirty(ptent)) dirty = 1; } (no force_flush)
    r.replace('zap_present_pte', 'set_page_dirty', (k, _x, f) => {
      f.dirty = !page.pageIsAnon(k, f.page) && page.pteDirty(f.ptent) ? 1 : 0;
      return NEXT;
    });
    //   if (unlikely(__tlb_remove_page(tlb, page, dirty))) ...
    r.replace('zap_present_pte', '__tlb_remove_page', page.tlbRemovePage((f) => f.dirty));
    if (k.arch.mmuGather === 'immediate') {
      // s390 ("I guarantee it won't build on s390"): its own __tlb_remove_page_size() would have
      // to mark the page dirty at once, the TLB being flushed already.
      // Resume point 1: after set_page_dirty().
      r.replace('__tlb_remove_page_size', 'free_page_and_swap_cache', (k, x, f, pc) => {
        if (pc === 0) {
          if (!f.flags) return goTo(1);
          k.call(x, H.set_page_dirty).page = f.page;
          return callAgain(1);
        }
        k.call(x, H.put_page).page = f.page;
        return CALL;
      });
      return;
    }
    //   batch->pages[batch->nr++] = encode_page(page, dirty);   (the dirty bit in the pointer)
    r.replace('__tlb_remove_page_size', 'batch_add', (k, x, f) => {
      page.batchAdd(k, x, k.at(x, H.mmu_gather, f.tlb), encode_page(f.page, f.flags));
      return NEXT;
    });
    // The batch free, after the TLB flush: set_page_dirty() for the pages gathered dirty, then
    // release the clean pointers ("set_page_dirty+0x2a/0x90, tlb_flush_mmu+0xc1/0x320").
    // Resume point 1: after the set_page_dirty() of pages[f.i].
    r.replace('free_pages_and_swap_cache', 'free_swap_cache', (k, x, f, pc) => {
      if (pc === 1) {
        page.setPagePtrAt(k, x, f.pages + f.i, encoded_page_ptr(page.pagePtrAt(k, x, f.pages + f.i)));
        f.i++;
      }
      for (; f.i < f.nr; f.i++) {
        const enc = page.pagePtrAt(k, x, f.pages + f.i);
        const pg = encoded_page_ptr(enc);
        if (encoded_page_flags(enc)) {
          k.call(x, H.set_page_dirty).page = pg;
          return callAgain(1);
        }
        page.setPagePtrAt(k, x, f.pages + f.i, pg);
      }
      return NEXT;
    }, 'set_dirty_and_free_pages');
  },
});

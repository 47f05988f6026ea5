// delayed-rmap-v1/02 "mm: make sure to flush TLB before marking page dirty"
// Seed: seeds/002_a22f6d6eeee8c674.txt L1873-1895 (the idea), L1899-1980 (patch.diff, not in the
// seed), L2043-2071 (attachment 0002, filed as "...-page-dcirty.patch"), rejected at L2740-2838.
// Linus's first attempt: "carry the dirty bit along to the __tlb_remove_page() point ... set the
// page dirty after the TLB flush, the same way we can free the page after the TLB flush": a dirty
// file PTE no longer calls set_page_dirty() or forces a flush in zap_pte_range(); the page is
// gathered with an encoded dirty bit and set_page_dirty() runs when the batch is freed, after the
// flush and after the page-table lock. Nadav's PoC then hit ext4_dirty_folio()'s
// WARN_ON_ONCE(!folio_test_locked(folio) && !folio_test_dirty(folio)) from tlb_flush_mmu().
import { definePatch } from '../../core/series/types.ts';
import { PH } from '../../core/page/hooks.ts';
import { pageInfo, pteDirty } from '../../core/page/state.ts';
import type { Batch } from '../../core/page/zap.ts';
import { put_page } from '../../core/page/mm.ts';
import { encode_page, encoded_page_flags, encoded_page_ptr } from '../delayed-rmap/01-introduce-encoded-page-pointers.ts';

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
      f.dirty = !pageInfo(k, f.page).anon && pteDirty(f.ptent) ? 1 : 0;
    });
    //   if (unlikely(__tlb_remove_page(tlb, page, dirty))) ...
    r.replace('zap_present_pte', '__tlb_remove_page', function* (k, _x, f) {
      const rf = { tlb: f.tlb, page: f.page, flags: f.dirty, ret: false };
      yield k.invoke(PH.__tlb_remove_page_size, rf);
      if (rf.ret) { f.z.force_flush = 1; f.stop = true; }
    });
    if (k.arch.mmuGather === 'immediate') {
      // s390 ("I guarantee it won't build on s390"): its own __tlb_remove_page_size() would have
      // to mark the page dirty at once, the TLB being flushed already.
      r.replace('__tlb_remove_page_size', 'free_page_and_swap_cache', function* (k, x, f) {
        if (f.flags) yield k.invoke(PH.set_page_dirty, { page: f.page });
        yield* put_page(k, x, f.page);
      });
      return;
    }
    //   batch->pages[batch->nr++] = encode_page(page, dirty);   (the dirty bit in the pointer)
    r.replace('__tlb_remove_page_size', 'batch_add', (_k, _x, f) => {
      const b: Batch = f.tlb.active;
      b.pages[b.nr++] = encode_page(f.page, f.flags);
    });
    // The batch free, after the TLB flush: set_page_dirty() for the pages gathered dirty, then
    // release the clean pointers ("set_page_dirty+0x2a/0x90, tlb_flush_mmu+0xc1/0x320").
    r.replace('free_pages_and_swap_cache', 'free_swap_cache', function* (k, _x, f) {
      const pages: number[] = f.pages;
      for (let i = 0; i < f.nr; i++) {
        const page = encoded_page_ptr(pages[i]);
        if (encoded_page_flags(pages[i])) yield k.invoke(PH.set_page_dirty, { page });
        pages[i] = page;
      }
    }, 'set_dirty_and_free_pages');
  },
});


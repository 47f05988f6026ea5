// delayed-rmap-v2/04 "mm: delay rmap removal until after TLB flush"
// Seed: seeds/002_a22f6d6eeee8c674.txt L3082-3160 (Linus, 2022-10-31, the attachment is not in
// the seed), L3754-3823 (the mmu_gather-race-fix branch), L4499-4530 (clean_and_free_pages_and_
// swap_cache() quoted), L4636-4720 (Hugh Dickins: the anon_vma lifetime bug).
// Linus's second attempt: keep the PTL-held flush, but move the mapcount decrement of every zapped
// page -- anonymous and file -- to the batch free: the page is gathered with TLB_ZAP_RMAP and
// clean_and_free_pages_and_swap_cache() does page_zap_pte_rmap() before releasing it. Without a
// forced flush (anonymous, clean file pages) that is tlb_finish_mmu(), after free_pgtables() has
// freed the anon_vma that folio_mapped() still vouches for.
import { definePatch } from '../../core/series/types.ts';
import { PH } from '../../core/page/hooks.ts';
import { pageName, PG_MAPCOUNT } from '../../core/page/state.ts';
import type { Batch } from '../../core/page/zap.ts';
import { put_page } from '../../core/page/mm.ts';
import type { Kernel, Ctx } from '../../core/kernel.ts';
import { encode_page, encoded_page_flags, encoded_page_ptr } from '../delayed-rmap/01-introduce-encoded-page-pointers.ts';

/** TLB_ZAP_RMAP: the one encoded flag of this version */
const TLB_ZAP_RMAP = 1;

/** page_zap_pte_rmap(page): the model's page_remove_rmap() (see 01), and the free path's check. */
function* pageZapPteRmap(k: Kernel, x: Ctx, page: number): Generator<number, void, unknown> {
  yield k.invoke(PH.page_remove_rmap, { page, vma: null });
  const mc = k.peek(page + PG_MAPCOUNT) + 1;
  k.warn(x, mc < 0, `VM_WARN_ON_ONCE_PAGE(page_mapcount(page) < 0) for ${pageName(k, page)}`);
}

export default definePatch({
  id: 'delayed-rmap-v2/04',
  series: 'delayed-rmap-v2',
  index: 4,
  title: 'mm: delay rmap removal until after TLB flush',
  requires: ['delayed-rmap-v2/03'],
  effect: 'behaviour',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L3082-3160, L4499-4530 (the diff itself is an attachment, not in the seed)',
  apply(r, k) {
    // zap_pte_range(): no page_zap_pte_rmap() here any more ...
    r.replace('zap_present_pte', 'page_remove_rmap', () => {});
    //   if (unlikely(__tlb_remove_page(tlb, page, TLB_ZAP_RMAP))) ...
    r.replace('zap_present_pte', '__tlb_remove_page', function* (k, _x, f) {
      const rf = { tlb: f.tlb, page: f.page, flags: TLB_ZAP_RMAP, ret: false };
      yield k.invoke(PH.__tlb_remove_page_size, rf);
      if (rf.ret) { f.z.force_flush = 1; f.stop = true; }
    });
    if (k.arch.mmuGather === 'immediate') {
      // s390 (L3250-3265, the branch's blind update): "if (flags & TLB_ZAP_RMAP)
      // page_zap_pte_rmap(page);" at the top of its __tlb_remove_page_size(), synchronously.
      r.replace('__tlb_remove_page_size', 'free_page_and_swap_cache', function* (k, x, f) {
        if (f.flags & TLB_ZAP_RMAP) yield* pageZapPteRmap(k, x, f.page);
        yield* put_page(k, x, f.page);
      });
      return;
    }
    //   batch->encoded_pages[batch->nr++] = encode_page(page, flags);
    r.replace('__tlb_remove_page_size', 'batch_add', (_k, _x, f) => {
      const b: Batch = f.tlb.active;
      b.pages[b.nr++] = encode_page(f.page, f.flags);
    });
    // static void clean_and_free_pages_and_swap_cache(struct encoded_page **pages, unsigned int nr)
    //   if (flags) { /* Clean the flagged pointer in-place */ pages[i] = encode_page(page, 0);
    //     /* The flag bit being set means that we should zap the rmap */ page_zap_pte_rmap(page);
    //     VM_WARN_ON_ONCE_PAGE(page_mapcount(page) < 0, page); }
    //   free_swap_cache(page); ... release_pages(pages, nr);
    r.replace('free_pages_and_swap_cache', 'free_swap_cache', function* (k, x, f) {
      const pages: number[] = f.pages;
      for (let i = 0; i < f.nr; i++) {
        const page = encoded_page_ptr(pages[i]);
        if (!encoded_page_flags(pages[i])) continue;
        pages[i] = encode_page(page, 0);
        yield* pageZapPteRmap(k, x, page);
      }
    }, 'clean_and_free_pages_and_swap_cache');
  },
});

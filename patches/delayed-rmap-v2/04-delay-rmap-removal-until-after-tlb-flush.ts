// delayed-rmap-v2/04 "mm: delay rmap removal until after TLB flush"
// Seed: seeds/002_a22f6d6eeee8c674.txt L3082-3160 (Linus, 2022-10-31, the attachment is not in
// the seed), L3754-3823 (the mmu_gather-race-fix branch), L4499-4530 (clean_and_free_pages_and_
// swap_cache() quoted), L4636-4720 (Hugh Dickins: the anon_vma lifetime bug).
// Linus's second attempt: keep the PTL-held flush, but move the mapcount decrement of every zapped
// page -- anonymous and file -- to the batch free: the page is gathered with TLB_ZAP_RMAP and
// clean_and_free_pages_and_swap_cache() does page_zap_pte_rmap() before releasing it. Without a
// forced flush (anonymous, clean file pages) that is tlb_finish_mmu(), after free_pgtables() has
// freed the anon_vma that folio_mapped() still vouches for.
import { definePatch, H, NEXT, CALL, callAgain, page, type Kernel, type Ctx } from '../../core/model/index.ts';
import { encode_page, encoded_page_flags, encoded_page_ptr } from '../delayed-rmap/01-introduce-encoded-page-pointers.ts';

/** TLB_ZAP_RMAP: the one encoded flag of this version */
const TLB_ZAP_RMAP = 1;

/** page_zap_pte_rmap(page): the model's page_remove_rmap() (see 01); the caller returns
 *  callAgain and then runs pageZapPteRmapCheck(). */
function pageZapPteRmap(k: Kernel, x: Ctx, pg: number) {
  const c = k.call(x, H.page_remove_rmap);
  c.page = pg;
  c.vma = -1;
}
/** The free path's check after page_zap_pte_rmap(). */
function pageZapPteRmapCheck(k: Kernel, x: Ctx, pg: number) {
  const mc = k.peek(pg + page.PG_MAPCOUNT) + 1;
  k.warn(x, mc < 0, `VM_WARN_ON_ONCE_PAGE(page_mapcount(page) < 0) for ${page.pageName(k, pg)}`);
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
    r.replace('zap_present_pte', 'page_remove_rmap', () => NEXT);
    //   if (unlikely(__tlb_remove_page(tlb, page, TLB_ZAP_RMAP))) ...
    r.replace('zap_present_pte', '__tlb_remove_page', page.tlbRemovePage(() => TLB_ZAP_RMAP));
    if (k.arch.mmuGather === 'immediate') {
      // s390 (L3250-3265, the branch's blind update): "if (flags & TLB_ZAP_RMAP)
      // page_zap_pte_rmap(page);" at the top of its __tlb_remove_page_size(), synchronously.
      // Resume point 1: after page_zap_pte_rmap().
      r.replace('__tlb_remove_page_size', 'free_page_and_swap_cache', (k, x, f, pc) => {
        if (pc === 0 && f.flags & TLB_ZAP_RMAP) {
          pageZapPteRmap(k, x, f.page);
          return callAgain(1);
        }
        if (pc === 1) pageZapPteRmapCheck(k, x, f.page);
        k.call(x, H.put_page).page = f.page;
        return CALL;
      });
      return;
    }
    //   batch->encoded_pages[batch->nr++] = encode_page(page, flags);
    r.replace('__tlb_remove_page_size', 'batch_add', (k, x, f) => {
      page.batchAdd(k, x, k.at(x, H.mmu_gather, f.tlb), encode_page(f.page, f.flags));
      return NEXT;
    });
    // static void clean_and_free_pages_and_swap_cache(struct encoded_page **pages, unsigned int nr)
    //   if (flags) { /* Clean the flagged pointer in-place */ pages[i] = encode_page(page, 0);
    //     /* The flag bit being set means that we should zap the rmap */ page_zap_pte_rmap(page);
    //     VM_WARN_ON_ONCE_PAGE(page_mapcount(page) < 0, page); }
    //   free_swap_cache(page); ... release_pages(pages, nr);
    // Resume point 1: after the page_zap_pte_rmap() of pages[f.i].
    r.replace('free_pages_and_swap_cache', 'free_swap_cache', (k, x, f, pc) => {
      if (pc === 1) {
        pageZapPteRmapCheck(k, x, encoded_page_ptr(page.pagePtrAt(k, x, f.pages + f.i)));
        f.i++;
      }
      for (; f.i < f.nr; f.i++) {
        const enc = page.pagePtrAt(k, x, f.pages + f.i);
        const pg = encoded_page_ptr(enc);
        if (!encoded_page_flags(enc)) continue;
        page.setPagePtrAt(k, x, f.pages + f.i, encode_page(pg, 0));
        pageZapPteRmap(k, x, pg);
        return callAgain(1);
      }
      return NEXT;
    }, 'clean_and_free_pages_and_swap_cache');
  },
});

// delayed-rmap/03 "mm: mmu_gather: prepare to gather encoded page pointers with flags"
// Seed: seeds/002_a22f6d6eeee8c674.txt L5646-5741 (the diff: L5668-5738).
// The mmu_gather batches hold encoded page pointers: __tlb_remove_page_size() stores
// encode_page(page, 0) and free_pages_and_swap_cache() decodes them ("The code currently always
// sets the flag to zero and doesn't use it yet"), so nothing the model does changes.
import { definePatch, H, NEXT, page } from '../../core/model/index.ts';
import { encode_page, encoded_page_ptr } from './01-introduce-encoded-page-pointers.ts';

export default definePatch({
  id: 'delayed-rmap/03',
  series: 'delayed-rmap',
  index: 3,
  title: 'mm: mmu_gather: prepare to gather encoded page pointers with flags',
  requires: ['delayed-rmap/01', 'delayed-rmap/02'],
  effect: 'none',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L5646-5741',
  apply(r) {
    // -	batch->pages[batch->nr++] = page;
    // +	batch->encoded_pages[batch->nr++] = encode_page(page, 0);
    // (s390's own __tlb_remove_page_size() gathers nothing: CONFIG_MMU_GATHER_NO_GATHER)
    if (r.has('__tlb_remove_page_size', 'batch_add')) {
      r.replace('__tlb_remove_page_size', 'batch_add', (k, x, f) => {
        page.batchAdd(k, x, k.at(x, H.mmu_gather, f.tlb), encode_page(f.page, 0));
        return NEXT;
      });
    }
    // void free_pages_and_swap_cache(struct encoded_page **pages, int nr)
    //   for (int i = 0; i < nr; i++) free_swap_cache(encoded_page_ptr(pages[i]));
    //   release_pages(pages, nr);
    // (free_swap_cache() of a page that is not in the swap cache does nothing)
    r.replace('free_pages_and_swap_cache', 'free_swap_cache', (k, x, f) => {
      for (let i = 0; i < f.nr; i++) encoded_page_ptr(page.pagePtrAt(k, x, f.pages + i));
      return NEXT;
    });
  },
});

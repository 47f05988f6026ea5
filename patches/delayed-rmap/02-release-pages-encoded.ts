// delayed-rmap/02 "mm: teach release_pages() to take an array of encoded page pointers too"
// Seed: seeds/002_a22f6d6eeee8c674.txt L5450-5565 (the diff: L5486-5562).
// release_pages() decodes every element with encoded_page_ptr() and ignores the extra bits
// ("I have walked the array of encoded pages and done everything the extra bits tell me to do,
// now release it all"); on plain page pointers, which is all it is given until 03, that is the
// identity, so the model behaves the same.
import { definePatch, page } from '../../core/model/index.ts';
import { encoded_page_ptr } from './01-introduce-encoded-page-pointers.ts';

export default definePatch({
  id: 'delayed-rmap/02',
  series: 'delayed-rmap',
  index: 2,
  title: 'mm: teach release_pages() to take an array of encoded page pointers too',
  requires: ['delayed-rmap/01'],
  effect: 'none',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L5450-5565',
  apply(r) {
    // void release_pages(release_pages_arg arg, int nr)
    //   struct encoded_page **encoded = arg.encoded_pages;
    //   /* Turn any of the argument types into a folio */
    //   folio = page_folio(encoded_page_ptr(encoded[i]));
    r.replace('release_pages', 'folio_put_testzero', page.releasePages(encoded_page_ptr));
  },
});

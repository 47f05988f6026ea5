// pae-lockless/10 "x86/mm/pae: Be consistent with pXXp_get_and_clear()"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// pmdp_get_and_clear() (and pudp_get_and_clear(), pmdp_establish()) become one 64-bit atomic
// exchange, pxx_xchg64() (a CMPXCHG8B loop), instead of an xchg of the low half followed by a
// plain read and clear of the high half. (The built-in scenarios have no huge PMD, so nothing
// calls pmdp_get_and_clear() yet.)
import { definePatch, YIELD, page } from '../../core/model/index.ts';

export default definePatch({
  id: 'pae-lockless/10',
  series: 'pae-lockless',
  index: 10,
  title: 'x86/mm/pae: Be consistent with pXXp_get_and_clear()',
  requires: ['pae-lockless/02'],
  effect: 'behaviour',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply(r, k) {
    if (!page.pteLowHigh(k)) return;
    //   return pxx_xchg64(pmd, pmdp, 0ULL);
    r.replace('pmdp_get_and_clear', 'native_pmdp_get_and_clear', (k, x, f) => {
      f.ret = page.ld64(k, x, f.a);
      page.storeEntry(k, x, f.a, page.NONE, 'pmdp_get_and_clear');
      return YIELD;
    });
  },
});

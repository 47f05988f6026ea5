// pae-lockless/12 "x86/mm/pae: Get rid of set_64bit()"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// x86-32's set_pte_atomic()/set_pmd()/set_pud() use pxx_xchg64() and set_64bit() is deleted:
// both are a CMPXCHG8B loop, one atomic 64-bit store, so nothing changes in the model.
import { definePatch, YIELD, page } from '../../core/model/index.ts';

export default definePatch({
  id: 'pae-lockless/12',
  series: 'pae-lockless',
  index: 12,
  title: 'x86/mm/pae: Get rid of set_64bit()',
  requires: ['pae-lockless/10'],
  effect: 'none',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply(r, k) {
    if (!page.pteLowHigh(k)) return;
    //   static inline void native_set_pmd(pmd_t *pmdp, pmd_t pmd) { pxx_xchg64(pmd, pmdp, native_pmd_val(pmd)); }
    r.replace('set_pmd', 'native_set_pmd', (k, x, f) => {
      page.storeEntry(k, x, f.a, f.e, 'set_pmd');
      return YIELD;
    });
  },
});

// pae-lockless/08 "x86/mm/pae: Dont (ab)use atomic64"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// native_ptep_get_and_clear() does its own try_cmpxchg64() loop instead of arch_atomic64_xchg()
// ("PAE implies CX8"): the same CMPXCHG8B loop, the same atomic exchange; nothing changes in the
// model.
import { definePatch, YIELD, page } from '../../core/model/index.ts';

export default definePatch({
  id: 'pae-lockless/08',
  series: 'pae-lockless',
  index: 8,
  title: 'x86/mm/pae: Dont (ab)use atomic64',
  requires: [],
  effect: 'none',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply(r, k) {
    if (!page.pteLowHigh(k)) return;
    //   pte_t old = *ptep; do { } while (!try_cmpxchg64(&ptep->pte, &old.pte, 0)); return old;
    r.replace('ptep_get_and_clear', 'native_ptep_get_and_clear', (k, x, f) => {
      f.ret = page.xchg64(k, x, page.vmaAt(k, f.vma).pt + page.ptLo(f.i));
      return YIELD;
    });
  },
});

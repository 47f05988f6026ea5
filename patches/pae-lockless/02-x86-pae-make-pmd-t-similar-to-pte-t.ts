// pae-lockless/02 "x86/mm/pae: Make pmd_t similar to pte_t"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// The PAE pmd_t becomes a union { pmd_low, pmd_high; pmd } like pte_t (union split_pmd goes);
// native_pmdp_get_and_clear() reads and clears pmd_high with READ_ONCE()/WRITE_ONCE(). The same
// accesses in the same order: nothing changes in the model (which never tears a 32-bit access).
import { definePatch, YIELD, again, page } from '../../core/model/index.ts';

export default definePatch({
  id: 'pae-lockless/02',
  series: 'pae-lockless',
  index: 2,
  title: 'x86/mm/pae: Make pmd_t similar to pte_t',
  requires: [],
  effect: 'none',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply(r, k) {
    if (!page.pteLowHigh(k)) return;
    //   res.pmd_low = xchg(&pmdp->pmd_low, 0);
    //   res.pmd_high = READ_ONCE(pmdp->pmd_high);
    //   WRITE_ONCE(pmdp->pmd_high, 0);
    // Resume point 1: after the xchg of the low half.
    r.replace('pmdp_get_and_clear', 'native_pmdp_get_and_clear', (k, x, f, pc) => {
      if (pc === 1) {
        const hi = page.loadHalf(k, x, f.a + 1);
        page.storeHalf(k, x, f.a + 1, 0);
        f.ret = { lo: f.ret.lo, hi };
        return YIELD;
      }
      page.noteStored(k, f.a, page.NONE);
      const lo = k.m.read(x.cpu, f.a);
      k.cmpxchg(x, f.a, lo, 0); // xchg
      f.ret = { lo, hi: 0 };
      return again(1);
    });
  },
});

// pae-lockless/09 "x86/mm/pae: Use WRITE_ONCE()"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// native_set_pte(), native_pte_clear() and native_pmd_clear() store their halves with
// WRITE_ONCE() ("Disallow write-tearing"). The model never tears a 32-bit store, so the same
// stores in the same order: nothing changes in the model.
import { definePatch, YIELD, again, page } from '../../core/model/index.ts';

export default definePatch({
  id: 'pae-lockless/09',
  series: 'pae-lockless',
  index: 9,
  title: 'x86/mm/pae: Use WRITE_ONCE()',
  requires: [],
  effect: 'none',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply(r, k) {
    if (!page.pteLowHigh(k)) return;
    //   WRITE_ONCE(ptep->pte_high, pte.pte_high); smp_wmb(); WRITE_ONCE(ptep->pte_low, pte.pte_low);
    // Resume point 1: after the high half.
    r.replace('set_pte_at', 'native_set_pte', (k, x, f, pc) => {
      const e = f.e;
      if (pc === 1) {
        if (k.tracing) k.tr(x, 'smp_wmb');
        page.storeHalf(k, x, f.a, e.lo);
        if (k.tracing) k.tr(x, `set_pte ${page.entryName(k, f.a)} = ${page.fmtEntry(k, e)}`);
        return YIELD;
      }
      page.noteStored(k, f.a, e);
      page.storeHalf(k, x, f.a + 1, e.hi);
      return again(1);
    });
    //   WRITE_ONCE(*tmp, 0); smp_wmb(); WRITE_ONCE(*(tmp + 1), 0);
    // Resume point 1: after the low half.
    r.replace('pmd_clear', 'native_pmd_clear', (k, x, f, pc) => {
      if (pc === 1) {
        if (k.tracing) k.tr(x, 'smp_wmb');
        page.storeHalf(k, x, f.a + 1, 0);
        return YIELD;
      }
      page.noteStored(k, f.a, page.NONE);
      page.storeHalf(k, x, f.a, 0);
      return again(1);
    });
  },
});

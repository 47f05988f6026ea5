// pae-lockless/09 "x86/mm/pae: Use WRITE_ONCE()"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// native_set_pte(), native_pte_clear() and native_pmd_clear() store their halves with
// WRITE_ONCE() ("Disallow write-tearing"). The model never tears a 32-bit store, so the same
// stores in the same order: nothing changes in the model.
import { definePatch } from '../../core/series/types.ts';
import { NONE, noteStored, fmtEntry, entryName, type Entry } from '../../core/page/state.ts';
import { storeHalf, pteLowHigh } from '../../core/page/pgtable.ts';

export default definePatch({
  id: 'pae-lockless/09',
  series: 'pae-lockless',
  index: 9,
  title: 'x86/mm/pae: Use WRITE_ONCE()',
  requires: [],
  effect: 'none',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply(r, k) {
    if (!pteLowHigh(k)) return;
    //   WRITE_ONCE(ptep->pte_high, pte.pte_high); smp_wmb(); WRITE_ONCE(ptep->pte_low, pte.pte_low);
    r.replace('set_pte_at', 'native_set_pte', function* (k, x, f) {
      const e: Entry = f.e;
      noteStored(k, f.a, e);
      storeHalf(k, x, f.a + 1, e.hi);
      yield 0;
      if (k.tracing) k.tr(x, 'smp_wmb');
      storeHalf(k, x, f.a, e.lo);
      if (k.tracing) k.tr(x, `set_pte ${entryName(k, f.a)} = ${fmtEntry(k, e)}`);
      yield 0;
    });
    //   WRITE_ONCE(*tmp, 0); smp_wmb(); WRITE_ONCE(*(tmp + 1), 0);
    r.replace('pmd_clear', 'native_pmd_clear', function* (k, x, f) {
      noteStored(k, f.a, NONE);
      storeHalf(k, x, f.a, 0);
      yield 0;
      if (k.tracing) k.tr(x, 'smp_wmb');
      storeHalf(k, x, f.a + 1, 0);
      yield 0;
    });
  },
});

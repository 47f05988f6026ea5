// pae-lockless/04 "mm: Fix pmd_read_atomic()"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// The x86-PAE pmd_read_atomic() (low half; the high half only if low != 0) goes: it becomes
// pmdp_get_lockless(), new in include/linux/pgtable.h, which under CONFIG_GUP_GET_PTE_LOW_HIGH is
// ptep_get_lockless()'s loop for PMDs (low, smp_rmb, high, smp_rmb, while low changed) and
// elsewhere pmdp_get(), a READ_ONCE(). zap_pmd_range()'s pmd read goes through it.
import { definePatch } from '../../core/series/types.ts';
import { defineHooks } from '../../core/hooks.ts';
import { pteLowHigh } from '../../core/page/state.ts';
import { loadEntry, lowHighLoop } from '../../core/page/pgtable.ts';

/** pmdp_get_lockless(pmdp) -> ret */
export const H4 = defineHooks(['pmdp_get_lockless']);

export default definePatch({
  id: 'pae-lockless/04',
  series: 'pae-lockless',
  index: 4,
  title: 'mm: Fix pmd_read_atomic()',
  requires: ['pae-lockless/02', 'pae-lockless/03'],
  effect: 'behaviour',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply(r, k) {
    if (pteLowHigh(k)) {
      // static inline pmd_t pmdp_get_lockless(pmd_t *pmdp)
      //   do { pmd.pmd_low = pmdp->pmd_low; smp_rmb(); pmd.pmd_high = pmdp->pmd_high; smp_rmb();
      //   } while (unlikely(pmd.pmd_low != pmdp->pmd_low));
      r.add('pmdp_get_lockless', 'low_high_loop', function* (k, x, f) {
        f.ret = yield* lowHighLoop(k, x, f.a);
      });
    } else {
      // #ifndef pmdp_get_lockless: return pmdp_get(pmdp);  (READ_ONCE(*pmdp))
      r.add('pmdp_get_lockless', 'pmdp_get', function* (k, x, f) {
        f.ret = loadEntry(k, x, f.a, 'pmd');
        yield 0;
      });
    }
    // static inline pmd_t pmd_read_atomic(pmd_t *pmdp) { return pmdp_get_lockless(pmdp); }
    const cur = r.steps('pmd_read_atomic')[0].name; // READ_ONCE, or x86-PAE's low_then_high
    r.replace('pmd_read_atomic', cur, function* (k, _x, f) {
      const lf = { a: f.a, ret: f.ret };
      yield k.invoke(H4.pmdp_get_lockless, lf);
      f.ret = lf.ret;
    }, 'pmdp_get_lockless');
  },
});

// pae-lockless/04 "mm: Fix pmd_read_atomic()"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// The x86-PAE pmd_read_atomic() (low half; the high half only if low != 0) goes: it becomes
// pmdp_get_lockless(), new in include/linux/pgtable.h, which under CONFIG_GUP_GET_PTE_LOW_HIGH is
// ptep_get_lockless()'s loop for PMDs (low, smp_rmb, high, smp_rmb, while low changed) and
// elsewhere pmdp_get(), a READ_ONCE(). zap_pmd_range()'s pmd read goes through it.
import { definePatch, fns, ptr, entry, H, NEXT, YIELD, callAgain, page } from '../../core/model/index.ts';

/** pmdp_get_lockless(pmdp) -> ret */
export const H4 = fns({ pmdp_get_lockless: { a: ptr, ret: entry } });
declare module '../../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof H4> {}
  interface KernelSteps {
    'pmdp_get_lockless.low_high_loop': true; 'pmdp_get_lockless.pmdp_get': true;
    'pmd_read_atomic.pmdp_get_lockless': true;
  }
}

export default definePatch({
  id: 'pae-lockless/04',
  series: 'pae-lockless',
  index: 4,
  title: 'mm: Fix pmd_read_atomic()',
  requires: ['pae-lockless/02', 'pae-lockless/03'],
  effect: 'behaviour',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply(r, k) {
    if (page.pteLowHigh(k)) {
      // static inline pmd_t pmdp_get_lockless(pmd_t *pmdp)
      //   do { pmd.pmd_low = pmdp->pmd_low; smp_rmb(); pmd.pmd_high = pmdp->pmd_high; smp_rmb();
      //   } while (unlikely(pmd.pmd_low != pmdp->pmd_low));
      // Resume point 1: after the loop (the low_high_loop helper).
      r.add('pmdp_get_lockless', 'low_high_loop', (k, x, f, pc) => {
        if (pc === 1) { f.ret = k.ret(x, H.low_high_loop).ret; return NEXT; }
        k.call(x, H.low_high_loop).a = f.a;
        return callAgain(1);
      });
    } else {
      // #ifndef pmdp_get_lockless: return pmdp_get(pmdp);  (READ_ONCE(*pmdp))
      r.add('pmdp_get_lockless', 'pmdp_get', (k, x, f) => {
        f.ret = page.loadEntry(k, x, f.a, 'pmd');
        return YIELD;
      });
    }
    // static inline pmd_t pmd_read_atomic(pmd_t *pmdp) { return pmdp_get_lockless(pmdp); }
    const cur = r.steps('pmd_read_atomic')[0].name as 'READ_ONCE'; // READ_ONCE, or x86-PAE's low_then_high
    // Resume point 1: after pmdp_get_lockless().
    r.replace('pmd_read_atomic', cur, (k, x, f, pc) => {
      if (pc === 1) { f.ret = k.ret(x, H.pmdp_get_lockless).ret; return NEXT; }
      k.call(x, H.pmdp_get_lockless).a = f.a;
      return callAgain(1);
    }, 'pmdp_get_lockless');
  },
});

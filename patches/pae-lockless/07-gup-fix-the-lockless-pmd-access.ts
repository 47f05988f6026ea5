// pae-lockless/07 "mm/gup: Fix the lockless PMD access"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// gup_pmd_range() (and perf_get_pgtable_size()) read the PMD with pmdp_get_lockless() instead of
// READ_ONCE(*pmdp), which "can do the wrong thing" on i386-PAE: two loads that straddle a
// pmd_clear() return the low half of the old entry with the high half of none. "patch #7 was the
// whole purpose of me doing these patches" (the cover letter).
import { definePatch, H, NEXT, callAgain, page } from '../../core/model/index.ts';
import './04-fix-pmd-read-atomic.ts';

export default definePatch({
  id: 'pae-lockless/07',
  series: 'pae-lockless',
  index: 7,
  title: 'mm/gup: Fix the lockless PMD access',
  requires: ['pae-lockless/04'],
  effect: 'behaviour',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply(r) {
    //   pmd_t pmd = pmdp_get_lockless(pmdp);
    // Resume point 1: after pmdp_get_lockless().
    r.replace('gup_pmd_range', 'READ_ONCE', (k, x, f, pc) => {
      const v = page.vmaAt(k, f.vma);
      if (pc === 1) {
        f.pmd = k.ret(x, H.pmdp_get_lockless).ret;
        page.checkTorn(k, x, v.pmd, f.pmd, 'gup_pmd_range()');
        return NEXT;
      }
      k.call(x, H.pmdp_get_lockless).a = v.pmd;
      return callAgain(1);
    }, 'pmdp_get_lockless');
  },
});

// pae-lockless/06 "mm: Rename pmd_read_atomic()"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// pmd_read_atomic() is gone: its callers (pmd_none_or_trans_huge_or_clear_bad() for
// zap_pmd_range(), hmm, khugepaged, mprotect, vmscan...) call pmdp_get_lockless(), which 04 made
// it an alias of -- the same reads, so nothing changes in the model.
import { definePatch, H, NEXT, RET, callAgain, page } from '../../core/model/index.ts';
import './04-fix-pmd-read-atomic.ts';

export default definePatch({
  id: 'pae-lockless/06',
  series: 'pae-lockless',
  index: 6,
  title: 'mm: Rename pmd_read_atomic()',
  requires: ['pae-lockless/04'],
  effect: 'none',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply(r) {
    //   pmd_t pmdval = pmdp_get_lockless(pmd);
    // Resume point 1: after pmdp_get_lockless().
    r.replace('zap_pmd_range', 'pmd_none_or_trans_huge_or_clear_bad', (k, x, f, pc) => {
      if (pc === 1) return page.present(k.ret(x, H.pmdp_get_lockless).ret) ? NEXT : RET;
      k.call(x, H.pmdp_get_lockless).a = page.vmaAt(k, f.vma).pmd;
      return callAgain(1);
    });
    r.remove('pmd_read_atomic', 'pmdp_get_lockless');
  },
});

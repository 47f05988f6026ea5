// Lazy MMU mode nesting (Ryan Roberts, seed 001): a kernel thread populates kernel PTEs with
// apply_to_page_range() (vmalloc/KASAN style: the callback does set_pte_at(), which is the generic
// set_ptes(..., 1) since v6.6), and a process scans its own page tables with PAGEMAP_SCAN
// write-protect (pagemap_scan_pmd_entry(), which also set_pte_at()s inside its region). Since
// bcc6cc832573 the generic set_ptes() enters and leaves lazy MMU mode itself, inside the caller's
// region: a nested region, which Xen PV survives only through 49147beb0ccb's nesting counter.
// Those paths exist from v6.6 (set_ptes(), 49147beb0ccb) and v6.7 (PAGEMAP_SCAN): at v5.16 the
// callback's set_pte_at() is the arch's set_pte() and the ioctl fails with -ENOTTY, so nothing nests.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'lazy-mmu-nesting',
  description: 'kthread K: apply_to_page_range() on kernel PTEs (cpu0); P.t1: PAGEMAP_SCAN write-protect of its PTEs, then exit (cpu1)',
  cpus: { default: 2, min: 1, max: 3 },
  setup(b) {
    b.kthread('K', { cpu: 0, prog: [{ op: 'apply_to_page_range', ptes: 2 }] });
    b.process('P');
    b.thread('P.t1', { mm: 'P', cpu: b.cpus - 1, prog: [{ op: 'touch' }, { op: 'pagemap_scan', ptes: 2 }, { op: 'exit' }] });
  },
  expect: [
    { config: '--arch x86-xen-pv', verdict: 'never',
      why: 'v5.16 has no generic set_ptes() (bcc6cc832573, v6.6) and no PAGEMAP_SCAN (v6.7): set_pte_at() is the arch\'s set_pte() and nothing nests (seed 001: "So after this commit, lazy mmu regions can be nested")' },
    { config: '--arch x86-xen-pv --kernel 6.14', verdict: 'sometimes', oracle: 'lazy-mmu',
      why: 'v6.14: the generic set_ptes() nests a region inside apply_to_pte_range()\'s and pagemap_scan_pmd_entry()\'s (49147beb0ccb keeps Xen from BUGging)' },
    { config: '--arch x86', verdict: 'never',
      why: 'v5.16 x86: no nesting path (as on Xen PV), and lazy MMU mode is a paravirt no-op on native x86' },
    { config: '--arch x86 --kernel 6.14', verdict: 'sometimes', oracle: 'lazy-mmu',
      why: 'v6.14: the generic set_ptes() "used by x86" nests (seed 001); a no-op on native x86, but against the rule 01 writes down, and 01 removes it for every arch' },
    { config: '--arch x86-xen-pv --apply lazy-mmu', verdict: 'never',
      why: '01: set_ptes() no longer enters/leaves lazy MMU mode; 04 can then drop the nesting counter' },
    { config: '--arch x86-xen-pv --apply lazy-mmu/04 --force', verdict: 'sometimes', oracle: 'warn',
      why: 'the revert without 01: Xen\'s enter_lazy() BUG_ONs on the nested enter again (the regression 49147beb0ccb fixed)' },
    { config: '--arch x86 --apply lazy-mmu', verdict: 'never' },
  ],
});

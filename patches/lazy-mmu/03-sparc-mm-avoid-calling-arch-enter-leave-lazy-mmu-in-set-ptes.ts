// lazy-mmu/03 "sparc/mm: Avoid calling arch_enter/leave_lazy_mmu() in set_ptes" — upstream
// eb61ad14c459 ("Fixes: 1a10a44dfc1d"; seeds-001-003-004.md §1.5: "Without this fix, lazy mmu mode
// is effectively disabled because we exit the mode after the first set_ptes"). The seeds carry no
// diff; seed 001 names 1a10a44dfc1d as the commit that nested sparc's set_ptes().
// On sparc64, set_ptes() stops entering and leaving lazy MMU mode, so it no longer nests inside
// the caller's region (nor flushes the batch early at the inner leave).
import { definePatch } from '../../core/model/index.ts';
import { isSparc64 } from './arch.ts';

export default definePatch({
  id: 'lazy-mmu/03',
  series: 'lazy-mmu',
  index: 3,
  title: 'sparc/mm: Avoid calling arch_enter/leave_lazy_mmu() in set_ptes',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/001_452a225ad1e82ef5.txt L1 (1a10a44dfc1d named); upstream eb61ad14c459',
  apply(r, k) {
    if (!isSparc64(k.arch.name)) return;
    // arch/sparc/include/asm/pgtable_64.h set_ptes():
    // -	arch_enter_lazy_mmu_mode();
    //  	for (;;) { __set_pte_at(mm, addr, ptep, pte, 0); ... }
    // -	arch_leave_lazy_mmu_mode();
    r.remove('set_ptes', 'arch_enter_lazy_mmu_mode');
    r.remove('set_ptes', 'arch_leave_lazy_mmu_mode');
  },
});

// lazy-mmu/01 "mm: Fix lazy mmu docs and usage" — seeds/001_452a225ad1e82ef5.txt (one line: the
// whole commit message is quoted in David Hildenbrand's reply and Ryan's answer, from "The docs,
// implementations and use of arch_[enter|leave]_lazy_mmu_mode()" to "no evidence of issues being
// reported in the wild"); merged split in two as 691ee97e1a9d and ad449d856bd7
// (seeds-001-003-004.md §1.5).
// The generic set_ptes() no longer enters/leaves lazy MMU mode (sparc64's override keeps its
// calls until 03), and pagemap_scan_pmd_entry() opens its region after pte_offset_map_lock();
// the documented rules are the 'lazy-mmu' oracle, which the model checks with or without it.
import { definePatch, lazyMmuEnter } from '../../core/model/index.ts';
import { isSparc64 } from './arch.ts';

export default definePatch({
  id: 'lazy-mmu/01',
  series: 'lazy-mmu',
  index: 1,
  title: 'mm: Fix lazy mmu docs and usage',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/001_452a225ad1e82ef5.txt L1 (commit message quoted in full); upstream 691ee97e1a9d + ad449d856bd7',
  apply(r, k) {
    // include/linux/pgtable.h set_ptes(): "Context: The caller holds the page table lock. ... "
    // -	arch_enter_lazy_mmu_mode();
    //  	for (;;) { set_pte(ptep, pte); ... }
    // -	arch_leave_lazy_mmu_mode();
    // (the model's set_ptes stands for sparc64's override too: 1a10a44dfc1d; 03 fixes that one)
    if (!isSparc64(k.arch.name)) {
      r.remove('set_ptes', 'arch_enter_lazy_mmu_mode');
      r.remove('set_ptes', 'arch_leave_lazy_mmu_mode');
    }
    // fs/proc/task_mmu.c pagemap_scan_pmd_entry(): "follow the normal pattern of holding the ptl
    // for user space mappings": enter after pte_offset_map_lock(), leave before pte_unmap_unlock().
    r.remove('pagemap_scan_pmd_entry', 'arch_enter_lazy_mmu_mode');
    r.add('pagemap_scan_pmd_entry', 'arch_enter_lazy_mmu_mode', (k, x) => lazyMmuEnter(k, x, 'pagemap_scan_pmd_entry()'),
      { after: 'pte_offset_map_lock' });
  },
});

// pae-lockless/05 "mm: Rename GUP_GET_PTE_LOW_HIGH"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// Changes nothing in the model: the Kconfig symbol becomes GUP_GET_PXX_LOW_HIGH (mips, sh, x86);
// the model's flag for it is declarePteLowHigh() (core/model/page/state.ts).
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'pae-lockless/05',
  series: 'pae-lockless',
  index: 5,
  title: 'mm: Rename GUP_GET_PTE_LOW_HIGH',
  requires: ['pae-lockless/04'],
  effect: 'none',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply() {},
});

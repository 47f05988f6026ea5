// pae-lockless/03 "sh/mm: Make pmd_t similar to pte_t"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// Changes nothing in the model: SuperH's 3-level pmd_t gets the same low/high split; no SH arch
// is modelled (it is there so that 04's generic pmdp_get_lockless() builds on SH).
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'pae-lockless/03',
  series: 'pae-lockless',
  index: 3,
  title: 'sh/mm: Make pmd_t similar to pte_t',
  requires: [],
  effect: 'none',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply() {},
});

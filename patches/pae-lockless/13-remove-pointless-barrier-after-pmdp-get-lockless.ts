// pae-lockless/13 "mm: Remove pointless barrier() after pmdp_get_lockless()"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// Changes nothing in the model: drops the compiler barrier() after pmdp_get_lockless() in
// mm/hmm.c and mm/vmscan.c ("pmdp_get_lockless() should itself imply any ordering required");
// the model has neither caller, and a compiler barrier changes no access.
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'pae-lockless/13',
  series: 'pae-lockless',
  index: 13,
  title: 'mm: Remove pointless barrier() after pmdp_get_lockless()',
  requires: ['pae-lockless/06'],
  effect: 'none',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply() {},
});

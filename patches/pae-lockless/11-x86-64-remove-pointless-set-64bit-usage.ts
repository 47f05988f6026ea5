// pae-lockless/11 "x86_64: Remove pointless set_64bit() usage"
// Seed: not in the seed, which holds only 01 (L1-40); the subject and content are from the LKML posting of 2022-10-22, reference/delayed-rmap.md §3 [ext].
// Changes nothing in the model: on x86_64 set_64bit() was a plain store (UML's set_pud/set_pmd,
// the Intel IRQ-remapping fallback); a 64-bit entry is already one store there.
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'pae-lockless/11',
  series: 'pae-lockless',
  index: 11,
  title: 'x86_64: Remove pointless set_64bit() usage',
  requires: [],
  effect: 'none',
  seed: 'not in seeds/002_a22f6d6eeee8c674.txt (only 01 is); reference/delayed-rmap.md §3',
  apply() {},
});

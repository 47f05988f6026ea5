// pae-lockless/01 "mm: Update ptep_get_lockless()s comment"
// Seed: seeds/002_a22f6d6eeee8c674.txt L1-40 (the diff: L18-40).
// Changes nothing in the model: it rewrites the CONFIG_GUP_GET_PTE_LOW_HIGH comment ("For walking
// the pagetables without holding any locks..." instead of "only to be used in the
// get_user_pages_fast() implementation"); the code is untouched.
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'pae-lockless/01',
  series: 'pae-lockless',
  index: 1,
  title: 'mm: Update ptep_get_lockless()s comment',
  requires: [],
  effect: 'none',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L1-40',
  apply() {},
});

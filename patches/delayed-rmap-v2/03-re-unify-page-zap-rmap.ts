// delayed-rmap-v2/03 "mm: re-unify the simplified page_zap_*_rmap() function"
// Seed: seeds/002_a22f6d6eeee8c674.txt L2960-3075 (part of the simplification series).
// Changes nothing in the model (see 01): anon and file pages share page_zap_pte_rmap() again,
// the "righteous additional simplification" Hugh later asks to revert (L4699-4720).
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'delayed-rmap-v2/03',
  series: 'delayed-rmap-v2',
  index: 3,
  title: 'mm: re-unify the simplified page_zap_*_rmap() function',
  requires: ['delayed-rmap-v2/02'],
  effect: 'none',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L2960-3075',
  apply() {},
});

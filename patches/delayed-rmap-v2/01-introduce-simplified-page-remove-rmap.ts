// delayed-rmap-v2/01 "mm: introduce simplified versions of 'page_remove_rmap()'"
// Seed: seeds/002_a22f6d6eeee8c674.txt L2960-3075 (Linus, 2022-10-30: the three-commit rmap
// simplification, shown as one patch.diff; its page_zap_pte_rmap() is quoted at L3350-3420).
// Changes nothing in the model: page_zap_pte_rmap() is page_remove_rmap() for a small,
// non-compound page ("I'm *claiming* that the attached patch is semantically identical"), which
// is the only form the model's page_remove_rmap() has.
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'delayed-rmap-v2/01',
  series: 'delayed-rmap-v2',
  index: 1,
  title: "mm: introduce simplified versions of 'page_remove_rmap()'",
  requires: [],
  effect: 'none',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L2960-3075',
  apply() {},
});

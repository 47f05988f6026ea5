// PLACEHOLDER (to be written): lazy-mm/07 "membarrier: Rewrite sync_core_before_usermode() and improve documentation"
// Seed: seeds/000_13ce268f039a5445.txt L1065
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/07',
  series: 'lazy-mm',
  index: 7,
  title: 'membarrier: Rewrite sync_core_before_usermode() and improve documentation',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L1065',
  apply() {},
});

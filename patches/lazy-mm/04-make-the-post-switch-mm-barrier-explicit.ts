// PLACEHOLDER (to be written): lazy-mm/04 "membarrier: Make the post-switch-mm barrier explicit"
// Seed: seeds/000_13ce268f039a5445.txt L543
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/04',
  series: 'lazy-mm',
  index: 4,
  title: 'membarrier: Make the post-switch-mm barrier explicit',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L543',
  apply() {},
});

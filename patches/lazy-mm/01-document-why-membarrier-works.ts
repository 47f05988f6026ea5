// PLACEHOLDER (to be written): lazy-mm/01 "membarrier: Document why membarrier() works"
// Seed: seeds/000_13ce268f039a5445.txt L161
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/01',
  series: 'lazy-mm',
  index: 1,
  title: 'membarrier: Document why membarrier() works',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L161',
  apply() {},
});

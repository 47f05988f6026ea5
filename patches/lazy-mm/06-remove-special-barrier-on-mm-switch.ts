// PLACEHOLDER (to be written): lazy-mm/06 "powerpc/membarrier: Remove special barrier on mm switch"
// Seed: seeds/000_13ce268f039a5445.txt L863
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/06',
  series: 'lazy-mm',
  index: 6,
  title: 'powerpc/membarrier: Remove special barrier on mm switch',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L863',
  apply() {},
});

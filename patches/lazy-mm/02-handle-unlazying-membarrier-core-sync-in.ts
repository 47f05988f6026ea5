// PLACEHOLDER (to be written): lazy-mm/02 "x86/mm: Handle unlazying membarrier core sync in the arch code"
// Seed: seeds/000_13ce268f039a5445.txt L269
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/02',
  series: 'lazy-mm',
  index: 2,
  title: 'x86/mm: Handle unlazying membarrier core sync in the arch code',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L269',
  apply() {},
});

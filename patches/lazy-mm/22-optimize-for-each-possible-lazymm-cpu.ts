// PLACEHOLDER (to be written): lazy-mm/22 "x86/mm: Optimize for_each_possible_lazymm_cpu()"
// Seed: seeds/000_13ce268f039a5445.txt L4822
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/22',
  series: 'lazy-mm',
  index: 22,
  title: 'x86/mm: Optimize for_each_possible_lazymm_cpu()',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L4822',
  apply() {},
});

// PLACEHOLDER (to be written): lazy-mm/08 "membarrier: Remove redundant clear of mm->membarrier_state in exec_mmap()"
// Seed: seeds/000_13ce268f039a5445.txt L2552
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/08',
  series: 'lazy-mm',
  index: 8,
  title: 'membarrier: Remove redundant clear of mm->membarrier_state in exec_mmap()',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L2552',
  apply() {},
});

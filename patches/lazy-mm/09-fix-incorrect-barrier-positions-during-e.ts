// PLACEHOLDER (to be written): lazy-mm/09 "membarrier: Fix incorrect barrier positions during exec and kthread_use_mm()"
// Seed: seeds/000_13ce268f039a5445.txt L2594
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/09',
  series: 'lazy-mm',
  index: 9,
  title: 'membarrier: Fix incorrect barrier positions during exec and kthread_use_mm()',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L2594',
  apply() {},
});

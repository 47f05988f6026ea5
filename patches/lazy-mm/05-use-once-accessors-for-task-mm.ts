// PLACEHOLDER (to be written): lazy-mm/05 "membarrier, kthread: Use _ONCE accessors for task->mm"
// Seed: seeds/000_13ce268f039a5445.txt L746
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/05',
  series: 'lazy-mm',
  index: 5,
  title: 'membarrier, kthread: Use _ONCE accessors for task->mm',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L746',
  apply() {},
});

// PLACEHOLDER (to be written): lazy-mm/16 "sched: Use lightweight hazard pointers to grab lazy mms"
// Seed: seeds/000_13ce268f039a5445.txt L3762
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/16',
  series: 'lazy-mm',
  index: 16,
  title: 'sched: Use lightweight hazard pointers to grab lazy mms',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L3762',
  apply() {},
});

// PLACEHOLDER (to be written): lazy-mm/11 "sched/scs: Initialize shadow stack on idle thread bringup, not shutdown"
// Seed: seeds/000_13ce268f039a5445.txt L2800
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/11',
  series: 'lazy-mm',
  index: 11,
  title: 'sched/scs: Initialize shadow stack on idle thread bringup, not shutdown',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L2800',
  apply() {},
});

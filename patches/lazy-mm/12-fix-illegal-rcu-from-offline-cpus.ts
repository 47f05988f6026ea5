// PLACEHOLDER (to be written): lazy-mm/12 "Rework "sched/core: Fix illegal RCU from offline CPUs""
// Seed: seeds/000_13ce268f039a5445.txt L2891
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/12',
  series: 'lazy-mm',
  index: 12,
  title: 'Rework "sched/core: Fix illegal RCU from offline CPUs"',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L2891',
  apply() {},
});

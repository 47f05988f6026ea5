// PLACEHOLDER (to be written): lazy-mm/14 "sched, exec: Factor current mm changes out from exec"
// Seed: seeds/000_13ce268f039a5445.txt L3394
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/14',
  series: 'lazy-mm',
  index: 14,
  title: 'sched, exec: Factor current mm changes out from exec',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L3394',
  apply() {},
});

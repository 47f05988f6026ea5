// PLACEHOLDER (to be written): lazy-mm/15 "kthread: Switch to __change_current_mm()"
// Seed: seeds/000_13ce268f039a5445.txt L3659
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/15',
  series: 'lazy-mm',
  index: 15,
  title: 'kthread: Switch to __change_current_mm()',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L3659',
  apply() {},
});

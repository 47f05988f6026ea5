// PLACEHOLDER (to be written): lazy-mm/03 "membarrier: Remove membarrier_arch_switch_mm() prototype in core code"
// Seed: seeds/000_13ce268f039a5445.txt L487
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/03',
  series: 'lazy-mm',
  index: 3,
  title: 'membarrier: Remove membarrier_arch_switch_mm() prototype in core code',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L487',
  apply() {},
});

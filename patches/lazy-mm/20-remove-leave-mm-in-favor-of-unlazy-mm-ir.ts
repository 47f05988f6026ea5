// PLACEHOLDER (to be written): lazy-mm/20 "x86/mm: Remove leave_mm() in favor of unlazy_mm_irqs_off()"
// Seed: seeds/000_13ce268f039a5445.txt L4582
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/20',
  series: 'lazy-mm',
  index: 20,
  title: 'x86/mm: Remove leave_mm() in favor of unlazy_mm_irqs_off()',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L4582',
  apply() {},
});

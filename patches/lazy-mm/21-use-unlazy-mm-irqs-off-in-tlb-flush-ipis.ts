// PLACEHOLDER (to be written): lazy-mm/21 "x86/mm: Use unlazy_mm_irqs_off() in TLB flush IPIs"
// Seed: seeds/000_13ce268f039a5445.txt L4780
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/21',
  series: 'lazy-mm',
  index: 21,
  title: 'x86/mm: Use unlazy_mm_irqs_off() in TLB flush IPIs',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L4780',
  apply() {},
});

// PLACEHOLDER (to be written): lazy-mm/23 "x86/mm: Opt in to IRQs-off activate_mm()"
// Seed: seeds/000_13ce268f039a5445.txt L4881
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/23',
  series: 'lazy-mm',
  index: 23,
  title: 'x86/mm: Opt in to IRQs-off activate_mm()',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L4881',
  apply() {},
});

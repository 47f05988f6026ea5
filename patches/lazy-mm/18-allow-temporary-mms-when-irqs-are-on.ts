// PLACEHOLDER (to be written): lazy-mm/18 "x86/mm: Allow temporary mms when IRQs are on"
// Seed: seeds/000_13ce268f039a5445.txt L4444
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/18',
  series: 'lazy-mm',
  index: 18,
  title: 'x86/mm: Allow temporary mms when IRQs are on',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L4444',
  apply() {},
});

// PLACEHOLDER (to be written): lazy-mm/17 "x86/mm: Make use/unuse_temporary_mm() non-static"
// Seed: seeds/000_13ce268f039a5445.txt L4243
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/17',
  series: 'lazy-mm',
  index: 17,
  title: 'x86/mm: Make use/unuse_temporary_mm() non-static',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L4243',
  apply() {},
});

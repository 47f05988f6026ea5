// PLACEHOLDER (to be written): lazy-mm/10 "x86/events, x86/insn-eval: Remove incorrect active_mm references"
// Seed: seeds/000_13ce268f039a5445.txt L2712
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/10',
  series: 'lazy-mm',
  index: 10,
  title: 'x86/events, x86/insn-eval: Remove incorrect active_mm references',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L2712',
  apply() {},
});

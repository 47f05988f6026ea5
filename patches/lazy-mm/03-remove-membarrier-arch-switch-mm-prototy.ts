// lazy-mm/03 "membarrier: Remove membarrier_arch_switch_mm() prototype in core code"
// Seed: seeds/000_13ce268f039a5445.txt L487-541, diff L519-536 (include/linux/sched/mm.h).
// Changes nothing in the model: it deletes the empty !CONFIG_MEMBARRIER stub of
// membarrier_arch_switch_mm(), a build-configuration matter; it exists so bisect positions match.
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'lazy-mm/03',
  series: 'lazy-mm',
  index: 3,
  title: 'membarrier: Remove membarrier_arch_switch_mm() prototype in core code',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L487-541 (diff L519-536)',
  apply() {},
});

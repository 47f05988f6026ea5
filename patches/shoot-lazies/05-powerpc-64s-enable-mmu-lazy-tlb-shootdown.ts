// shoot-lazies/05 "powerpc/64s: enable MMU_LAZY_TLB_SHOOTDOWN" — mainline 77f68ebeee20
// (anchors-upstream.md §1, v7 5/5: "select MMU_LAZY_TLB_SHOOTDOWN if PPC_BOOK3S_64").
// On a powerpc Book3S-64 arch the default of MMU_LAZY_TLB_SHOOTDOWN becomes y (so REFCOUNT
// becomes n); it registers no step: lazyTlbKconfig() reads it from the applied patches.
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'shoot-lazies/05',
  series: 'shoot-lazies',
  index: 5,
  title: 'powerpc/64s: enable MMU_LAZY_TLB_SHOOTDOWN',
  requires: ['shoot-lazies/04'],
  effect: 'behaviour',
  seed: 'anchors-upstream.md §1: 77f68ebeee20 (no diff in the seeds)',
  apply() {
    // arch/powerpc/Kconfig: +	select MMU_LAZY_TLB_SHOOTDOWN		if PPC_BOOK3S_64
  },
});

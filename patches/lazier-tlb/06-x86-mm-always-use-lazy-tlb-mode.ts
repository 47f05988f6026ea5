// lazier-tlb/06 "x86,mm: always use lazy TLB mode" — tip 95b0e6357d3e (anchors-upstream.md §2;
// seeds-001-003-004.md §2.2: "The pre-series baseline ... With PCID, enter_lazy_tlb immediately
// does switch_mm(NULL, &init_mm, NULL)"). Seed 003 L56-59: the optimization "hasn't actually
// worked for a long time, if ever".
// enter_lazy_tlb() always just sets cpu_tlbstate.is_lazy (tlb_defer_switch_to_init_mm() is gone),
// so PCID CPUs, too, stay on the user mm when they run a kernel thread or go idle.
import { definePatch, YIELD, FUSE } from '../../core/model/index.ts';
import { loadedMm, isLazy } from './hooks.ts';

export default definePatch({
  id: 'lazier-tlb/06',
  series: 'lazier-tlb',
  index: 6,
  title: 'x86,mm: always use lazy TLB mode',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/003_7db9a387f0b5ce4c.txt L56-59 (discussion); tip 95b0e6357d3e (anchors-upstream.md §2)',
  apply(r) {
    // -	if (tlb_defer_switch_to_init_mm()) { ... this_cpu_write(cpu_tlbstate.is_lazy, true); }
    // -	else switch_mm(NULL, &init_mm, NULL);
    // +	this_cpu_write(cpu_tlbstate.is_lazy, true);
    r.replace('enter_lazy_tlb', 'tlb_defer_switch_to_init_mm', (k, x) => {
      if (k.ld(x, loadedMm(k, x.cpu)) === k.init_mm) return FUSE;
      k.st(x, isLazy(k, x.cpu), 1);
      return YIELD;
    }, 'set_is_lazy');
  },
});

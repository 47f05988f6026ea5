// lazy-mm/21 "x86/mm: Use unlazy_mm_irqs_off() in TLB flush IPIs"
// Seed: seeds/000_13ce268f039a5445.txt L4780-4821 (diff L4803-4815, arch/x86/mm/tlb.c).
// flush_tlb_func()'s lazy branch ("We're in lazy mode ... just switch to init_mm") calls
// unlazy_mm_irqs_off() instead of switch_mm_irqs_off(NULL, &init_mm, NULL), so the scheduler knows:
// current->active_mm becomes &init_mm, rq->lazy_mm is released and mmdrop_lazy() runs -- from the
// flush IPI handler (hardirq) or the local flush.
import { definePatch, RET, FUSE, fuseCallAgain, H, L } from '../../core/model/index.ts';

declare module '../../core/model/fns.ts' {
  interface KernelSteps { 'flush_tlb_func.unlazy_mm_irqs_off': true }
}

export default definePatch({
  id: 'lazy-mm/21',
  series: 'lazy-mm',
  index: 21,
  title: 'x86/mm: Use unlazy_mm_irqs_off() in TLB flush IPIs',
  requires: ['lazy-mm/12'],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L4780-4821 (diff L4803-4815)',
  apply(r, k) {
    if (!k.arch.name.startsWith('x86')) return;
    //   if (this_cpu_read(cpu_tlbstate_shared.is_lazy)) {
    // -	switch_mm_irqs_off(NULL, &init_mm, NULL);
    // +	unlazy_mm_irqs_off();
    //   	return;
    //   }
    // Resume point 1: unlazy_mm_irqs_off() has returned: `return;`
    r.replace('flush_tlb_func', 'lazy_switch_to_init_mm', (k, x, _f, pc) => {
      if (pc === 1) return RET;
      if (!k.ld(x, k.tlb[x.cpu] + L.TLB_IS_LAZY)) return FUSE;
      k.count('flush_unlazy');
      k.call(x, H.unlazy_mm_irqs_off);
      return fuseCallAgain(1);
    }, 'unlazy_mm_irqs_off');
  },
});

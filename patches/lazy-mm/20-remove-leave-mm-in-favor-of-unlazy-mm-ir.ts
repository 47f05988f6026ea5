// lazy-mm/20 "x86/mm: Remove leave_mm() in favor of unlazy_mm_irqs_off()"
// Seed: seeds/000_13ce268f039a5445.txt L4582-4779 (diff L4628-4773: arch/x86/include/asm/mmu.h,
// arch/x86/mm/tlb.c, arch/x86/xen/mmu_pv.c, drivers/cpuidle/cpuidle.c, drivers/idle/intel_idle.c,
// include/linux/mmu_context.h, kernel/sched/sched.h).
// x86 leave_mm() (CR3 -> init_mm behind the scheduler's back: active_mm, rq->lazy_mm and the lazy
// reference stay) is deleted; its callers -- use_temporary_mm() when is_lazy, cpuidle_enter_state()
// with CPUIDLE_FLAG_TLB_FLUSHED, Xen's drop_mm_ref_this_cpu() -- call the core
// unlazy_mm_irqs_off(), which also moves current->active_mm to &init_mm and drops the lazy mm.
import { definePatch } from '../../core/series/types.ts';
import { H } from '../../core/kernel.ts';
import * as L from '../../core/layout.ts';

export default definePatch({
  id: 'lazy-mm/20',
  series: 'lazy-mm',
  index: 20,
  title: 'x86/mm: Remove leave_mm() in favor of unlazy_mm_irqs_off()',
  requires: ['lazy-mm/12'],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L4582-4779 (diff L4628-4773)',
  apply(r, k) {
    // drivers/cpuidle/cpuidle.c (generic):
    //   if (target_state->flags & CPUIDLE_FLAG_TLB_FLUSHED)
    // -	leave_mm(dev->cpu);
    // +	unlazy_mm_irqs_off();
    if (r.has('cpuidle_enter_state', 'leave_mm')) {
      r.replace('cpuidle_enter_state', 'leave_mm', function* (k, _x, f) {
        if (f.tlb_flushed) yield k.invoke(H.unlazy_mm_irqs_off, {});
      }, 'unlazy_mm_irqs_off');
    }
    if (!k.arch.name.startsWith('x86')) return;
    // arch/x86/mm/tlb.c use_temporary_mm():
    //   if (this_cpu_read(cpu_tlbstate_shared.is_lazy))
    // -	leave_mm(smp_processor_id());
    // +	unlazy_mm_irqs_off();
    r.replace('use_temporary_mm', 'leave_mm', function* (k, x) {
      if (!k.ld(x, k.tlb[x.cpu] + L.TLB_IS_LAZY)) return;
      yield k.invoke(H.unlazy_mm_irqs_off, {});
    }, 'unlazy_mm_irqs_off');
    // arch/x86/xen/mmu_pv.c drop_mm_ref_this_cpu() (when an x86 Xen PV arch models it):
    //   if (this_cpu_read(cpu_tlbstate.loaded_mm) == mm)
    // -	leave_mm(smp_processor_id());
    // +	unlazy_mm_irqs_off();
    if (H.drop_mm_ref_this_cpu !== undefined && r.has('drop_mm_ref_this_cpu', 'leave_mm')) {
      r.replace('drop_mm_ref_this_cpu', 'leave_mm', function* (k, x, f) {
        const lm = k.ld(x, k.tlb[x.cpu] + L.TLB_LOADED_MM);
        yield 0;
        if (lm !== f.mm) return;
        yield k.invoke(H.unlazy_mm_irqs_off, {});
      }, 'unlazy_mm_irqs_off');
    }
    // -void leave_mm(int cpu) { ... switch_mm(NULL, &init_mm, NULL); }
    // A caller left behind would be a model bug, not kernel behaviour: say so loudly.
    for (const s of r.steps('leave_mm')) r.remove('leave_mm', s.name);
    r.add('leave_mm', 'removed_by_lazy_mm_20', (k, x) => {
      throw new Error(`internal: leave_mm() called from ${k.stepOf(x)} after lazy-mm/20 removed it`);
    });
  },
});

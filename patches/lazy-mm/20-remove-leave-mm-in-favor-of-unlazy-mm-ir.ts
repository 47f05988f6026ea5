// lazy-mm/20 "x86/mm: Remove leave_mm() in favor of unlazy_mm_irqs_off()"
// Seed: seeds/000_13ce268f039a5445.txt L4582-4779 (diff L4628-4773: arch/x86/include/asm/mmu.h,
// arch/x86/mm/tlb.c, arch/x86/xen/mmu_pv.c, drivers/cpuidle/cpuidle.c, drivers/idle/intel_idle.c,
// include/linux/mmu_context.h, kernel/sched/sched.h).
// x86 leave_mm() (CR3 -> init_mm behind the scheduler's back: active_mm, rq->lazy_mm and the lazy
// reference stay) is deleted; its callers -- use_temporary_mm() when is_lazy, cpuidle_enter_state()
// with CPUIDLE_FLAG_TLB_FLUSHED, Xen's drop_mm_ref_this_cpu() -- call the core
// unlazy_mm_irqs_off(), which also moves current->active_mm to &init_mm and drops the lazy mm.
import { definePatch, frameExt, ptr, NEXT, FUSE, CALL, FUSE_CALL, again, H, L } from '../../core/model/index.ts';
import { removeFunction } from './_steps.ts';
// arch/x86/xen/mmu_pv.c: static void drop_mm_ref_this_cpu(void *info), an IPI handler whose info
// is the mm, is declared by the Xen PV arch module; this patch adds the loaded_mm its body reads
// before a scheduling point.
import '../../arches/x86-xen-pv.ts';

export const P20_EXT = frameExt({ drop_mm_ref_this_cpu: { loaded_mm: ptr } });
declare module '../../core/model/fns.ts' {
  interface FrameExts { 'lazy-mm/20': typeof P20_EXT }
  interface KernelSteps {
    'cpuidle_enter_state.leave_mm': true; 'cpuidle_enter_state.unlazy_mm_irqs_off': true;
    'use_temporary_mm.leave_mm': true; 'use_temporary_mm.unlazy_mm_irqs_off': true;
    'drop_mm_ref_this_cpu.leave_mm': true; 'drop_mm_ref_this_cpu.unlazy_mm_irqs_off': true;
    'leave_mm.removed_by_lazy_mm_20': true;
  }
}

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
      r.replace('cpuidle_enter_state', 'leave_mm', (k, x, f) => {
        if (!f.tlb_flushed) return NEXT;
        k.call(x, H.unlazy_mm_irqs_off);
        return CALL;
      }, 'unlazy_mm_irqs_off');
    }
    if (!k.arch.name.startsWith('x86')) return;
    // arch/x86/mm/tlb.c use_temporary_mm():
    //   if (this_cpu_read(cpu_tlbstate_shared.is_lazy))
    // -	leave_mm(smp_processor_id());
    // +	unlazy_mm_irqs_off();
    r.replace('use_temporary_mm', 'leave_mm', (k, x) => {
      if (!k.ld(x, k.tlb[x.cpu] + L.TLB_IS_LAZY)) return FUSE;
      k.call(x, H.unlazy_mm_irqs_off);
      return FUSE_CALL;
    }, 'unlazy_mm_irqs_off');
    // arch/x86/xen/mmu_pv.c drop_mm_ref_this_cpu() (when an x86 Xen PV arch models it):
    //   if (this_cpu_read(cpu_tlbstate.loaded_mm) == mm)
    // -	leave_mm(smp_processor_id());
    // +	unlazy_mm_irqs_off();
    // Resume point 1: after the loaded_mm read.
    if (r.has('drop_mm_ref_this_cpu', 'leave_mm')) {
      r.replace('drop_mm_ref_this_cpu', 'leave_mm', (k, x, f, pc) => {
        if (pc === 0) {
          f.loaded_mm = k.ld(x, k.tlb[x.cpu] + L.TLB_LOADED_MM);
          return again(1);
        }
        if (f.loaded_mm !== f.mm) return NEXT;
        k.call(x, H.unlazy_mm_irqs_off);
        return CALL;
      }, 'unlazy_mm_irqs_off');
    }
    // -void leave_mm(int cpu) { ... switch_mm(NULL, &init_mm, NULL); }
    // A caller left behind would be a model bug, not kernel behaviour: say so loudly.
    removeFunction(r, 'leave_mm');
    r.add('leave_mm', 'removed_by_lazy_mm_20', (k, x) => {
      throw new Error(`internal: leave_mm() called from ${k.stepOf(x)} after lazy-mm/20 removed it`);
    });
  },
});

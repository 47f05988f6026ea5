// lazy-mm/10 "x86/events, x86/insn-eval: Remove incorrect active_mm references"
// Seed: seeds/000_13ce268f039a5445.txt L2712-2799, diff L2744-2793 (arch/x86/events/core.c,
// arch/x86/lib/insn-eval.c).
// x86 only: perf's NMI-time get_segment_base() stops dereferencing current->active_mm; it first
// checks nmi_uaccess_okay() (cpu_tlbstate.loaded_mm == current->mm) and then reads
// current->mm->context.ldt. insn-eval's get_desc() gets the same change, but it runs in the user
// task's own context (current->mm == active_mm == loaded mm), and the model has no such reader.
import { definePatch, YIELD, FUSE, L } from '../../core/model/index.ts';

declare module '../../core/model/fns.ts' {
  interface KernelSteps { 'perf_callchain_user.get_segment_base': true }
}

export default definePatch({
  id: 'lazy-mm/10',
  series: 'lazy-mm',
  index: 10,
  title: 'x86/events, x86/insn-eval: Remove incorrect active_mm references',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L2712-2799 (diff L2744-2793)',
  apply(r, k) {
    if (!k.arch.name.startsWith('x86') || !r.has('perf_callchain_user', 'get_segment_base')) return;
    // +	/* If we're not in a valid context with a real (not just lazy) user mm, then don't even try. */
    // +	if (!nmi_uaccess_okay())
    // +		return 0;
    //  	/* IRQs are off, so this synchronizes with smp_store_release */
    // -	ldt = READ_ONCE(current->active_mm->context.ldt);
    // +	ldt = smp_load_acquire(&current->mm->context.ldt);
    r.replace('perf_callchain_user', 'get_segment_base', (k, x) => {
      const cur = k.cpus[x.cpu].curr.ref;
      // nmi_uaccess_okay(): `if (loaded_mm != current_mm) return false;` -- switch_mm_irqs_off()
      // stores LOADED_MM_SWITCHING to loaded_mm before writing CR3, so a match means CR3 (and
      // LDTR) hold current->mm.
      const loaded = k.ld(x, k.tlb[x.cpu] + L.TLB_LOADED_MM);
      const mm = k.ld(x, cur + L.T_MM);
      if (loaded !== mm) return FUSE;
      k.ld(x, mm + L.MM_LDT);
      return YIELD;
    });
  },
});

// lazy-mm/22 "x86/mm: Optimize for_each_possible_lazymm_cpu()"
// Seed: seeds/000_13ce268f039a5445.txt L4822-4880 (diff L4846-4874: arch/x86/include/asm/mmu.h,
// arch/x86/mm/tlb.c).
// On x86, mm_unlazy_mm_count() scans mm_cpumask(mm) instead of every online CPU:
//   #define for_each_possible_lazymm_cpu(cpu, mm) for_each_cpu((cpu), mm_cpumask((mm)))
// (the tlb.c hunk only extends a comment in use_temporary_mm()). Correct only if x86 never drops a
// lazily used mm from mm_cpumask behind the scheduler's back, which is what 19, 20 and 21 ensure.
import { definePatch, YIELD, L } from '../../core/model/index.ts';

declare module '../../core/model/fns.ts' {
  interface KernelSteps { 'for_each_possible_lazymm_cpu.for_each_cpu_mm_cpumask': true }
}

export default definePatch({
  id: 'lazy-mm/22',
  series: 'lazy-mm',
  index: 22,
  title: 'x86/mm: Optimize for_each_possible_lazymm_cpu()',
  requires: ['lazy-mm/16', 'lazy-mm/19', 'lazy-mm/20', 'lazy-mm/21'],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L4822-4880 (diff L4846-4874)',
  apply(r, k) {
    if (!k.arch.name.startsWith('x86')) return;
    // "On x86, mm_cpumask(mm) contains all CPUs that might be lazily using mm"
    r.replace('for_each_possible_lazymm_cpu', 'for_each_online_cpu', (k, x, f) => {
      f.in = k.ld(x, f.mm + L.MM_CPUMASK + f.cpu) !== 0;
      return YIELD;
    }, 'for_each_cpu_mm_cpumask');
  },
});

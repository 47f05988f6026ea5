// lazy-mm/06 "powerpc/membarrier: Remove special barrier on mm switch"
// Seed: seeds/000_13ce268f039a5445.txt L863-1063 (posted twice; the copies differ only in headers),
// diff L915-959 (arch/powerpc/include/asm/membarrier.h, arch/powerpc/mm/mmu_context.c).
// powerpc only: deletes membarrier_arch_switch_mm() (the conditional smp_mb() on the !new_on_cpu
// path of switch_mm_irqs_off) -- and, as posted, deletes only the body line of the unbraced
// `if (!new_on_cpu)`, which then governs the next statement: `if (!new_on_cpu) switch_mmu_context(...)`,
// so a CPU that is new to `next`'s mm_cpumask keeps the previous MMU context (Christophe Leroy,
// seed L6825-6937). No-op on other arches. `--set lazy_mm_06=fixed` models the intended change
// instead (both lines go, switch_mmu_context() stays unconditional), to look at the barrier alone.
import { definePatch, frameExt, bool, NEXT } from '../../core/model/index.ts';
import { wrapStep } from './_steps.ts';

// powerpc's switch_mm_irqs_off() local `bool new_on_cpu` and the steps this patch edits, as
// arches/powerpc.ts declares them (the same declaration twice is fine).
export const P06_EXT = frameExt({ switch_mm_irqs_off: { new_on_cpu: bool } });
declare module '../../core/model/fns.ts' {
  interface FrameExts { 'lazy-mm/06': typeof P06_EXT }
  interface KernelSteps {
    'switch_mm_irqs_off.membarrier_arch_switch_mm': true; 'switch_mm_irqs_off.switch_mmu_context': true;
  }
}

export default definePatch({
  id: 'lazy-mm/06',
  series: 'lazy-mm',
  index: 6,
  title: 'powerpc/membarrier: Remove special barrier on mm switch',
  // "the new generic membarrier_finish_switch_mm() provides the same barrier without arch help"
  requires: ['lazy-mm/04'],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L863-1063 (diff L915-959)',
  options: [
    { name: 'lazy_mm_06', type: 'enum', values: ['as-posted', 'fixed'], default: 'as-posted', help: 'as-posted: the dangling if skips switch_mmu_context() when new_on_cpu (Christophe Leroy\'s review); fixed: the intended change' },
  ],
  apply(r, k) {
    if (k.arch.name !== 'powerpc') return;
    if (!r.has('switch_mm_irqs_off', 'membarrier_arch_switch_mm') || !r.has('switch_mm_irqs_off', 'switch_mmu_context')) return;
    //  	if (!new_on_cpu)
    // -		membarrier_arch_switch_mm(prev, next, tsk);
    r.remove('switch_mm_irqs_off', 'membarrier_arch_switch_mm');
    if (k.param('lazy_mm_06', 'as-posted') === 'fixed') return;
    //  	/* The actual HW switching method differs between the various sub architectures. */
    //  	switch_mmu_context(prev, next, tsk);      <- now the body of `if (!new_on_cpu)`
    // (new_on_cpu does not change inside the step: the test holds at each of its resume points)
    wrapStep(r, 'switch_mm_irqs_off', 'switch_mmu_context', (switch_mmu_context) => (k, x, f, pc) => {
      if (f.new_on_cpu) return NEXT;
      return switch_mmu_context(k, x, f, pc);
    });
  },
});

// Rik van Riel's lazier lazy TLB (seed 003) on the workload it is about: a threaded process whose
// threads nap (their CPUs go lazy on its mm) while a sibling zaps pages without freeing page
// tables (MADV_DONTNEED: a flush lazy CPUs may skip and must catch up via tlb_gen when they come
// back) and then unmaps with page tables freed (munmap: lazy CPUs must be shot off the mm before
// the tables are freed, or a speculative walk reads freed memory). Then everyone exits.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'lazier-tlb-munmap',
  description: 'P.t1 naps on cpu1 (lazy on P) while P.t0 does MADV_DONTNEED and munmap (page tables freed); P.t1 wakes and touches; both exit',
  cpus: { default: 2, min: 2, max: 3 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'madvise_dontneed' }, { op: 'munmap' }, { op: 'touch' }, { op: 'exit' }] });
    for (let c = 1; c < b.cpus; c++)
      b.thread(`P.t${c}`, { mm: 'P', cpu: c, prog: [{ op: 'touch' }, { op: 'sleep' }, { op: 'touch' }, { op: 'exit' }] });
  },
  expect: [
    { config: '--arch x86-4.18', verdict: 'never',
      why: 'v4.18: every flush IPI reaches a lazy CPU, which switches to init_mm' },
    { config: '--arch x86-4.18 --apply lazier-tlb:1-4', verdict: 'never',
      why: '04 skips lazy CPUs on flushes, but 02 IPIs all of mm_cpumask before page tables are freed' },
    { config: '--arch x86-4.18 --apply lazier-tlb:1-5', verdict: 'sometimes', oracle: 'lifetime',
      why: '05\'s mm_fill_lazy_tlb_cpu_mask() collects the CPUs whose is_lazy is clear: the lazy CPU is skipped by both the flush and the page-table free IPI' },
    { config: '--arch x86-4.18 --apply lazier-tlb:1-5 --set X86_FEATURE_PCID=y', verdict: 'never',
      why: 'with PCID, v4.18 switches to init_mm in enter_lazy_tlb(): no CPU is lazy before 06, so 05\'s helper has nothing to get wrong yet' },
    { config: '--arch x86-4.18 --apply lazier-tlb --set X86_FEATURE_PCID=y', verdict: 'sometimes', oracle: 'lifetime',
      why: '06 ("always use lazy TLB mode") makes PCID CPUs lazy too, and 05\'s hole opens there as well' },
    { config: '--arch x86-4.18 --apply lazier-tlb --without lazier-tlb/05 --force', verdict: 'never',
      why: 'with 02\'s IPI to the whole mm_cpumask at page-table free time, skipping lazy CPUs on flushes is safe' },
    { config: '--arch x86', verdict: 'never',
      why: 'the v4.20 redo (the x86 model): freed_tables flushes IPI the whole mm_cpumask' },
  ],
  // Also (test/lazier-tlb.test.ts, PCT): with 04's smp_mb() dropped under TSO
  // (--set memory_model=tso --drop-step switch_mm_irqs_off.smp_mb) the stale-tlb oracle fires.
});

// lazier-tlb/05 "x86,tlb: only send page table free TLB flush to lazy TLB CPUs" — tip
// 64482aafe55f (anchors-upstream.md §2; seeds-001-003-004.md §2.2 "Observation on the reverted
// code"). The seeds carry no diff; the code is the one the 2018-08-22 revert removes, verbatim.
// tlb_flush_remove_tables() IPIs only the CPUs that mm_fill_lazy_tlb_cpu_mask() collects, and
// that helper, as merged, collects the CPUs whose is_lazy is *clear*: the lazy CPUs it is named
// for are skipped, so (with 04 skipping them on flushes too) nothing switches them off the page
// tables being freed — the explorer shows it as a lifetime violation (scenario lazier-tlb-munmap).
import { definePatch, NEXT, CALL, again, H } from '../../core/model/index.ts';
import { isLazy, cpumaskOf } from './hooks.ts';

export default definePatch({
  id: 'lazier-tlb/05',
  series: 'lazier-tlb',
  index: 5,
  title: 'x86,tlb: only send page table free TLB flush to lazy TLB CPUs',
  requires: ['lazier-tlb/02', 'lazier-tlb/04'],
  effect: 'behaviour',
  seed: 'tip 64482aafe55f (anchors-upstream.md §2; code as removed by the revert, seeds-001-003-004.md §2.2)',
  apply(r) {
    // static void mm_fill_lazy_tlb_cpu_mask(struct mm_struct *mm, struct cpumask *lazy_cpus)
    //   for_each_cpu(cpu, mm_cpumask(mm)) { if (!per_cpu(cpu_tlbstate.is_lazy, cpu)) cpumask_set_cpu(cpu, lazy_cpus); }
    // void tlb_flush_remove_tables(struct mm_struct *mm)
    //   if (cpumask_any_but(mm_cpumask(mm), cpu) >= nr_cpu_ids) return;
    //   /* CPUs with !is_lazy either received a TLB flush IPI while the user pages in this address
    //    * range were unmapped, or have context switched and reloaded %CR3 since then.
    //    * Shootdown IPIs at page table freeing time only need to be sent to CPUs that may have
    //    * out of date TLB contents. */
    //   mm_fill_lazy_tlb_cpu_mask(mm, lazy_cpus);
    //   smp_call_function_many(lazy_cpus, tlb_flush_remove_tables_local, (void *)mm, 1);
    // Resume points: 1 after reading mm_cpumask, 2 after reading the is_lazy flags.
    r.replace('tlb_flush_remove_tables', 'smp_call_function_many', (k, x, f, pc) => {
      switch (pc) {
        case 0: // entry
          f.mask = cpumaskOf(k, x, f.mm);
          return again(1);
        case 1: { // after reading mm_cpumask
          if (!f.mask.some((c) => c !== x.cpu)) return NEXT;
          const lazyCpus: number[] = [];
          for (const c of f.mask) if (!k.ld(x, isLazy(k, c))) lazyCpus.push(c);
          f.lazy_cpus = lazyCpus;
          return again(2);
        }
        default: { // 2: after mm_fill_lazy_tlb_cpu_mask()
          const c = k.call(x, H.smp_call_function_many);
          c.mask = f.lazy_cpus;
          c.fn = H.tlb_flush_remove_tables_local;
          c.purpose = 'remove_tables';
          k.ipiArgs(c, H.tlb_flush_remove_tables_local).mm = f.mm;
          return CALL;
        }
      }
    }, 'mm_fill_lazy_tlb_cpu_mask');
  },
});

// lazier-tlb/02 "x86,tlb: leave lazy TLB mode at page table free time" — tip 2ff6ddf19c0e
// (Link 20180716190337.26133-3-riel@surriel.com; anchors-upstream.md §2, seeds-001-003-004.md
// §2.2; the code is the one Peter Zijlstra's revert removes). Seed 003 L25-27 and L46-50 talk
// about it ("The TLB shootdown sent at __exit_mm time", "Maybe just call tlb_flush_remove_tables()").
// tlb_table_flush() first calls tlb_flush_remove_tables(mm), which IPIs every other CPU in
// mm_cpumask; one that is lazy on mm switches to init_mm before the page tables are freed.
import { definePatch, NEXT, CALL, again, H, NULL } from '../../core/model/index.ts';
import { loadedMm, isLazy, cpumaskOf } from './hooks.ts';

export default definePatch({
  id: 'lazier-tlb/02',
  series: 'lazier-tlb',
  index: 2,
  title: 'x86,tlb: leave lazy TLB mode at page table free time',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/003_7db9a387f0b5ce4c.txt L25-27, L46-50 (discussion); tip 2ff6ddf19c0e (anchors-upstream.md §2)',
  apply(r) {
    // void tlb_table_flush(struct mmu_gather *tlb) { + tlb_flush_remove_tables(tlb->mm); ...
    // (tlb_flush_mmu_free() -> tlb_table_flush(): before the page tables are freed, which the model
    // does in tlb_flush_mmu_free and the page-level model's tlb_table_flush step)
    r.add('tlb_flush_mmu', 'tlb_flush_remove_tables', (k, x, tlb) => {
      k.call(x, H.tlb_flush_remove_tables).mm = tlb.mm;
      return CALL;
    }, { before: 'tlb_flush_mmu_free' });
    // void tlb_flush_remove_tables(struct mm_struct *mm)
    //   int cpu = get_cpu();
    //   /* XXX: this really only needs to be called for CPUs in lazy TLB mode. */
    //   if (cpumask_any_but(mm_cpumask(mm), cpu) < nr_cpu_ids)
    //       smp_call_function_many(mm_cpumask(mm), tlb_flush_remove_tables_local, (void *)mm, 1);
    // Resume point 1: after reading mm_cpumask.
    r.add('tlb_flush_remove_tables', 'smp_call_function_many', (k, x, f, pc) => {
      if (pc === 0) {
        f.mask = cpumaskOf(k, x, f.mm);
        return again(1);
      }
      if (!f.mask.some((c) => c !== x.cpu)) return NEXT;
      const c = k.call(x, H.smp_call_function_many);
      c.mask = f.mask;
      c.fn = H.tlb_flush_remove_tables_local;
      c.purpose = 'remove_tables';
      k.ipiArgs(c, H.tlb_flush_remove_tables_local).mm = f.mm;
      return CALL;
    });
    // void tlb_flush_remove_tables_local(void *arg)
    //   if (this_cpu_read(cpu_tlbstate.loaded_mm) == mm && this_cpu_read(cpu_tlbstate.is_lazy))
    //       switch_mm_irqs_off(NULL, &init_mm, NULL);  /* "We're in lazy mode. ..." */
    // Resume point 1: after reading cpu_tlbstate.
    r.add('tlb_flush_remove_tables_local', 'switch_to_init_mm', (k, x, f, pc) => {
      if (pc === 0) {
        f.loaded_mm = k.ld(x, loadedMm(k, x.cpu));
        f.is_lazy = k.ld(x, isLazy(k, x.cpu)) !== 0;
        return again(1);
      }
      if (f.loaded_mm !== f.mm || !f.is_lazy) return NEXT;
      k.count('remove_tables_unlazy');
      const c = k.call(x, H.switch_mm_irqs_off);
      c.prev = NULL;
      c.next = k.init_mm;
      c.tsk = NULL;
      return CALL;
    });
  },
});

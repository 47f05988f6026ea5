// lazy-mmu/02 "sparc/mm: Disable preemption in lazy mmu mode" — upstream a1d416bf9faf ("Fixes:
// 38e0edb15bd0"; seeds-001-003-004.md §1.5); seed 001 describes it only as "Follow up commits will
// fix the arch-specific implementations" ("Sparc looks to be totally broken in the face of
// preemption"). The seeds carry no diff.
// On sparc64, arch_enter_lazy_mmu_mode() does preempt_disable() before tb->active = 1 and
// arch_leave_lazy_mmu_mode() preempt_enable() after tb->active = 0, so a region is never switched
// out with the per-CPU tlb_batch active; nothing changes on other arches.
import { definePatch, preemptDisable, preemptEnable, NEXT } from '../../core/model/index.ts';
import { isSparc64 } from './arch.ts';

export default definePatch({
  id: 'lazy-mmu/02',
  series: 'lazy-mmu',
  index: 2,
  title: 'sparc/mm: Disable preemption in lazy mmu mode',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/001_452a225ad1e82ef5.txt L1 ("Follow up commits will fix the arch-specific implementations"); upstream a1d416bf9faf',
  apply(r, k) {
    if (!isSparc64(k.arch.name)) return;
    // void arch_enter_lazy_mmu_mode(void)
    // {
    // -	struct tlb_batch *tb = this_cpu_ptr(&tlb_batch);
    // +	struct tlb_batch *tb;
    // +	preempt_disable();
    // +	tb = this_cpu_ptr(&tlb_batch);
    // 	tb->active = 1;
    r.add('arch_enter_lazy_mmu_mode', 'preempt_disable', (k, x) => { preemptDisable(k, x); return NEXT; }, { before: 'tb_active' });
    // void arch_leave_lazy_mmu_mode(void) { ... tb->active = 0; + preempt_enable(); }
    r.add('arch_leave_lazy_mmu_mode', 'preempt_enable', (k, x) => { preemptEnable(k, x); return NEXT; }, { after: 'tb_inactive' });
  },
});

// A lazy MMU region that can be preempted (seed 001: "For kernel mappings the region is no longer
// protected by any lock so there is no longer any guarantee about non-preemptibility"): kthread K
// populates kernel PTEs with apply_to_page_range() while a user task waits for the same CPU.
// Xen PV saves the mode of the task it switches out (TIF_LAZY_MMU_UPDATES); sparc64 keeps it in a
// per-CPU tlb_batch nobody saves ("Sparc looks to be totally broken in the face of preemption").
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'lazy-mmu-preempt',
  description: 'kthread K: apply_to_page_range() on 3 kernel PTEs (cpu0, preemptible between PTEs) while Q.t0 is runnable on cpu0',
  cpus: { default: 1, min: 1, max: 2 },
  setup(b) {
    b.kthread('K', { cpu: 0, prog: [{ op: 'apply_to_page_range', ptes: 3 }] });
    b.process('Q');
    b.thread('Q.t0', { mm: 'Q', cpu: 0, prog: [{ op: 'touch' }, { op: 'exit' }] });
  },
  expect: [
    { config: '--arch sparc64 --apply lazy-mmu/03', verdict: 'sometimes', oracle: 'lazy-mmu',
      why: 'K is preempted with tlb_batch.active set on cpu0: Q.t0 runs in K\'s lazy MMU mode' },
    { config: '--arch sparc64 --apply lazy-mmu', verdict: 'never',
      why: '02: arch_enter_lazy_mmu_mode() disables preemption for the region' },
    { config: '--arch sparc64', verdict: 'sometimes', oracle: 'lazy-mmu',
      why: 'already at v5.16: apply_to_pte_range()\'s region (38e0edb15bd0) is preemptible for kernel mappings, and sparc64 keeps the mode in a per-CPU tlb_batch nobody saves (a1d416bf9faf, lazy-mmu/02 in v1, says "Fixes: 38e0edb15bd0")' },
    { config: '--arch x86', verdict: 'never',
      why: 'v5.16: the callback\'s set_pte_at() is set_pte() (no set_ptes() nesting before v6.6), and native x86 keeps no lazy MMU state a preemption could lose' },
    { config: '--arch x86-xen-pv --apply lazy-mmu', verdict: 'never',
      why: 'paravirt_start_context_switch() leaves MMU mode for K and re-enters it when K runs again' },
  ],
});

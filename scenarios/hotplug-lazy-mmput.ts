// CPU hotplug against __mmput(): cpu1 is lazily on P when cpu0 takes it down, and P's last user
// leaves P on cpu2 while cpu1 is out of cpu_online_mask but not dead yet (its idle task still has
// active_mm == P, rq->lazy_mm == P and CR3 == P until do_idle()'s unlazy_mm_irqs_off()).
//
// With lazy-mm/16's default for_each_possible_lazymm_cpu() (for_each_online_cpu), the scan in
// mm_unlazy_mm_count() skips the dying CPU (patch 16's own "XXX: I *think* this is correct when
// hot-unplugging a CPU"); TLB-flush IPIs skip it too (smp_call_function_many_cond() masks with
// cpu_online_mask). lazy-mm/22's mm_cpumask scan still sees it.
//
// P's last user leaves by execve or by the kthread's mmput, never by exit() (see exit-mm-leak).
//
// Independently of the series, P's exit_mmap() flush skips the dying CPU too, so P's page tables
// are freed while its CR3 may still walk them (baseline: 'lifetime'). The expectations that study
// the mm_struct/pgd lifetime keep the page tables (--drop-step tlb_flush_mmu.tlb_flush_mmu_free).
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'hotplug-lazy-mmput',
  description: 'K borrows P on cpu1 and goes lazy on it; H takes cpu1 down from cpu0 while P.t0 execs away from P on cpu2 (or K\'s mmput drops P\'s last user)',
  cpus: { default: 3, min: 3, max: 4 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 2, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'exec' }, { op: 'wait' }] });
    b.kthread('K', {
      cpu: 1,
      prog: [{ op: 'mmget_not_zero', mm: 'P' }, { op: 'kthread_use_mm', mm: 'P' }, { op: 'touch' },
        { op: 'kthread_unuse_mm' }, { op: 'wake', task: 'P.t0' }, { op: 'wake', task: 'H' }, { op: 'mmput', mm: 'P' }],
    });
    b.kthread('H', { cpu: 0, prog: [{ op: 'wait' }, { op: 'cpu_down', cpu: 1 }] });
  },
  expect: [
    { config: '--arch x86', verdict: 'sometimes', oracle: 'lifetime',
      why: 'pre-existing: TLB-flush IPIs skip CPUs outside cpu_online_mask, so P\'s page tables are freed while the dying cpu1 (lazy, CR3 == P) may still walk them' },
    { config: '--arch x86 --drop-step tlb_flush_mmu.tlb_flush_mmu_free', verdict: 'never',
      why: 'the idle task\'s lazy mm_count reference keeps P until finish_cpu() (12: until unlazy_mm_irqs_off())' },
    { config: '--arch x86 --apply lazy-mm:1-15 --drop-step tlb_flush_mmu.tlb_flush_mmu_free', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm:1-16 --drop-step tlb_flush_mmu.tlb_flush_mmu_free', verdict: 'sometimes', oracle: 'lifetime',
      why: 'for_each_online_cpu() skips the dying cpu1 although rq1->lazy_mm == P: P is freed while cpu1 still runs on its pgd' },
    { config: '--arch x86 --apply lazy-mm:1-21 --drop-step tlb_flush_mmu.tlb_flush_mmu_free', verdict: 'sometimes', oracle: 'lifetime' },
    { config: '--arch x86 --apply lazy-mm --drop-step tlb_flush_mmu.tlb_flush_mmu_free', verdict: 'sometimes', oracle: 'kasan',
      why: 'the mm_cpumask scan sees the dying cpu1, but not once its unlazy_mm_irqs_off() has cleared the bit and not yet written CR3 (as in lazy-switch-exit)' },
  ],
});

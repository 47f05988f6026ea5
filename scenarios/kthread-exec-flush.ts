// A kthread that is lazily on P execs (kernel_execve(), e.g. a usermode helper) while P's munmap
// sends a freed-page-tables flush IPI to its CPU.
//
// __change_current_mm(mm, true) stores tsk->mm = mm and, unless the arch selects
// ARCH_WANT_IRQS_OFF_ACTIVATE_MM, enables IRQs before activate_mm(): for that moment the CPU is
// still lazily on P (is_lazy, CR3 == P) but current->mm != NULL. From lazy-mm/21 on,
// flush_tlb_func()'s lazy branch calls unlazy_mm_irqs_off(), which hits WARN_ON_ONCE(current->mm)
// and returns without switching away from P -- and flush_tlb_func() returns without flushing, so
// P's page tables are freed while the CPU may still walk them. lazy-mm/23 (x86 selects
// ARCH_WANT_IRQS_OFF_ACTIVATE_MM) closes the window.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'kthread-exec-flush',
  description: 'K borrows P on cpu1, goes lazy on it and execs; P.t0 munmaps P (freed tables: flush IPI to cpu1) meanwhile',
  cpus: { default: 2, min: 2, max: 3 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'munmap' }, { op: 'wait' }] });
    b.kthread('K', {
      cpu: 1,
      prog: [{ op: 'mmget_not_zero', mm: 'P' }, { op: 'kthread_use_mm', mm: 'P' }, { op: 'touch' },
        { op: 'kthread_unuse_mm' }, { op: 'wake', task: 'P.t0' }, { op: 'mmput', mm: 'P' }, { op: 'exec' }, { op: 'wait' }],
    });
  },
  expect: [
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm:1-20', verdict: 'never',
      why: 'flush_tlb_func() still switches to init_mm itself; activate_mm() then switches from init_mm' },
    { config: '--arch x86 --apply lazy-mm:1-21', verdict: 'sometimes', oracle: 'warn',
      why: 'unlazy_mm_irqs_off() from the flush IPI sees current->mm != NULL: WARN_ON_ONCE and no flush' },
    { config: '--arch x86 --apply lazy-mm:1-22', verdict: 'sometimes', oracle: 'warn' },
    { config: '--arch x86 --apply lazy-mm', verdict: 'never',
      why: '23: IRQs stay off from tsk->mm = mm until activate_mm() has switched CR3' },
  ],
});

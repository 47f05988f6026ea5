// A reference parked in rq->drop_mm is dropped by the flush IPI handler.
//
// K on cpu1 goes lazy on X, then kthread_use_mm(Y): __change_current_mm() switches X -> Y and
// releases rq->lazy_mm only after switch_mm_irqs_off() and local_irq_enable(), and (unlike
// context_switch()) never calls mmdrop_lazy(). If X's last user leaves meanwhile, X's exit flush
// no longer sees cpu1 in mm_cpumask(X), but the default online scan still reads rq1->lazy_mm == X
// and parks X's last reference in rq1->drop_mm. K then goes lazy on Y; Y's munmap (freed tables)
// IPIs cpu1, and from lazy-mm/21 on flush_tlb_func() -> unlazy_mm_irqs_off() -> mmdrop_lazy()
// drops the parked X from hardirq: __mmdrop() (pgd_free takes pgd_lock) in an IPI handler.
//
// The last users leave by execve or by the kthread's mmput, never by exit() (see exit-mm-leak).
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'lazy-drop-irq',
  description: 'K on cpu1 borrows X, goes lazy on it, then borrows Y while X.t0 execs away from X; Y.t0 then munmaps Y (flush IPI to cpu1, lazy on Y)',
  cpus: { default: 2, min: 2, max: 3 },
  setup(b) {
    b.process('X');
    b.thread('X.t0', { mm: 'X', cpu: 0, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'exec' }, { op: 'wait' }] });
    b.process('Y');
    b.thread('Y.t0', { mm: 'Y', cpu: 0, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'munmap' }, { op: 'wait' }] });
    b.kthread('K', {
      cpu: 1,
      prog: [
        { op: 'mmget_not_zero', mm: 'X' }, { op: 'kthread_use_mm', mm: 'X' }, { op: 'touch' }, { op: 'kthread_unuse_mm' },
        { op: 'mmput', mm: 'X' }, { op: 'wake', task: 'X.t0' },
        { op: 'mmget_not_zero', mm: 'Y' }, { op: 'kthread_use_mm', mm: 'Y' }, { op: 'touch' }, { op: 'kthread_unuse_mm' },
        { op: 'wake', task: 'Y.t0' }, { op: 'mmput', mm: 'Y' },
      ],
    });
  },
  expect: [
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm:1-20', verdict: 'never',
      why: 'before 21 the flush IPI switches CR3 without mmdrop_lazy(); the parked X is dropped by a later finish_task_switch()' },
    { config: '--arch x86 --apply lazy-mm:1-21', verdict: 'sometimes', oracle: 'context',
      why: 'flush_tlb_func() -> unlazy_mm_irqs_off() -> mmdrop_lazy() -> mmdrop() -> __mmdrop(X) in hardirq' },
    { config: '--arch x86 --apply lazy-mm', verdict: 'sometimes', oracle: 'kasan',
      why: 'the mm_cpumask scan skips cpu1 while it is still switching away from X; switch_ldt() then reads the freed X (see lazy-switch-exit)' },
  ],
});

// A kthread that is lazily on P pokes kernel text (text_poke -> use_temporary_mm(poking_mm)); then
// P's last user leaves P and the kthread's CPU switches again.
//
// Before lazy-mm/20, use_temporary_mm() calls x86 leave_mm() when is_lazy: CR3 goes to init_mm and
// the CPU leaves mm_cpumask(P) behind the scheduler's back, while current->active_mm and
// rq->lazy_mm stay P. With lazy-mm/22's mm_cpumask scan, __mmput() skips the CPU and frees P, and
// the next context_switch() trips kasan_check_byte(prev->active_mm). With 20,
// unlazy_mm_irqs_off() moves active_mm to init_mm and releases the hazard pointer first.
//
// The workload orders itself with wait/wake: the poke happens before K wakes P.t0, so P's last
// user cannot leave while cpu1 is still switching away from P. P's last user leaves by execve or by
// the kthread's mmput, never by exit() (see exit-mm-leak).
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'lazy-text-poke',
  description: 'K borrows P on cpu1, goes lazy on it and text_pokes; then P.t0 execs away from P (or K\'s mmput drops its last user) and Q.t1 runs on cpu1',
  cpus: { default: 2, min: 2, max: 3 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'exec' }, { op: 'wake', task: 'Q.t1' }, { op: 'wait' }] });
    b.process('Q');
    b.thread('Q.t1', { mm: 'Q', cpu: 1, prog: [{ op: 'wait' }, { op: 'touch' }, { op: 'wait' }] });
    b.kthread('K', {
      cpu: 1,
      prog: [{ op: 'mmget_not_zero', mm: 'P' }, { op: 'kthread_use_mm', mm: 'P' }, { op: 'touch' },
        { op: 'kthread_unuse_mm' }, { op: 'text_poke' }, { op: 'wake', task: 'P.t0' }, { op: 'mmput', mm: 'P' }],
    });
  },
  expect: [
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm:1-19', verdict: 'never',
      why: 'leave_mm() still runs behind the scheduler\'s back, but the default online scan finds rq1->lazy_mm == P and parks a reference' },
    { config: '--arch x86 --apply lazy-mm', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm --without lazy-mm/20 --force', verdict: 'sometimes', oracle: 'kasan',
      why: 'leave_mm() drops cpu1 from mm_cpumask(P) with active_mm == P; the mm_cpumask scan skips cpu1 and P is freed under it' },
  ],
});

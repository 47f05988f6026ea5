// Xen PV: the last mmput() of an mm runs on a CPU that is still lazily on it (a kthread that
// borrowed the mm with kthread_use_mm() and dropped its mm_users reference last).
//
// xen_exit_mmap() does get_cpu(); xen_drop_mm_ref(mm); put_cpu(): drop_mm_ref_this_cpu() runs on the
// local CPU with preemption off but IRQs on, and leave_mm()s if loaded_mm == mm (leave_mm() uses
// switch_mm(), which saves and disables IRQs itself). lazy-mm/20 makes that call
// unlazy_mm_irqs_off(), which asserts IRQs off (lockdep_assert_irqs_disabled) and calls
// switch_mm_irqs_off() with IRQs on (x86's WARN_ON_ONCE(!irqs_disabled())). An exit() of a
// process's last thread takes the same path (the exiting CPU is lazily on the mm after exit_mm()).
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'xen-exit-unlazy',
  description: 'K borrows P on cpu1 and goes lazy on it; P.t0 execs away from P; then K drops P\'s last mm_users reference on cpu1',
  cpus: { default: 2, min: 2, max: 3 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'exec' }, { op: 'wake', task: 'K' }, { op: 'wait' }] });
    b.kthread('K', {
      cpu: 1,
      prog: [{ op: 'mmget_not_zero', mm: 'P' }, { op: 'kthread_use_mm', mm: 'P' }, { op: 'touch' },
        { op: 'kthread_unuse_mm' }, { op: 'wake', task: 'P.t0' }, { op: 'wait' }, { op: 'mmput', mm: 'P' }],
    });
  },
  expect: [
    { config: '--arch x86-xen-pv', verdict: 'never' },
    { config: '--arch x86-xen-pv --apply lazy-mm:1-19', verdict: 'never' },
    { config: '--arch x86-xen-pv --apply lazy-mm:1-20', verdict: 'sometimes', oracle: 'context',
      why: 'drop_mm_ref_this_cpu() -> unlazy_mm_irqs_off() from xen_exit_mmap() with IRQs on' },
    { config: '--arch x86-xen-pv --apply lazy-mm', verdict: 'sometimes', oracle: 'context' },
    { config: '--arch x86 --apply lazy-mm', verdict: 'never', why: 'bare metal has no xen_exit_mmap()' },
  ],
});

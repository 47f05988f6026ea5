// A perf NMI on a CPU that is leaving a lazily used mm. v5.16 x86's get_segment_base() (perf, NMI
// context) dereferences current->active_mm->context.ldt; lazy-mm/10 makes it check
// nmi_uaccess_okay() and use current->mm instead. Kthread K borrows P on cpu1 (kthread_use_mm ...
// kthread_unuse_mm, mmput, then wakes P.t0) and stays lazily on P until Q.t1 runs there; P.t0 then
// execs away from P on cpu0, dropping P's last user. NMIs may hit cpu1 anywhere, e.g. inside context_switch() after
// switch_mm_irqs_off() has moved CR3 and mm_cpumask to Q but before current (K, whose active_mm is
// P) is switched out. In v5.16 K's active_mm holds an mm_count reference; once lazy mms are
// hazard pointers (lazy-mm/16) that __mmput() looks for only in mm_cpumask (lazy-mm/22), nothing
// keeps P alive there. Nobody exits: the threads end blocked, so only P is torn down.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'nmi-active-mm',
  description: 'perf NMIs on cpu1 while kthread K, lazily on P after kthread_unuse_mm, is switched out for Q.t1, and P.t0 execs away from P (P\'s last user) on cpu0',
  cpus: { default: 2, min: 2, max: 4 },
  setup(b) {
    b.process('P');
    // P.t0 waits for K to be done with P before it execs (as a driver's owner would).
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'exec' }, { op: 'touch' }, { op: 'wait' }] });
    b.kthread('K', {
      cpu: 1,
      prog: [{ op: 'mmget_not_zero', mm: 'P' }, { op: 'kthread_use_mm', mm: 'P' }, { op: 'touch' },
        { op: 'kthread_unuse_mm' }, { op: 'mmput', mm: 'P' }, { op: 'wake', task: 'P.t0' }],
    });
    b.process('Q');
    b.thread('Q.t1', { mm: 'Q', cpu: 1, prog: [{ op: 'touch' }, { op: 'wait' }] });
    b.nmi(1, 2);
  },
  expect: [
    { config: '--arch x86', verdict: 'never', why: 'K\'s lazy active_mm holds an mm_count reference until finish_task_switch()' },
    { config: '--arch x86 --apply lazy-mm:1-10', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm:1-21 --without lazy-mm/10 --force', verdict: 'never',
      why: 'without 22, __mmput() looks for hazard pointers on every online CPU, and cpu1 publishes P until after the switch' },
    { config: '--arch x86 --apply lazy-mm --without lazy-mm/10 --force', verdict: 'sometimes', oracle: 'kasan',
      why: 'with 16 and 22, __mmput() skips cpu1 once it has left mm_cpumask(P) and frees P; the NMI then reads K->active_mm->context.ldt' },
  ],
});

// membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) from the threads of a registered process P while a
// kernel thread borrows P's mm (kthread_use_mm, uaccess, kthread_unuse_mm) on another CPU: the
// kthread's `tsk->mm = mm` store changes rq->curr->mm to P, so patch 01's rule wants a full barrier
// before it (and after it, before the uaccess), as for the scheduler's store to rq->curr.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'membarrier-kthread',
  description: 'membarrier-registered P: P.t0 does membarrier() between a user store and load while kthread K borrows P (kthread_use_mm, uaccess, kthread_unuse_mm); P.t1 naps, membarriers on K\'s CPU and blocks',
  cpus: { default: 2, min: 2, max: 4 },
  memoryModel: 'tso',
  setup(b) {
    b.process('P', { membarrier: true });
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'store', v: 'x', val: 1 }, { op: 'membarrier' }, { op: 'load', v: 'y', reg: 'r0' }, { op: 'exit' }] });
    // P.t1 ends blocked, so P outlives the scenario: it is about membarrier, not process teardown.
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'touch' }, { op: 'sleep' }, { op: 'membarrier' }, { op: 'wait' }] });
    b.kthread('K', {
      cpu: 1,
      prog: [{ op: 'mmget_not_zero', mm: 'P' }, { op: 'kthread_use_mm', mm: 'P' }, { op: 'store', v: 'y', val: 1 },
        { op: 'load', v: 'x', reg: 'r1' }, { op: 'kthread_unuse_mm' }, { op: 'mmput', mm: 'P' }],
    });
  },
  // membarrier's guarantee, observed: whichever way K and membarrier() interleave, the store-buffering
  // outcome is forbidden (K is either IPI'd, or ordered by the barriers around its ->mm stores).
  forbid: (s) => (s.reg('P.t0', 'r0') === 0 && s.reg('K', 'r1') === 0 ? 'r0 == 0 && r1 == 0: membarrier() returned without ordering K\'s uaccesses' : null),
  expect: [
    { config: '--arch x86', verdict: 'sometimes', oracle: 'membarrier',
      why: 'v5.16 kthread_use_mm() stores tsk->mm = mm with no full barrier before it (strict rule of patch 01)' },
    { config: '--arch x86 --set membarrier_checker=observed', verdict: 'never',
      why: 'no membarrier() call can tell: K has no earlier accesses of P to order, and TSO keeps its stores in order' },
    { config: '--arch x86 --apply lazy-mm:1-8', verdict: 'sometimes', oracle: 'membarrier',
      why: '04 adds the barrier after the switch, not before the ->mm store' },
    { config: '--arch x86 --apply lazy-mm:1-9', verdict: 'never',
      why: '09 adds smp_mb__after_spinlock() after task_lock() in kthread_use_mm()' },
    { config: '--arch x86 --apply lazy-mm:1-9 --without lazy-mm/04 --force', verdict: 'never',
      why: 'without 04 the post-switch barrier still comes from the CR3 write or the lazy smp_mb()' },
  ],
});

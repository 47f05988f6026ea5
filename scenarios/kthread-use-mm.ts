// A kernel thread pins a process's mm with mmget_not_zero, borrows it with kthread_use_mm, and
// gives it back while the process exits on another CPU: the kthread may drop the last mm_users
// reference, so __mmput runs from the kthread while its own CPU is lazily on the mm.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'kthread-use-mm',
  description: 'kthread K borrows P\'s mm (mmget_not_zero, kthread_use_mm, uaccess, kthread_unuse_mm, mmput) while P exits on another CPU',
  cpus: { default: 2, min: 2, max: 4 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'sleep' }, { op: 'touch' }, { op: 'exit' }] });
    // K pins P's mm_struct (mmgrab by whoever created it), then borrows the address space.
    b.kthread('K', {
      cpu: 1,
      pins: ['P'],
      prog: [{ op: 'mmget_not_zero', mm: 'P' }, { op: 'kthread_use_mm', mm: 'P' }, { op: 'touch' },
        { op: 'kthread_unuse_mm' }, { op: 'mmput', mm: 'P' }, { op: 'mmdrop', mm: 'P' }],
    });
    b.process('Q');
    b.thread('Q.t1', { mm: 'Q', cpu: 1, prog: [{ op: 'sleep' }, { op: 'sleep' }, { op: 'touch' }, { op: 'exit' }] });
  },
  expect: [
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch x86 --drop-step kthread_use_mm.mmgrab_active_mm', verdict: 'sometimes' },
  ],
});

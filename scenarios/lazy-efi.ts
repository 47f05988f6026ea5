// A kthread that is lazily on P calls an EFI runtime service (efi_enter_mm .. efi_leave_mm, with
// IRQs on and preemption off, as efi_call_virt_pointer() runs them) while P's last user leaves P.
//
// Before lazy-mm/19, efi_enter_mm() sets current->active_mm = &efi_mm and switch_mm()es, which drops
// the CPU from mm_cpumask(P) while rq->lazy_mm stays P; with lazy-mm/22's mm_cpumask scan, __mmput()
// skips the CPU and frees P, and efi_leave_mm() switches back into the freed P.
// From lazy-mm/19 on, efi_enter_mm() is use_temporary_mm(&efi_mm), which (18) no longer asserts
// IRQs off but still calls switch_mm_irqs_off() -- and, from 20, unlazy_mm_irqs_off() -- with IRQs
// on: x86's WARN_ON_ONCE(!irqs_disabled()) and lockdep_assert_irqs_disabled() (oracle 'context').
//
// P's last user leaves by execve or by the kthread's mmput, never by exit() (see exit-mm-leak).
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'lazy-efi',
  description: 'K borrows P on cpu1, goes lazy on it, wakes P.t0 and calls EFI; P.t0 execs away from P (or K\'s mmput drops its last user) meanwhile',
  cpus: { default: 2, min: 2, max: 3 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'exec' }, { op: 'wait' }] });
    b.kthread('K', {
      cpu: 1,
      prog: [{ op: 'mmget_not_zero', mm: 'P' }, { op: 'kthread_use_mm', mm: 'P' }, { op: 'touch' },
        { op: 'kthread_unuse_mm' }, { op: 'wake', task: 'P.t0' }, { op: 'mmput', mm: 'P' }, { op: 'efi_call' }],
    });
  },
  expect: [
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm:1-18', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm:1-19', verdict: 'sometimes', oracle: 'context',
      why: 'use_temporary_mm() calls switch_mm_irqs_off() with IRQs on (EFI runtime services run with IRQs enabled)' },
    { config: '--arch x86 --apply lazy-mm', verdict: 'sometimes', oracle: 'context' },
    { config: '--arch x86 --apply lazy-mm --without lazy-mm/19 --force', verdict: 'sometimes',
      why: 'the old efi_enter_mm() drops cpu1 from mm_cpumask(P) while rq1->lazy_mm == P; the mm_cpumask scan skips cpu1 and P is freed under it' },
  ],
});

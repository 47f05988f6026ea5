// A CPU that is lazily on P switches to another process's thread while P's last user leaves P.
//
// x86's switch_mm_irqs_off() clears the CPU from mm_cpumask(real_prev) first ("Stop remote flushes
// for the previous mm"), then writes CR3 (and later reads real_prev->context.ldt in switch_ldt());
// context_switch() releases rq->lazy_mm only after switch_mm_irqs_off() returns. With lazy-mm/22,
// mm_unlazy_mm_count() scans mm_cpumask(mm) instead of the hazard pointers of online CPUs, so a
// __mmput() that runs inside that window skips the switching CPU although its rq->lazy_mm is still
// P, and frees the pgd while the CPU's CR3 still points to it. With the default online scan
// (lazy-mm:1-21) the same scan sees rq->lazy_mm == P and parks a reference.
//
// P's last user leaves by execve or by the kthread's mmput, never by exit() (see exit-mm-leak).
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'lazy-switch-exit',
  description: 'K borrows P on cpu1 and goes lazy on it; Q.t1 then runs on cpu1 (switch away from the lazy P) while P.t0 execs away from P on cpu0, dropping P\'s last user',
  cpus: { default: 2, min: 2, max: 3 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'exec' }, { op: 'wait' }] });
    b.process('Q');
    b.thread('Q.t1', { mm: 'Q', cpu: 1, prog: [{ op: 'sleep' }, { op: 'touch' }, { op: 'wait' }] });
    b.kthread('K', {
      cpu: 1,
      prog: [{ op: 'mmget_not_zero', mm: 'P' }, { op: 'kthread_use_mm', mm: 'P' }, { op: 'touch' },
        { op: 'kthread_unuse_mm' }, { op: 'wake', task: 'P.t0' }, { op: 'mmput', mm: 'P' }],
    });
  },
  expect: [
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm:1-21', verdict: 'never',
      why: 'the default online scan reads rq1->lazy_mm == P until context_switch() releases it, and parks a reference' },
    { config: '--arch x86 --apply lazy-mm', verdict: 'sometimes', oracle: 'kasan',
      why: 'mm_cpumask(P) lost cpu1 at the start of switch_mm_irqs_off(); the mm_cpumask scan skips cpu1 and __mmdrop() frees P while cpu1 still holds its pgd in CR3 and then reads P->context.ldt in switch_ldt()' },
  ],
});

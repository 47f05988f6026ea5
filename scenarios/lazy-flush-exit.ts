// A freed-page-tables TLB flush reaches a CPU that is lazily on the mm, then the mm's last user
// leaves it (so __mmput() runs mm_unlazy_mm_count()), and only then does the lazy CPU switch again.
//
// Before lazy-mm/21, x86's flush_tlb_func() switches a lazy CPU to init_mm behind the scheduler's
// back: CR3 and mm_cpumask(P) drop P, but current->active_mm and rq->lazy_mm still say P. With
// lazy-mm/22's mm_cpumask scan, __mmput() then skips that CPU and frees P; the CPU's next
// context_switch() does kasan_check_byte(prev->active_mm) on the freed mm. With 21 the flush IPI
// goes through unlazy_mm_irqs_off() and nothing is left pointing at P.
//
// The workload orders itself with wait/wake (never the interleaving): K pins P (mmget_not_zero
// needs P alive, so P.t0 waits for K), P.t0 munmaps while cpu1 is lazy on P and only then wakes
// Q.t1 on cpu1. P's last user leaves it by execve (P.t0) or by the kthread's mmput (K), not by
// exit(): after lazy-mm/16 every exit_mm() leaks its mmgrab() (scenario exit-mm-leak), which would
// keep P alive. Threads end with `wait`, so no exit leaks into the verdict.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'lazy-flush-exit',
  description: 'K borrows P on cpu1 and goes lazy on it; P.t0 munmaps (freed tables: flush IPI to the lazy cpu1), wakes Q.t1 on cpu1 and execs away, so P\'s last user is gone',
  cpus: { default: 2, min: 2, max: 3 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', {
      mm: 'P', cpu: 0,
      prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'munmap' }, { op: 'wake', task: 'Q.t1' }, { op: 'exec' }, { op: 'wait' }],
    });
    b.process('Q');
    b.thread('Q.t1', { mm: 'Q', cpu: 1, prog: [{ op: 'wait' }, { op: 'touch' }, { op: 'wait' }] });
    b.kthread('K', {
      cpu: 1,
      prog: [{ op: 'mmget_not_zero', mm: 'P' }, { op: 'kthread_use_mm', mm: 'P' }, { op: 'touch' },
        { op: 'kthread_unuse_mm' }, { op: 'wake', task: 'P.t0' }, { op: 'mmput', mm: 'P' }],
    });
  },
  expect: [
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm:1-21', verdict: 'never',
      why: 'the default online scan finds rq1->lazy_mm == P and parks a reference in rq1->drop_mm' },
    { config: '--arch x86 --apply lazy-mm', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm --without lazy-mm/21 --force', verdict: 'sometimes', oracle: 'kasan',
      why: 'flush_tlb_func() drops cpu1 from mm_cpumask(P) behind the scheduler\'s back; the mm_cpumask scan skips it and P is freed under cpu1\'s active_mm' },
  ],
});

// A single-threaded process exits; another process then runs on the same CPU.
//
// exit_mm() still does mmgrab(mm) before `current->mm = NULL; enter_lazy_tlb()` (the series
// changes kernel/exit.c only in lazy-mm/05, a WRITE_ONCE). Before lazy-mm/16 that reference is the
// dead task's lazy reference: the next kernel->user switch hands it to rq->prev_mm and
// finish_task_switch() mmdrop()s it. After 16 neither context_switch() nor finish_task_switch()
// drops anything (the kernel->user path only releases rq->lazy_mm, which exit_mm() never set), so
// every exit_mm() leaks one mm_count reference: the mm_struct and its pgd are never freed. The
// 'leak' oracle reports it at quiescence, once no CPU or task references P any more.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'exit-mm-leak',
  description: 'P.t0 exits on cpu0; Q.t0 then runs on cpu0, so nothing references P any more',
  cpus: { default: 1, min: 1, max: 2 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'exit' }] });
    b.process('Q');
    b.thread('Q.t0', { mm: 'Q', cpu: 0, prog: [{ op: 'sleep' }, { op: 'touch' }, { op: 'wait' }] });
  },
  expect: [
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm:1-15', verdict: 'never' },
    { config: '--arch x86 --apply lazy-mm:1-16', verdict: 'sometimes', oracle: 'leak',
      why: 'exit_mm()\'s mmgrab() is never dropped once rq->prev_mm and the lazy mmdrop() are gone' },
    { config: '--arch x86 --apply lazy-mm', verdict: 'sometimes', oracle: 'leak' },
  ],
});

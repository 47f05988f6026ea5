// Both threads of a process exit and nothing else runs: every CPU ends lazily on the dead
// process's mm (its idle task's active_mm, its CR3).
//
// Up to lazy-mm/15 that is fine: each exit_mm() mmgrab()s the mm before `current->mm = NULL`, and
// that reference becomes the exiting task's lazy active_mm reference, handed to the idle task at
// the switch (kernel->kernel: `next->active_mm = prev->active_mm`); the next kernel->user switch
// on that CPU would drop it through rq->prev_mm. After lazy-mm/16 a lazy active_mm holds no
// reference and nothing drops exit_mm()'s (the series changes kernel/exit.c only in 05): both
// references leak. The CPUs staying lazily on P used to hide that (the old leak check counted any
// CPU still pointing at P as a reference, hazard pointers included) until lazy-mm/21 unlazied
// them; with reference ownership the leak is reported with 16, naming exit_mm()'s reference.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'exit-lazy-leak',
  description: 'P.t0 (cpu0) and P.t1 (cpu1) both exit; nothing else runs, so both CPUs stay lazily on P',
  cpus: { default: 2, min: 2, max: 3 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'exit' }] });
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'touch' }, { op: 'exit' }] });
  },
  expect: [
    { config: '--arch x86', verdict: 'never',
      why: 'each exit_mm() reference becomes the idle task\'s lazy active_mm reference' },
    { config: '--arch x86 --apply lazy-mm:1-15', verdict: 'never',
      why: 'as in v5.16: a lazy active_mm still holds its mm_count reference' },
    { config: '--arch x86 --apply lazy-mm:1-16', verdict: 'sometimes', oracle: 'leak',
      why: 'a lazy active_mm holds no reference after 16, and nothing drops exit_mm()\'s mmgrab(): the leak names exit_mm.mmgrab even though both CPUs still point at P' },
    { config: '--arch x86 --apply lazy-mm', verdict: 'sometimes', oracle: 'leak' },
  ],
});

// A multi-threaded process whose threads nap (their CPUs go lazy on its mm) and then exit, so the
// last user tears the mm down while other CPUs still hold it lazily. A second process then runs
// on CPU 0, so a lazy reference is given back by a kernel->user switch while others remain.
import { defineScenario } from '../core/scenario.ts';

export default defineScenario({
  name: 'lazy-exit',
  description: 'threads of P nap and exit on every CPU; the last exit tears P down while other CPUs are lazily on it; Q then runs on cpu0',
  cpus: { default: 3, min: 2, max: 4 },
  setup(b) {
    b.process('P');
    for (let c = 0; c < b.cpus; c++) {
      b.thread(`P.t${c}`, { mm: 'P', cpu: c, prog: [{ op: 'touch' }, { op: 'sleep' }, { op: 'touch' }, { op: 'exit' }] });
    }
    b.process('Q');
    b.thread('Q.t0', { mm: 'Q', cpu: 0, prog: [{ op: 'sleep' }, { op: 'touch' }, { op: 'exit' }] });
  },
  expect: [
    { config: '--arch x86', verdict: 'clean' },
    { config: '--arch x86 --drop-step context_switch.mmgrab_lazy', verdict: 'violation', oracle: 'kasan',
      why: 'without the lazy mmgrab, the kernel->user mmdrop in finish_task_switch frees the mm under its users' },
  ],
});

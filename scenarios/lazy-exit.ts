// A multi-threaded process whose threads nap (their CPUs go lazy on its mm) and then exit, so the
// last user tears the mm down while other CPUs still hold it lazily. A second process then runs
// on CPU 0, so a lazy reference is given back by a kernel->user switch while others remain.
import { defineScenario } from '../core/model/index.ts';

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
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch x86 --drop-step context_switch.mmgrab_lazy', verdict: 'sometimes', oracle: 'kasan',
      why: 'without the lazy mmgrab, the kernel->user mmdrop in finish_task_switch frees the mm under its users' },
    // shoot-lazies (Nick Piggin, v6.4) and Andy Lutomirski's NACK of it (seed 004)
    { config: '--arch powerpc --apply shoot-lazies', verdict: 'never',
      why: 'powerpc selects MMU_LAZY_TLB_SHOOTDOWN (05): __mmdrop IPIs the sticky mm_cpumask and lazy users switch to init_mm' },
    { config: '--arch x86 --apply shoot-lazies --set MMU_LAZY_TLB_REFCOUNT=n --set MMU_LAZY_TLB_SHOOTDOWN=n --force', verdict: 'sometimes', oracle: 'kasan',
      why: 'Andy\'s [HACK]: the exit flush switches lazy CPUs to init_mm, but active_mm still points at the freed mm; kasan_check_byte(prev->active_mm) in context_switch sees it' },
    { config: '--arch x86 --apply shoot-lazies --set MMU_LAZY_TLB_SHOOTDOWN=y', verdict: 'sometimes', oracle: 'kasan',
      why: 'x86 does not meet the SHOOTDOWN precondition: switch_mm_irqs_off() clears mm_cpumask when the exit flush switches a lazy CPU to init_mm, so cleanup_lazy_tlbs() misses it (seed 000 L6021)' },
  ],
});

// powerpc's post-switch barrier for membarrier(): a user->user switch to a registered mm that is
// already in this CPU's (sticky) mm_cpumask gets its smp_mb() from membarrier_arch_switch_mm() in
// v5.16, and from the generic membarrier_finish_switch_mm() after lazy-mm/04; lazy-mm/06 removes the
// former. P.t1 hands cpu1 to Q.t1 and gets it back directly (Q.t1 wakes it and waits), then does
// a store-buffering test against P.t0's membarrier() on cpu0 (TSO: powerpc is weaker still).
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'membarrier-ppc-switch',
  description: 'registered P: P.t1 and Q.t1 hand cpu1 back and forth (user->user switches), then P.t1 runs y=1; r1=x while P.t0 runs x=1; membarrier(); r0=y on cpu0',
  cpus: { default: 2, min: 2, max: 2 },
  memoryModel: 'tso',
  setup(b) {
    b.process('P', { membarrier: true });
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'store', v: 'x', val: 1 }, { op: 'membarrier' }, { op: 'load', v: 'y', reg: 'r0' }, { op: 'wait' }] });
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'store', v: 'y', val: 1 }, { op: 'load', v: 'x', reg: 'r1' }, { op: 'wait' }] });
    b.process('Q');
    b.thread('Q.t1', { mm: 'Q', cpu: 1, prog: [{ op: 'touch' }, { op: 'wake', task: 'P.t1' }, { op: 'wait' }] });
  },
  forbid: (s) => (s.reg('P.t0', 'r0') === 0 && s.reg('P.t1', 'r1') === 0 ? 'r0 == 0 && r1 == 0: membarrier() returned without ordering cpu1, which had just switched to P' : null),
  expect: [
    { config: '--arch powerpc', verdict: 'never' },
    { config: '--arch powerpc --apply lazy-mm:1-5', verdict: 'never' },
    { config: '--arch powerpc --apply lazy-mm:1-6', verdict: 'sometimes', oracle: 'warn',
      why: '06 as posted: `if (!new_on_cpu) switch_mmu_context(...)`, so a CPU new to P keeps the old PID' },
    { config: '--arch powerpc --apply lazy-mm:1-6 --set lazy_mm_06=fixed', verdict: 'never',
      why: 'with 04, membarrier_finish_switch_mm() provides the barrier 06 removes' },
    { config: '--arch powerpc --apply lazy-mm:1-6 --without lazy-mm/04 --force --set lazy_mm_06=fixed', verdict: 'sometimes', oracle: 'membarrier',
      why: '06 without 04: no full barrier after a switch to P when P is already in mm_cpumask' },
    { config: '--arch powerpc --apply lazy-mm:1-6 --without lazy-mm/04 --force --set lazy_mm_06=fixed --set membarrier_checker=off', verdict: 'sometimes', oracle: 'outcome',
      why: 'and the store-buffering outcome membarrier() forbids becomes possible' },
    { config: '--arch powerpc --apply lazy-mm:1-6 --without lazy-mm/04 --force --set lazy_mm_06=fixed --set membarrier_checker=observed', verdict: 'sometimes', oracle: 'membarrier',
      why: 'observed: cpu1 loaded P\'s memory while its switch to P was still in its store buffer, and membarrier() read the old rq1->curr' },
    { config: '--arch powerpc --apply lazy-mm:1-6 --without lazy-mm/04 --force --set lazy_mm_06=fixed --set membarrier_checker=observed --set memory_model=sc', verdict: 'never',
      why: 'under SC no store is buffered: whatever membarrier() skipped was ordered after its read (the observed checker used to report the missing barrier itself)' },
  ],
});

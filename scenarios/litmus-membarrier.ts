// membarrier() turns store buffering into a forbidden outcome: x=1; membarrier(); r1=y || y=1;
// r2=x. Under x86-TSO, r1 == r2 == 0 must never happen when the other thread runs the same mm:
// membarrier's IPI makes its CPU execute a full barrier (the guarantee patch 01 documents).
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'litmus-membarrier',
  description: 'SB litmus test with membarrier(PRIVATE_EXPEDITED) on one side, under TSO: the (0,0) outcome is forbidden',
  cpus: { default: 2, min: 2, max: 2 },
  memoryModel: 'tso',
  // PCT finds the three-preemption window (store buffered across the IPI) quickly; DFS's
  // default bound of two preemptions cannot reach it.
  strategy: 'pct',
  budget: 20000,
  params: { membarrier_checker: 'off' }, // judge by the observed outcome only
  setup(b) {
    b.process('P', { membarrier: true });
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'store', v: 'x', val: 1 }, { op: 'membarrier' }, { op: 'load', v: 'y', reg: 'r1' }] });
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'store', v: 'y', val: 1 }, { op: 'load', v: 'x', reg: 'r2' }] });
  },
  forbid: (s) => (s.reg('P.t0', 'r1') === 0 && s.reg('P.t1', 'r2') === 0 ? 'r1 == 0 && r2 == 0 across membarrier(): the other CPU was not ordered' : null),
  expect: [
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch powerpc --apply shoot-lazies', verdict: 'never',
      why: 'was a false WARN_ON_ONCE(mm == current->active_mm) in __mmdrop: the check read memory, not the CPU\'s own store buffer where active_mm = &init_mm was still waiting' },
    { config: '--arch x86 --drop-step ipi_mb.smp_mb', verdict: 'sometimes', oracle: 'outcome',
      why: 'without the barrier in the IPI handler the remote store can stay buffered past membarrier()' },
  ],
});

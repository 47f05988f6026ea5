// Store buffering (SB): x=1; r1=y || y=1; r2=x. r1 == r2 == 0 is impossible under SC and
// allowed under x86-TSO; this scenario checks the memory models themselves.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'litmus-sb',
  description: 'store-buffering litmus test on two threads of one process (checks the SC and TSO memory models)',
  cpus: { default: 2, min: 2, max: 2 },
  memoryModel: 'tso',
  budget: 20000,
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'store', v: 'x', val: 1 }, { op: 'load', v: 'y', reg: 'r1' }] });
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'store', v: 'y', val: 1 }, { op: 'load', v: 'x', reg: 'r2' }] });
  },
  forbid: (s) => (s.reg('P.t0', 'r1') === 0 && s.reg('P.t1', 'r2') === 0 ? 'r1 == 0 && r2 == 0: both loads passed both stores (store buffering)' : null),
  expect: [
    { config: '--arch x86 --set memory_model=sc', verdict: 'never' },
    { config: '--arch x86', verdict: 'sometimes', oracle: 'outcome', why: 'x86-TSO lets each load pass the other CPU\'s buffered store' },
    { config: '--arch powerpc --apply shoot-lazies --set memory_model=sc', verdict: 'never',
      why: 'the exit shootdown switches lazy CPUs to init_mm before __mmdrop(); no report under SC' },
    { config: '--arch powerpc --apply shoot-lazies', verdict: 'sometimes', oracle: 'outcome',
      why: 'only the store-buffering outcome TSO allows: __mmdrop()\'s WARN_ON_ONCE(mm == current->active_mm) reads what its CPU sees (its own store buffer first), not memory, so the active_mm = &init_mm still buffered on that CPU no longer looks like P (test/oracles.test.ts verifies no WARN is reachable)' },
  ],
});

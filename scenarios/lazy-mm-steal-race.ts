// The race that __try_mm_drop_rq_ref()'s comment spells out ("NB: it is critical that we load
// rq->lazy_mm again after loading drop_mm"): a scanner for M reads rq1->lazy_mm == M; cpu1 then
// moves on to X and goes lazy on X; X's last user leaves and X's scanner parks X's last reference
// in rq1->drop_mm; the first scanner finds drop_mm == X. Re-reading rq1->lazy_mm (== X) it knows
// cpu1 stopped using M ("We got lucky!"); trusting its earlier read instead it would steal and drop
// the reference that keeps X alive under cpu1 (--drop-step __try_mm_drop_rq_ref.reload_lazy_mm).
//
// Parking needs a lazy CPU that X's exit flush did not unlazy: before lazy-mm/21 the flush IPI
// switches CR3 behind the scheduler's back and leaves rq->lazy_mm alone, so the expectations use
// lazy-mm:1-20. Last users leave by execve, never by exit() (see exit-mm-leak).
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'lazy-mm-steal-race',
  description: 'K on cpu1 goes lazy on M, then on X, while M.t0 (cpu0) and X.t2 (cpu2) exec away from M and X',
  cpus: { default: 3, min: 3, max: 4 },
  setup(b) {
    b.process('M');
    b.thread('M.t0', { mm: 'M', cpu: 0, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'exec' }, { op: 'wait' }] });
    b.process('X');
    b.thread('X.t2', { mm: 'X', cpu: 2, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'exec' }, { op: 'wait' }] });
    b.kthread('K', {
      cpu: 1,
      prog: [
        { op: 'mmget_not_zero', mm: 'M' }, { op: 'kthread_use_mm', mm: 'M' }, { op: 'touch' }, { op: 'kthread_unuse_mm' },
        { op: 'mmput', mm: 'M' }, { op: 'wake', task: 'M.t0' },
        { op: 'mmget_not_zero', mm: 'X' }, { op: 'kthread_use_mm', mm: 'X' }, { op: 'touch' }, { op: 'kthread_unuse_mm' },
        { op: 'wake', task: 'X.t2' }, { op: 'mmput', mm: 'X' },
      ],
    });
  },
  // The window needs three CPUs and a preemption inside each scan: bounded DFS (2 preemptions)
  // does not reach it. Three preemptions are PCT depth 4 (three priority change points): seeds 1-3
  // find the dangling report after 8, 76 and 87 schedules (depth 3: after 18, 348 and 153; with
  // KASAN as the oracle, before the dangling-pointer oracle: 1302, 2323, 1667 and 3696, 10392, 3137).
  strategy: 'pct',
  pctDepth: 4,
  expect: [
    { config: '--arch x86 --apply lazy-mm:1-20', verdict: 'clean' },
    { config: '--arch x86 --apply lazy-mm:1-20 --drop-step __try_mm_drop_rq_ref.reload_lazy_mm', verdict: 'sometimes', oracle: 'dangling',
      why: 'the stale lazy_mm read lets M\'s scanner steal and drop the reference parked for X while cpu1 is lazily on X: X is freed while rq1->lazy_mm and swapper/1->active_mm point to it, reported even when nothing dereferences X afterwards (KASAN, which needs an access, was the oracle before the dangling-pointer oracle)' },
  ],
});

// lazy-mm/08 "membarrier: Remove redundant clear of mm->membarrier_state in exec_mmap()"
// Seed: seeds/000_13ce268f039a5445.txt L2552-2592, diff L2576-2587 (kernel/sched/membarrier.c).
// membarrier_exec_mmap() stops storing 0 to the new mm's membarrier_state (already 0: mm_alloc()
// zeroes it, asserted here); it keeps smp_mb() and the rq->membarrier_state store. The value is
// unchanged, but the model has one store fewer per exec (a trace line, and a store-buffer commit
// under TSO), so this is not a trace-identical patch.
import { definePatch, YIELD, L } from '../../core/model/index.ts';

declare module '../../core/model/fns.ts' {
  interface KernelSteps { 'membarrier_exec_mmap.this_cpu_write_rq_state': true }
}

export default definePatch({
  id: 'lazy-mm/08',
  series: 'lazy-mm',
  index: 8,
  title: 'membarrier: Remove redundant clear of mm->membarrier_state in exec_mmap()',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L2552-2592 (diff L2576-2587)',
  apply(r) {
    //  	smp_mb();
    // -	atomic_set(&mm->membarrier_state, 0);
    //  	/* Keep the runqueue membarrier_state in sync with this mm membarrier_state. */
    //  	this_cpu_write(runqueues.membarrier_state, 0);
    r.replace('membarrier_exec_mmap', 'clear_state', (k, x, f) => {
      // "exec_mmap() supplies a brand-new mm from mm_alloc(), and membarrier_state is already 0."
      if (k.peek(f.mm + L.MM_MEMBARRIER_STATE) !== 0)
        throw new Error(`internal: exec_mmap() got ${k.name(f.mm)} with membarrier_state != 0 (mm_alloc() zeroes it)`);
      k.st(x, k.rq[x.cpu] + L.RQ_MEMBARRIER_STATE, 0);
      return YIELD;
    }, 'this_cpu_write_rq_state');
  },
});

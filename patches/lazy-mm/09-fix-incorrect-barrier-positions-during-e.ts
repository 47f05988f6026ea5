// lazy-mm/09 "membarrier: Fix incorrect barrier positions during exec and kthread_use_mm()"
// Seed: seeds/000_13ce268f039a5445.txt L2594-2710, diff L2629-2705 (fs/exec.c, include/linux/sched/mm.h,
// kernel/kthread.c, kernel/sched/membarrier.c).
// exec_mmap(): membarrier_exec_mmap() (smp_mb(); rq->membarrier_state = 0) is replaced by
// smp_mb__after_spinlock() after task_lock() plus membarrier_update_current_mm(mm) after the ->mm
// store; kthread_use_mm() gains smp_mb__after_spinlock() after task_lock(), the full barrier before
// its ->mm store that it lacked; membarrier_exec_mmap() is deleted.
import { definePatch, YIELD, CALL, H } from '../../core/model/index.ts';
import { removeFunction } from './_steps.ts';

declare module '../../core/model/fns.ts' {
  interface KernelSteps {
    'exec_mmap.smp_mb__after_spinlock': true; 'exec_mmap.membarrier_update_current_mm': true;
    'kthread_use_mm.smp_mb__after_spinlock': true;
  }
}

export default definePatch({
  id: 'lazy-mm/09',
  series: 'lazy-mm',
  index: 9,
  title: 'membarrier: Fix incorrect barrier positions during exec and kthread_use_mm()',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L2594-2710 (diff L2629-2705)',
  apply(r) {
    //  	task_lock(tsk);
    // -	membarrier_exec_mmap(mm);
    // +	/* membarrier() requires a full barrier before switching mm. */
    // +	smp_mb__after_spinlock();
    r.remove('exec_mmap', 'membarrier_exec_mmap');
    r.add('exec_mmap', 'smp_mb__after_spinlock', (k, x) => {
      k.mb(x, 'smp_mb__after_spinlock');
      return YIELD;
    }, { after: 'task_lock' });
    //  	WRITE_ONCE(tsk->mm, mm);  /* membarrier reads this without locks */
    // +	membarrier_update_current_mm(mm);
    r.add('exec_mmap', 'membarrier_update_current_mm', (k, x, f) => {
      k.call(x, H.membarrier_update_current_mm).mm = f.mm;
      return CALL;
    }, { after: 'set_mm' });
    // kernel/sched/membarrier.c: void membarrier_exec_mmap(struct mm_struct *mm) is deleted.
    removeFunction(r, 'membarrier_exec_mmap');

    // kthread_use_mm():
    //  	task_lock(tsk);
    // +	/* membarrier() requires a full barrier before switching mm. */
    // +	smp_mb__after_spinlock();
    //  	/* Hold off tlb flush IPIs while switching mm's */
    //  	local_irq_disable();
    r.add('kthread_use_mm', 'smp_mb__after_spinlock', (k, x) => {
      k.mb(x, 'smp_mb__after_spinlock');
      return YIELD;
    }, { after: 'task_lock' });
  },
});

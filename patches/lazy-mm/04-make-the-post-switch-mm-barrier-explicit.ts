// lazy-mm/04 "membarrier: Make the post-switch-mm barrier explicit"
// Seed: seeds/000_13ce268f039a5445.txt L543-744, diff L599-739 (fs/exec.c, include/linux/sched/mm.h,
// kernel/kthread.c, kernel/sched/core.c).
// Adds membarrier_finish_switch_mm(mm) (smp_mb() if mm is registered PRIVATE/GLOBAL_EXPEDITED) after
// switch_mm_irqs_off() in context_switch()'s to-user branch and in kthread_use_mm(), and after
// activate_mm() in exec_mmap(); kthread_use_mm() loses its unconditional smp_mb() when
// active_mm == mm. finish_task_switch()'s mmdrop() stays (only its comment changes).
import { definePatch, fns, ptr, NEXT, YIELD, CALL, H, NULL, L } from '../../core/model/index.ts';

const EXPEDITED = L.MEMBARRIER_STATE_GLOBAL_EXPEDITED | L.MEMBARRIER_STATE_PRIVATE_EXPEDITED;

// static inline void membarrier_finish_switch_mm(struct mm_struct *mm)   (include/linux/sched/mm.h)
export const P04 = fns({ membarrier_finish_switch_mm: { mm: ptr } });
declare module '../../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof P04> {}
  interface KernelSteps {
    'membarrier_finish_switch_mm.smp_mb': true; 'context_switch.membarrier_finish_switch_mm': true;
    'kthread_use_mm.membarrier_finish_switch_mm': true; 'kthread_use_mm.mmdrop_active_mm': true;
    'exec_mmap.membarrier_finish_switch_mm': true;
  }
}

export default definePatch({
  id: 'lazy-mm/04',
  series: 'lazy-mm',
  index: 4,
  title: 'membarrier: Make the post-switch-mm barrier explicit',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L543-744 (diff L599-739)',
  apply(r) {
    // include/linux/sched/mm.h, the generic version (no arch overrides it in this series):
    // static inline void membarrier_finish_switch_mm(struct mm_struct *mm)
    // { if (atomic_read(&mm->membarrier_state) & (GLOBAL_EXPEDITED | PRIVATE_EXPEDITED)) smp_mb(); }
    r.add('membarrier_finish_switch_mm', 'smp_mb', (k, x, f) => {
      const state = k.ld(x, f.mm + L.MM_MEMBARRIER_STATE);
      if (state & EXPEDITED) k.mb(x);
      return YIELD;
    });

    // context_switch(), to-user branch:
    //   membarrier_switch_mm(rq, prev->active_mm, next->mm);
    //   switch_mm_irqs_off(prev->active_mm, next->mm, next);
    //   membarrier_finish_switch_mm(next->mm);
    r.add('context_switch', 'membarrier_finish_switch_mm', (k, x, f) => {
      if (f.next_mm === NULL) return NEXT;
      k.call(x, H.membarrier_finish_switch_mm).mm = f.next_mm;
      return CALL;
    }, { after: 'switch_mm_irqs_off' });

    // kthread_use_mm(): switch_mm_irqs_off(active_mm, mm, tsk); membarrier_finish_switch_mm(mm);
    // local_irq_enable(); ...
    r.add('kthread_use_mm', 'membarrier_finish_switch_mm', (k, x, f) => {
      k.call(x, H.membarrier_finish_switch_mm).mm = f.mm;
      return CALL;
    }, { after: 'switch_mm_irqs_off' });
    // ... `if (active_mm != mm) mmdrop(active_mm); else smp_mb();` loses its else branch.
    r.replace('kthread_use_mm', 'mmdrop_active_mm', (k, x, f) => {
      if (f.active_mm === f.mm) return NEXT;
      k.call(x, H.mmdrop).mm = f.active_mm;
      return CALL;
    });

    // exec_mmap(): activate_mm(active_mm, mm); [local_irq_enable() if ARCH_WANT_IRQS_OFF_ACTIVATE_MM]
    // membarrier_finish_switch_mm(mm); tsk->mm->vmacache_seqnum = 0; ...
    r.add('exec_mmap', 'membarrier_finish_switch_mm', (k, x, f) => {
      k.call(x, H.membarrier_finish_switch_mm).mm = f.mm;
      return CALL;
    }, { after: 'irq_enable_after_activate_mm' });
  },
});

// lazy-mm/14 "sched, exec: Factor current mm changes out from exec"
// Seed: seeds/000_13ce268f039a5445.txt L3394-3658 (diff L3421-3652: fs/exec.c,
// include/linux/sched/mm.h, kernel/sched/core.c).
// Adds the core helpers __change_current_mm(mm, mm_is_brand_new) and
// __change_current_mm_to_kernel() (new kernel functions, step by step as in the diff) and makes
// exec_mmap() call the first: its open-coded switch (task_lock .. task_unlock, the
// BUG_ON(active_mm != old_mm) and the trailing mmdrop(active_mm)) is gone; the reference work for
// exec (mmput(old_mm) for a user task, mmdrop of a kthread's lazy active_mm) is unchanged.
import {
  definePatch, fns, ptr, task, bool, NEXT, YIELD, FUSE, FUSE_RET, CALL,
  H, NULL, L, writeTaskMm, irqOff,
  type StepRegistry, type Kernel, type Ctx,
} from '../../core/model/index.ts';
import { removeFunction } from './_steps.ts';

// void __change_current_mm(struct mm_struct *mm, bool mm_is_brand_new)  (kernel/sched/core.c)
// void __change_current_mm_to_kernel(void)
// (tsk: current; the rest are the C locals)
export const P14 = fns({
  __change_current_mm: { tsk: task, mm: ptr, brand_new: bool, mm_to_drop: ptr, old_active_mm: ptr },
  __change_current_mm_to_kernel: { tsk: task, old_mm: ptr },
});
declare module '../../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof P14> {}
  interface KernelSteps {
    '__change_current_mm.task_lock': true; '__change_current_mm.smp_mb__after_spinlock': true;
    '__change_current_mm.local_irq_disable': true; '__change_current_mm.mm_to_drop': true;
    '__change_current_mm.set_mm': true; '__change_current_mm.membarrier_update_current_mm': true;
    '__change_current_mm.irq_enable_before_activate_mm': true; '__change_current_mm.activate_mm': true;
    '__change_current_mm.irq_enable_after_activate_mm': true; '__change_current_mm.switch_mm_irqs_off': true;
    '__change_current_mm.local_irq_enable': true; '__change_current_mm.membarrier_finish_switch_mm': true;
    '__change_current_mm.vmacache_flush': true; '__change_current_mm.task_unlock': true;
    '__change_current_mm.finish_arch_post_lock_switch': true; '__change_current_mm.mmdrop_mm_to_drop': true;
    '__change_current_mm_to_kernel.read_old_mm': true; '__change_current_mm_to_kernel.task_lock': true;
    '__change_current_mm_to_kernel.smp_mb__after_spinlock': true; '__change_current_mm_to_kernel.warn_active_mm': true;
    '__change_current_mm_to_kernel.local_irq_disable': true; '__change_current_mm_to_kernel.clear_mm': true;
    '__change_current_mm_to_kernel.membarrier_update_current_mm': true; '__change_current_mm_to_kernel.vmacache_flush': true;
    '__change_current_mm_to_kernel.mmgrab': true; '__change_current_mm_to_kernel.enter_lazy_tlb': true;
    '__change_current_mm_to_kernel.local_irq_enable': true; '__change_current_mm_to_kernel.task_unlock': true;
    'exec_mmap.exec_mm_release': true; 'exec_mmap.__change_current_mm': true; 'exec_mmap.mmput_old_mm': true;
  }
}

/** local_irq_enable(): an interrupt that became pending while IRQs were off is taken right here,
 *  so this is an interleaving point (YIELD) for the engine's IRQ delivery. */
function irqEnable(k: Kernel, x: Ctx): number {
  k.cpus[x.cpu].irqsOff = false;
  return YIELD;
}
/** IS_ENABLED(CONFIG_ARCH_WANT_IRQS_OFF_ACTIVATE_MM) before lazy-mm/23 (which selects it on x86). */
export const wantIrqsOffActivateMm = (k: Kernel) => k.flag('ARCH_WANT_IRQS_OFF_ACTIVATE_MM', k.arch.wantIrqsOffActivateMm);
const nothing = () => NEXT;

/** void __change_current_mm(struct mm_struct *mm, bool mm_is_brand_new) */
function registerChangeCurrentMm(r: StepRegistry) {
  // BUG_ON(!mm); task_lock(tsk);
  r.add('__change_current_mm', 'task_lock', (k, x, f) => {
    k.warn(x, f.mm === NULL, 'BUG_ON(!mm) in __change_current_mm');
    return NEXT;
  });
  // "membarrier() requires a full barrier before switching mm."
  r.add('__change_current_mm', 'smp_mb__after_spinlock', (k, x) => {
    k.mb(x, 'smp_mb__after_spinlock');
    return YIELD;
  });
  r.add('__change_current_mm', 'local_irq_disable', irqOff);
  // if (tsk->mm) sync_mm_rss(tsk->mm);
  // else mm_to_drop = tsk->active_mm;  /* "Switching from kernel mm to user.  Drop the old lazy mm reference." */
  r.add('__change_current_mm', 'mm_to_drop', (k, x, f) => {
    const cur = k.ld(x, f.tsk + L.T_MM);
    f.mm_to_drop = cur !== NULL ? NULL : k.ld(x, f.tsk + L.T_ACTIVE_MM);
    return FUSE;
  });
  // old_active_mm = tsk->active_mm; tsk->active_mm = mm; WRITE_ONCE(tsk->mm, mm);
  r.add('__change_current_mm', 'set_mm', (k, x, f) => {
    f.old_active_mm = k.ld(x, f.tsk + L.T_ACTIVE_MM);
    k.st(x, f.tsk + L.T_ACTIVE_MM, f.mm);
    writeTaskMm(k, x, f.tsk, f.mm);
    return YIELD;
  });
  r.add('__change_current_mm', 'membarrier_update_current_mm', (k, x, f) => {
    k.call(x, H.membarrier_update_current_mm).mm = f.mm;
    return CALL;
  });
  // if (mm_is_brand_new) {
  //     if (!IS_ENABLED(CONFIG_ARCH_WANT_IRQS_OFF_ACTIVATE_MM)) local_irq_enable();
  //     activate_mm(old_active_mm, mm);
  //     if (IS_ENABLED(CONFIG_ARCH_WANT_IRQS_OFF_ACTIVATE_MM)) local_irq_enable();
  // } else {
  //     switch_mm_irqs_off(old_active_mm, mm, tsk);
  //     local_irq_enable();
  // }
  r.add('__change_current_mm', 'irq_enable_before_activate_mm', (k, x, f) => {
    return f.brand_new && !wantIrqsOffActivateMm(k) ? irqEnable(k, x) : NEXT;
  });
  r.add('__change_current_mm', 'activate_mm', (k, x, f) => {
    if (!f.brand_new) return NEXT;
    const c = k.call(x, H.activate_mm);
    c.prev = f.old_active_mm;
    c.next = f.mm;
    return CALL;
  });
  r.add('__change_current_mm', 'irq_enable_after_activate_mm', (k, x, f) => {
    return f.brand_new && wantIrqsOffActivateMm(k) ? irqEnable(k, x) : NEXT;
  });
  r.add('__change_current_mm', 'switch_mm_irqs_off', (k, x, f) => {
    if (f.brand_new) return NEXT;
    const c = k.call(x, H.switch_mm_irqs_off);
    c.prev = f.old_active_mm;
    c.next = f.mm;
    c.tsk = f.tsk;
    return CALL;
  });
  r.add('__change_current_mm', 'local_irq_enable', (k, x, f) => (f.brand_new ? NEXT : irqEnable(k, x)));
  // "IRQs are on now.  Preemption is still disabled by task_lock()."
  r.add('__change_current_mm', 'membarrier_finish_switch_mm', (k, x, f) => {
    k.call(x, H.membarrier_finish_switch_mm).mm = f.mm;
    return CALL;
  });
  r.add('__change_current_mm', 'vmacache_flush', nothing); // per-task cache: no shared effect
  r.add('__change_current_mm', 'task_unlock', nothing);
  // #ifdef finish_arch_post_lock_switch ... (x86 does not define it)
  r.add('__change_current_mm', 'finish_arch_post_lock_switch', nothing);
  // if (mm_to_drop) mmdrop(mm_to_drop);
  r.add('__change_current_mm', 'mmdrop_mm_to_drop', (k, x, f) => {
    if (f.mm_to_drop === NULL) return NEXT;
    k.call(x, H.mmdrop).mm = f.mm_to_drop;
    return CALL;
  });
}

/** void __change_current_mm_to_kernel(void) */
function registerChangeCurrentMmToKernel(r: StepRegistry) {
  // struct mm_struct *old_mm = tsk->mm; if (!old_mm) return;  /* nothing to do */
  r.add('__change_current_mm_to_kernel', 'read_old_mm', (k, x, f) => {
    f.old_mm = k.ld(x, f.tsk + L.T_MM);
    return f.old_mm === NULL ? FUSE_RET : FUSE;
  });
  r.add('__change_current_mm_to_kernel', 'task_lock', nothing);
  // "membarrier() requires a full barrier before switching mm."
  r.add('__change_current_mm_to_kernel', 'smp_mb__after_spinlock', (k, x) => {
    k.mb(x, 'smp_mb__after_spinlock');
    return YIELD;
  });
  // "current has a real mm, so it must be active": WARN_ON_ONCE(tsk->active_mm != tsk->mm);
  r.add('__change_current_mm_to_kernel', 'warn_active_mm', (k, x, f) => {
    k.warn(x, k.ld(x, f.tsk + L.T_ACTIVE_MM) !== f.old_mm, 'WARN_ON_ONCE(tsk->active_mm != tsk->mm) in __change_current_mm_to_kernel');
    return FUSE;
  });
  r.add('__change_current_mm_to_kernel', 'local_irq_disable', irqOff);
  // sync_mm_rss(old_mm); WRITE_ONCE(tsk->mm, NULL);
  r.add('__change_current_mm_to_kernel', 'clear_mm', (k, x, f) => {
    writeTaskMm(k, x, f.tsk, NULL);
    return YIELD;
  });
  r.add('__change_current_mm_to_kernel', 'membarrier_update_current_mm', (k, x) => {
    k.call(x, H.membarrier_update_current_mm).mm = NULL;
    return CALL;
  });
  r.add('__change_current_mm_to_kernel', 'vmacache_flush', nothing);
  // "active_mm is still 'old_mm'": mmgrab(old_mm);
  r.add('__change_current_mm_to_kernel', 'mmgrab', (k, x, f) => {
    k.call(x, H.mmgrab).mm = f.old_mm;
    return CALL;
  });
  r.add('__change_current_mm_to_kernel', 'enter_lazy_tlb', (k, x, f) => {
    const c = k.call(x, H.enter_lazy_tlb);
    c.mm = f.old_mm;
    c.tsk = f.tsk;
    return CALL;
  });
  r.add('__change_current_mm_to_kernel', 'local_irq_enable', (k, x) => irqEnable(k, x));
  r.add('__change_current_mm_to_kernel', 'task_unlock', nothing);
}

export default definePatch({
  id: 'lazy-mm/14',
  series: 'lazy-mm',
  index: 14,
  title: 'sched, exec: Factor current mm changes out from exec',
  requires: ['lazy-mm/04', 'lazy-mm/05', 'lazy-mm/09', 'lazy-mm/13'],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L3394-3658 (diff L3421-3652)',
  apply(r) {
    registerChangeCurrentMm(r);
    registerChangeCurrentMmToKernel(r);

    // static int exec_mmap(struct mm_struct *mm): everything the model has of the old body lies
    // in the replaced region (task_lock .. task_unlock, BUG_ON(active_mm != old_mm), mmdrop), so
    // the body is rebuilt from the diff's result whatever 01-13 made of it.
    removeFunction(r, 'exec_mmap');
    // old_mm = current->mm; exec_mm_release(tsk, old_mm); ... (sync_mm_rss moved into the helper)
    r.add('exec_mmap', 'exec_mm_release', (k, x, f) => {
      f.old_mm = k.ld(x, f.tsk + L.T_MM);
      return FUSE;
    });
    // __change_current_mm(mm, true);
    r.add('exec_mmap', '__change_current_mm', (k, x, f) => {
      const c = k.call(x, H.__change_current_mm);
      c.tsk = f.tsk;
      c.mm = f.mm;
      c.brand_new = true;
      return CALL;
    });
    // if (old_mm) { mmap_read_unlock(old_mm); setmax_mm_hiwater_rss(); mm_update_next_owner(old_mm);
    //               mmput(old_mm); return 0; }  return 0;
    r.add('exec_mmap', 'mmput_old_mm', (k, x, f) => {
      if (f.old_mm === NULL) return NEXT;
      k.call(x, H.mmput).mm = f.old_mm;
      return CALL;
    });
  },
});

// lazy-mm/15 "kthread: Switch to __change_current_mm()"
// Seed: seeds/000_13ce268f039a5445.txt L3659-3761 (diff L3688-3755, kernel/kthread.c).
// kthread_use_mm() becomes WARN_ONs + __change_current_mm(mm, false) and kthread_unuse_mm() becomes
// WARN_ONs + __change_current_mm_to_kernel(): a kthread using a user mm no longer holds an mm_count
// reference on it (the old mmgrab(mm) is gone; a lazy active_mm == mm is now mmdropped), and
// kthread_unuse_mm() takes a new lazy reference (mmgrab) like any user->kernel change.
import { definePatch, NEXT, callAgain, H, NULL, L } from '../../core/model/index.ts';
import { removeFunction } from './_steps.ts';

declare module '../../core/model/fns.ts' {
  interface KernelSteps {
    'kthread_use_mm.warn_on_once': true; 'kthread_use_mm.__change_current_mm': true;
    'kthread_use_mm.force_uaccess_begin': true;
    'kthread_unuse_mm.warn_on_once': true; 'kthread_unuse_mm.force_uaccess_end': true;
    'kthread_unuse_mm.__change_current_mm_to_kernel': true;
  }
}

export default definePatch({
  id: 'lazy-mm/15',
  series: 'lazy-mm',
  index: 15,
  title: 'kthread: Switch to __change_current_mm()',
  requires: ['lazy-mm/04', 'lazy-mm/05', 'lazy-mm/09', 'lazy-mm/14'],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L3659-3761 (diff L3688-3755)',
  apply(r, k) {
    // kthread_use_mm() no longer takes an mm_count reference for the mm it uses (ownership.ts).
    k.refRules.usedMm = false;
    // void kthread_use_mm(struct mm_struct *mm): the open-coded switch (task_lock .. mmdrop) is
    // replaced as a whole; the WARN_ONs before it and force_uaccess_begin() after it stay.
    removeFunction(r, 'kthread_use_mm');
    r.add('kthread_use_mm', 'warn_on_once', (k, x, f) => {
      k.warn(x, !k.task(f.tsk).kthread, 'WARN_ON_ONCE(!(tsk->flags & PF_KTHREAD))');
      k.warn(x, k.view(x.cpu, f.tsk + L.T_MM) !== NULL, 'WARN_ON_ONCE(tsk->mm) in kthread_use_mm');
      return NEXT;
    });
    // Resume point 1: __change_current_mm() has returned.
    r.add('kthread_use_mm', '__change_current_mm', (k, x, f, pc) => {
      if (pc === 1) {
        k.task(f.tsk).usingMm = f.mm; // ghost
        return NEXT;
      }
      const c = k.call(x, H.__change_current_mm);
      c.tsk = f.tsk;
      c.mm = f.mm;
      c.brand_new = false;
      return callAgain(1);
    });
    r.add('kthread_use_mm', 'force_uaccess_begin', () => NEXT);

    // void kthread_unuse_mm(struct mm_struct *mm)
    removeFunction(r, 'kthread_unuse_mm');
    r.add('kthread_unuse_mm', 'warn_on_once', (k, x, f) => {
      k.warn(x, !k.task(f.tsk).kthread, 'WARN_ON_ONCE(!(tsk->flags & PF_KTHREAD))');
      k.warn(x, k.view(x.cpu, f.tsk + L.T_MM) === NULL, 'WARN_ON_ONCE(!tsk->mm) in kthread_unuse_mm');
      return NEXT;
    });
    r.add('kthread_unuse_mm', 'force_uaccess_end', () => NEXT);
    // Resume point 1: __change_current_mm_to_kernel() has returned.
    r.add('kthread_unuse_mm', '__change_current_mm_to_kernel', (k, x, f, pc) => {
      if (pc === 1) {
        k.task(f.tsk).usingMm = NULL; // ghost
        return NEXT;
      }
      k.call(x, H.__change_current_mm_to_kernel).tsk = f.tsk;
      return callAgain(1);
    });
  },
});

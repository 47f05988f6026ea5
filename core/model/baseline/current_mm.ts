// Changing current->mm outside the scheduler, v5.16: exit_mm (kernel/exit.c), exec_mmap
// (fs/exec.c), kthread_use_mm/kthread_unuse_mm (kernel/kthread.c).
import type { StepRegistry } from '../registry.ts';
import type { OptionDecl } from '../options.ts';

/** --set ARCH_WANT_IRQS_OFF_ACTIVATE_MM=y|n overrides the arch's choice (ArchPlugin.wantIrqsOffActivateMm). */
export const ACTIVATE_MM_OPTIONS: OptionDecl[] = [
  { name: 'ARCH_WANT_IRQS_OFF_ACTIVATE_MM', type: 'bool', default: 'the arch\'s', help: 'CONFIG_ARCH_WANT_IRQS_OFF_ACTIVATE_MM: exec_mmap() keeps IRQs off across activate_mm()' },
];
import { fns, ptr, task, NEXT, RET, YIELD, FUSE, FUSE_RET, CALL, callAgain, type Step } from '../fns.ts';
import { H, NULL, type Kernel, type Ctx } from '../kernel.ts';
import * as L from '../layout.ts';
import { membarrierWriteCheck } from './membarrier.ts';

export const CURRENT_MM = fns({
  exit_mm: { tsk: task, mm: ptr },
  exec_mmap: { tsk: task, mm: ptr, old_mm: ptr, active_mm: ptr },
  kthread_use_mm: { tsk: task, mm: ptr, active_mm: ptr },
  kthread_unuse_mm: { tsk: task, mm: ptr },
});
declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof CURRENT_MM> {}
  interface KernelSteps {
    'exit_mm.exit_mm_release': true; 'exit_mm.mmgrab': true; 'exit_mm.task_lock': true;
    'exit_mm.smp_mb__after_spinlock': true; 'exit_mm.local_irq_disable': true;
    'exit_mm.current_mm_null': true; 'exit_mm.membarrier_update_current_mm': true;
    'exit_mm.enter_lazy_tlb': true; 'exit_mm.local_irq_enable': true; 'exit_mm.task_unlock': true;
    'exit_mm.mmput': true;
    'exec_mmap.task_lock': true; 'exec_mmap.membarrier_exec_mmap': true; 'exec_mmap.local_irq_disable': true;
    'exec_mmap.set_mm': true; 'exec_mmap.irq_enable_before_activate_mm': true; 'exec_mmap.activate_mm': true;
    'exec_mmap.irq_enable_after_activate_mm': true; 'exec_mmap.vmacache_seqnum_clear': true;
    'exec_mmap.task_unlock': true; 'exec_mmap.mmput_old_mm': true; 'exec_mmap.mmdrop_active_mm': true;
    'kthread_use_mm.task_lock': true; 'kthread_use_mm.local_irq_disable': true;
    'kthread_use_mm.read_active_mm': true; 'kthread_use_mm.mmgrab_active_mm': true;
    'kthread_use_mm.set_mm': true; 'kthread_use_mm.membarrier_update_current_mm': true;
    'kthread_use_mm.switch_mm_irqs_off': true; 'kthread_use_mm.local_irq_enable': true;
    'kthread_use_mm.task_unlock': true; 'kthread_use_mm.mmdrop_active_mm': true;
    'kthread_unuse_mm.task_lock': true; 'kthread_unuse_mm.smp_mb__after_spinlock': true;
    'kthread_unuse_mm.local_irq_disable': true; 'kthread_unuse_mm.clear_mm': true;
    'kthread_unuse_mm.membarrier_update_current_mm': true; 'kthread_unuse_mm.enter_lazy_tlb': true;
    'kthread_unuse_mm.local_irq_enable': true; 'kthread_unuse_mm.task_unlock': true;
  }
}

/** WRITE_ONCE(tsk->mm, mm) with the membarrier checker watching. */
export function writeTaskMm(k: Kernel, x: Ctx, tsk: number, mm: number) {
  const old = k.ld(x, tsk + L.T_MM);
  k.st(x, tsk + L.T_MM, mm);
  membarrierWriteCheck(k, x, 'tsk->mm', old, mm);
}

export const irqOff: Step = (k, x) => { k.cpus[x.cpu].irqsOff = true; return NEXT; };
export const irqOn: Step = (k, x) => { k.cpus[x.cpu].irqsOff = false; return NEXT; };
const nothing: Step = () => NEXT;

export function registerCurrentMm(r: StepRegistry) {
  // ---- static void exit_mm(void): "Turn us into a lazy TLB process if we aren't already.."
  r.add('exit_mm', 'exit_mm_release', (k, x, f) => {
    f.mm = k.ld(x, f.tsk + L.T_MM);
    return f.mm === NULL ? FUSE_RET : FUSE;
  });
  r.add('exit_mm', 'mmgrab', (k, x, f) => { k.call(x, H.mmgrab).mm = f.mm; return CALL; });
  r.add('exit_mm', 'task_lock', nothing);
  // "Membarrier requires a memory barrier after accessing user-space memory, before clearing
  //  tsk->mm or the rq->membarrier_state."
  r.add('exit_mm', 'smp_mb__after_spinlock', (k, x) => { k.mb(x, 'smp_mb__after_spinlock'); return YIELD; });
  r.add('exit_mm', 'local_irq_disable', irqOff);
  r.add('exit_mm', 'current_mm_null', (k, x, f) => { writeTaskMm(k, x, f.tsk, NULL); return YIELD; });
  r.add('exit_mm', 'membarrier_update_current_mm', (k, x) => {
    k.call(x, H.membarrier_update_current_mm).mm = NULL;
    return CALL;
  });
  r.add('exit_mm', 'enter_lazy_tlb', (k, x, f) => {
    const c = k.call(x, H.enter_lazy_tlb);
    c.mm = f.mm;
    c.tsk = f.tsk;
    return CALL;
  });
  r.add('exit_mm', 'local_irq_enable', irqOn);
  r.add('exit_mm', 'task_unlock', nothing);
  r.add('exit_mm', 'mmput', (k, x, f) => { k.call(x, H.mmput).mm = f.mm; return CALL; });

  // ---- static int exec_mmap(struct mm_struct *mm)
  r.add('exec_mmap', 'task_lock', (k, x, f) => {
    f.old_mm = k.ld(x, f.tsk + L.T_MM);
    return FUSE;
  });
  r.add('exec_mmap', 'membarrier_exec_mmap', (k, x, f) => {
    k.call(x, H.membarrier_exec_mmap).mm = f.mm;
    return CALL;
  });
  r.add('exec_mmap', 'local_irq_disable', irqOff);
  // active_mm = tsk->active_mm; tsk->active_mm = mm; tsk->mm = mm;
  r.add('exec_mmap', 'set_mm', (k, x, f) => {
    f.active_mm = k.ld(x, f.tsk + L.T_ACTIVE_MM);
    k.st(x, f.tsk + L.T_ACTIVE_MM, f.mm);
    writeTaskMm(k, x, f.tsk, f.mm);
    return YIELD;
  });
  // "Not all architectures can handle irqs off over activate_mm yet."
  r.add('exec_mmap', 'irq_enable_before_activate_mm', (k, x) => {
    if (!k.flag('ARCH_WANT_IRQS_OFF_ACTIVATE_MM', k.arch.wantIrqsOffActivateMm)) k.cpus[x.cpu].irqsOff = false;
    return NEXT;
  });
  r.add('exec_mmap', 'activate_mm', (k, x, f) => {
    const c = k.call(x, H.activate_mm);
    c.prev = f.active_mm;
    c.next = f.mm;
    return CALL;
  });
  r.add('exec_mmap', 'irq_enable_after_activate_mm', (k, x) => {
    if (k.flag('ARCH_WANT_IRQS_OFF_ACTIVATE_MM', k.arch.wantIrqsOffActivateMm)) k.cpus[x.cpu].irqsOff = false;
    return NEXT;
  });
  // tsk->mm->vmacache_seqnum = 0; vmacache_flush(tsk);  (no shared effect in this model)
  r.add('exec_mmap', 'vmacache_seqnum_clear', nothing);
  r.add('exec_mmap', 'task_unlock', nothing);
  // Resume point 1: after mmput(old_mm), which returns from exec_mmap.
  r.add('exec_mmap', 'mmput_old_mm', (k, x, f, pc) => {
    if (pc === 1) return RET;
    if (f.old_mm === NULL) return NEXT;
    k.warn(x, f.active_mm !== f.old_mm, 'BUG_ON(active_mm != old_mm) in exec_mmap');
    k.call(x, H.mmput).mm = f.old_mm;
    return callAgain(1);
  });
  r.add('exec_mmap', 'mmdrop_active_mm', (k, x, f) => {
    k.call(x, H.mmdrop).mm = f.active_mm;
    return CALL;
  });

  // ---- void kthread_use_mm(struct mm_struct *mm)
  r.add('kthread_use_mm', 'task_lock', (k, x, f) => {
    k.warn(x, !k.task(f.tsk).kthread, 'WARN_ON_ONCE(!(tsk->flags & PF_KTHREAD))');
    k.warn(x, k.view(x.cpu, f.tsk + L.T_MM) !== NULL, 'WARN_ON_ONCE(tsk->mm) in kthread_use_mm');
    return NEXT;
  });
  // "Hold off tlb flush IPIs while switching mm's"
  r.add('kthread_use_mm', 'local_irq_disable', irqOff);
  r.add('kthread_use_mm', 'read_active_mm', (k, x, f) => {
    f.active_mm = k.ld(x, f.tsk + L.T_ACTIVE_MM);
    return FUSE;
  });
  // Resume point 1: after mmgrab(mm).
  r.add('kthread_use_mm', 'mmgrab_active_mm', (k, x, f, pc) => {
    if (pc === 1) {
      k.st(x, f.tsk + L.T_ACTIVE_MM, f.mm);
      return YIELD;
    }
    if (f.active_mm === f.mm) return NEXT;
    k.call(x, H.mmgrab).mm = f.mm;
    return callAgain(1);
  });
  r.add('kthread_use_mm', 'set_mm', (k, x, f) => {
    writeTaskMm(k, x, f.tsk, f.mm);
    k.task(f.tsk).usingMm = f.mm;
    return YIELD;
  });
  r.add('kthread_use_mm', 'membarrier_update_current_mm', (k, x, f) => {
    k.call(x, H.membarrier_update_current_mm).mm = f.mm;
    return CALL;
  });
  r.add('kthread_use_mm', 'switch_mm_irqs_off', (k, x, f) => {
    const c = k.call(x, H.switch_mm_irqs_off);
    c.prev = f.active_mm;
    c.next = f.mm;
    c.tsk = f.tsk;
    return CALL;
  });
  r.add('kthread_use_mm', 'local_irq_enable', irqOn);
  r.add('kthread_use_mm', 'task_unlock', nothing);
  // "A full memory barrier for membarrier {PRIVATE,GLOBAL}_EXPEDITED is implicitly provided by
  //  mmdrop(), or explicitly with smp_mb()."
  r.add('kthread_use_mm', 'mmdrop_active_mm', (k, x, f) => {
    if (f.active_mm !== f.mm) { k.call(x, H.mmdrop).mm = f.active_mm; return CALL; }
    k.mb(x);
    return YIELD;
  });

  // ---- void kthread_unuse_mm(struct mm_struct *mm)
  r.add('kthread_unuse_mm', 'task_lock', (k, x, f) => {
    k.warn(x, k.view(x.cpu, f.tsk + L.T_MM) === NULL, 'WARN_ON_ONCE(!tsk->mm) in kthread_unuse_mm');
    return NEXT;
  });
  // "Membarrier requires a memory barrier after accessing user-space memory, before clearing tsk->mm."
  r.add('kthread_unuse_mm', 'smp_mb__after_spinlock', (k, x) => { k.mb(x, 'smp_mb__after_spinlock'); return YIELD; });
  r.add('kthread_unuse_mm', 'local_irq_disable', irqOff);
  r.add('kthread_unuse_mm', 'clear_mm', (k, x, f) => {
    writeTaskMm(k, x, f.tsk, NULL);
    k.task(f.tsk).usingMm = NULL;
    return YIELD;
  });
  r.add('kthread_unuse_mm', 'membarrier_update_current_mm', (k, x) => {
    k.call(x, H.membarrier_update_current_mm).mm = NULL;
    return CALL;
  });
  // "active_mm is still 'mm'"
  r.add('kthread_unuse_mm', 'enter_lazy_tlb', (k, x, f) => {
    const c = k.call(x, H.enter_lazy_tlb);
    c.mm = f.mm;
    c.tsk = f.tsk;
    return CALL;
  });
  r.add('kthread_unuse_mm', 'local_irq_enable', irqOn);
  r.add('kthread_unuse_mm', 'task_unlock', nothing);
}

// Changing current->mm outside the scheduler, v5.16: exit_mm (kernel/exit.c), exec_mmap
// (fs/exec.c), kthread_use_mm/kthread_unuse_mm (kernel/kthread.c).
import type { StepRegistry } from '../hooks.ts';
import { H, NULL, type Kernel, type Ctx } from '../kernel.ts';
import * as L from '../layout.ts';
import { membarrierWriteCheck } from './membarrier.ts';

/** WRITE_ONCE(tsk->mm, mm) with the membarrier checker watching. */
export function writeTaskMm(k: Kernel, x: Ctx, tsk: number, mm: number) {
  const old = k.ld(x, tsk + L.T_MM);
  k.st(x, tsk + L.T_MM, mm);
  membarrierWriteCheck(k, x, 'tsk->mm', old, mm);
}

const irqOff = (k: Kernel, x: Ctx) => { k.cpus[x.cpu].irqsOff = true; };
const irqOn = (k: Kernel, x: Ctx) => { k.cpus[x.cpu].irqsOff = false; };

export function registerCurrentMm(r: StepRegistry) {
  // ---- static void exit_mm(void): "Turn us into a lazy TLB process if we aren't already.."
  r.add('exit_mm', 'exit_mm_release', (k, x, f) => {
    f.mm = k.ld(x, f.tsk.ref + L.T_MM);
    if (f.mm === NULL) f.ret_early = true;
  });
  r.add('exit_mm', 'mmgrab', function* (k, x, f) {
    yield k.invoke(H.mmgrab, { mm: f.mm });
  });
  r.add('exit_mm', 'task_lock', () => {});
  // "Membarrier requires a memory barrier after accessing user-space memory, before clearing
  //  tsk->mm or the rq->membarrier_state."
  r.add('exit_mm', 'smp_mb__after_spinlock', function* (k, x) { k.mb(x, 'smp_mb__after_spinlock'); yield 0; });
  r.add('exit_mm', 'local_irq_disable', irqOff);
  r.add('exit_mm', 'current_mm_null', function* (k, x, f) { writeTaskMm(k, x, f.tsk.ref, NULL); yield 0; });
  r.add('exit_mm', 'membarrier_update_current_mm', function* (k, x) {
    yield k.invoke(H.membarrier_update_current_mm, { mm: NULL });
  });
  r.add('exit_mm', 'enter_lazy_tlb', function* (k, x, f) {
    yield k.invoke(H.enter_lazy_tlb, { mm: f.mm, tsk: f.tsk });
  });
  r.add('exit_mm', 'local_irq_enable', irqOn);
  r.add('exit_mm', 'task_unlock', () => {});
  r.add('exit_mm', 'mmput', function* (k, x, f) {
    yield k.invoke(H.mmput, { mm: f.mm });
  });

  // ---- static int exec_mmap(struct mm_struct *mm)
  r.add('exec_mmap', 'task_lock', (k, x, f) => {
    f.old_mm = k.ld(x, f.tsk.ref + L.T_MM);
  });
  r.add('exec_mmap', 'membarrier_exec_mmap', function* (k, x, f) {
    yield k.invoke(H.membarrier_exec_mmap, { mm: f.mm });
  });
  r.add('exec_mmap', 'local_irq_disable', irqOff);
  // active_mm = tsk->active_mm; tsk->active_mm = mm; tsk->mm = mm;
  r.add('exec_mmap', 'set_mm', function* (k, x, f) {
    f.active_mm = k.ld(x, f.tsk.ref + L.T_ACTIVE_MM);
    k.st(x, f.tsk.ref + L.T_ACTIVE_MM, f.mm);
    writeTaskMm(k, x, f.tsk.ref, f.mm);
    yield 0;
  });
  // "Not all architectures can handle irqs off over activate_mm yet."
  r.add('exec_mmap', 'irq_enable_before_activate_mm', (k, x) => {
    if (!k.flag('ARCH_WANT_IRQS_OFF_ACTIVATE_MM', k.arch.wantIrqsOffActivateMm)) irqOn(k, x);
  });
  r.add('exec_mmap', 'activate_mm', function* (k, x, f) {
    yield k.invoke(H.activate_mm, { prev: f.active_mm, next: f.mm });
  });
  r.add('exec_mmap', 'irq_enable_after_activate_mm', (k, x) => {
    if (k.flag('ARCH_WANT_IRQS_OFF_ACTIVATE_MM', k.arch.wantIrqsOffActivateMm)) irqOn(k, x);
  });
  // tsk->mm->vmacache_seqnum = 0; vmacache_flush(tsk);  (no shared effect in this model)
  r.add('exec_mmap', 'vmacache_seqnum_clear', () => {});
  r.add('exec_mmap', 'task_unlock', () => {});
  r.add('exec_mmap', 'mmput_old_mm', function* (k, x, f) {
    if (f.old_mm === NULL) return;
    k.warn(x, f.active_mm !== f.old_mm, 'BUG_ON(active_mm != old_mm) in exec_mmap');
    yield k.invoke(H.mmput, { mm: f.old_mm });
    f.ret_early = true;
  });
  r.add('exec_mmap', 'mmdrop_active_mm', function* (k, x, f) {
    yield k.invoke(H.mmdrop, { mm: f.active_mm });
  });

  // ---- void kthread_use_mm(struct mm_struct *mm)
  r.add('kthread_use_mm', 'task_lock', (k, x, f) => {
    k.warn(x, !f.tsk.kthread, 'WARN_ON_ONCE(!(tsk->flags & PF_KTHREAD))');
    k.warn(x, k.peek(f.tsk.ref + L.T_MM) !== NULL, 'WARN_ON_ONCE(tsk->mm) in kthread_use_mm');
  });
  // "Hold off tlb flush IPIs while switching mm's"
  r.add('kthread_use_mm', 'local_irq_disable', irqOff);
  r.add('kthread_use_mm', 'read_active_mm', (k, x, f) => {
    f.active_mm = k.ld(x, f.tsk.ref + L.T_ACTIVE_MM);
  });
  r.add('kthread_use_mm', 'mmgrab_active_mm', function* (k, x, f) {
    if (f.active_mm === f.mm) return;
    yield k.invoke(H.mmgrab, { mm: f.mm });
    k.st(x, f.tsk.ref + L.T_ACTIVE_MM, f.mm);
    yield 0;
  });
  r.add('kthread_use_mm', 'set_mm', function* (k, x, f) {
    writeTaskMm(k, x, f.tsk.ref, f.mm);
    f.tsk.usingMm = f.mm;
    yield 0;
  });
  r.add('kthread_use_mm', 'membarrier_update_current_mm', function* (k, x, f) {
    yield k.invoke(H.membarrier_update_current_mm, { mm: f.mm });
  });
  r.add('kthread_use_mm', 'switch_mm_irqs_off', function* (k, x, f) {
    yield k.invoke(H.switch_mm_irqs_off, { prev: f.active_mm, next: f.mm, tsk: f.tsk });
  });
  r.add('kthread_use_mm', 'local_irq_enable', irqOn);
  r.add('kthread_use_mm', 'task_unlock', () => {});
  // "A full memory barrier for membarrier {PRIVATE,GLOBAL}_EXPEDITED is implicitly provided by
  //  mmdrop(), or explicitly with smp_mb()."
  r.add('kthread_use_mm', 'mmdrop_active_mm', function* (k, x, f) {
    if (f.active_mm !== f.mm) yield k.invoke(H.mmdrop, { mm: f.active_mm });
    else { k.mb(x); yield 0; }
  });

  // ---- void kthread_unuse_mm(struct mm_struct *mm)
  r.add('kthread_unuse_mm', 'task_lock', (k, x, f) => {
    k.warn(x, k.peek(f.tsk.ref + L.T_MM) === NULL, 'WARN_ON_ONCE(!tsk->mm) in kthread_unuse_mm');
  });
  // "Membarrier requires a memory barrier after accessing user-space memory, before clearing tsk->mm."
  r.add('kthread_unuse_mm', 'smp_mb__after_spinlock', function* (k, x) { k.mb(x, 'smp_mb__after_spinlock'); yield 0; });
  r.add('kthread_unuse_mm', 'local_irq_disable', irqOff);
  r.add('kthread_unuse_mm', 'clear_mm', function* (k, x, f) {
    writeTaskMm(k, x, f.tsk.ref, NULL);
    f.tsk.usingMm = NULL;
    yield 0;
  });
  r.add('kthread_unuse_mm', 'membarrier_update_current_mm', function* (k, x) {
    yield k.invoke(H.membarrier_update_current_mm, { mm: NULL });
  });
  // "active_mm is still 'mm'"
  r.add('kthread_unuse_mm', 'enter_lazy_tlb', function* (k, x, f) {
    yield k.invoke(H.enter_lazy_tlb, { mm: f.mm, tsk: f.tsk });
  });
  r.add('kthread_unuse_mm', 'local_irq_enable', irqOn);
  r.add('kthread_unuse_mm', 'task_unlock', () => {});
}

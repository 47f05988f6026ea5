// The operations a task's program performs, as the kernel entry points they reach: one function
// `sys_<op>` per operation (program.ts), traced under that name.
import type { StepRegistry } from '../registry.ts';
import { ptr, int, struct, NEXT, YIELD, FUSE_RET, CALL, FUSE_CALL, callAgain, fuseCallAgain, again, goTo } from '../fns.ts';
import { H, NULL, TS_SLEEPING, TS_WAITING, TS_DEAD, TS_RUNNABLE, type Kernel } from '../kernel.ts';
import { opFns, opOf, type Op } from '../program.ts';
import * as L from '../layout.ts';
import { wake } from './sched.ts';
import { newMm } from './boot.ts';
import { membarrierInvocationStart } from './membarrier.ts';
import { refGet, refTake, held, pin, REF_COUNT, REF_USERS } from '../ownership.ts';

export const OPS = opFns({
  sys_touch: {}, sys_store: {}, sys_load: {},
  sys_sleep: {}, sys_wait: {}, sys_wake: {}, sys_exit: {}, sys_exec: {},
  sys_clone: { mm: ptr },
  sys_munmap: { mm: ptr, tlb: struct('mmu_gather') },
  sys_madvise_dontneed: { mm: ptr, tlb: struct('mmu_gather') },
  sys_membarrier: {}, sys_kthread_use_mm: {}, sys_kthread_unuse_mm: {},
  sys_mmget_not_zero: { v: int }, sys_mmput: {}, sys_mmdrop: {},
  sys_cpu_down: {}, sys_cpu_up: {}, sys_text_poke: {}, sys_efi_call: {}, sys_cpuidle_tlb_flushed: {},
});
declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof OPS> {}
}

/** The op object of a sys_<op> frame. */
export function opIn<K extends Op['op']>(k: Kernel, f: { tsk: number; op: number }): Extract<Op, { op: K }> {
  return opOf(k.task(f.tsk).prog, f.op) as Extract<Op, { op: K }>;
}

export function registerSyscalls(r: StepRegistry) {
  // A user-space access: the task's mm, then the MMU (user_access).
  for (const op of ['sys_touch', 'sys_store', 'sys_load'] as const) {
    r.add(op, 'user_access', (k, x, f) => {
      const mm = k.ld(x, f.tsk + L.T_MM);
      if (mm === NULL) { k.violate('warn', `${k.task(f.tsk).name} touches user memory with no mm`, x); return FUSE_RET; }
      const c = k.call(x, H.user_access);
      c.mm = mm;
      c.tsk = f.tsk;
      c.op = f.op;
      return FUSE_CALL;
    });
  }
  r.add('sys_sleep', 'nanosleep', (k, x, f) => {
    const t = k.task(f.tsk);
    t.state = TS_SLEEPING;
    t.timer = true;
    k.st(x, f.tsk + L.T_STATE, L.TASK_INTERRUPTIBLE);
    return YIELD;
  });
  r.add('sys_wait', 'schedule', (k, x, f) => {
    const t = k.task(f.tsk);
    if (t.pendingWakes > 0) { t.pendingWakes--; return NEXT; }
    t.state = TS_WAITING;
    k.st(x, f.tsk + L.T_STATE, L.TASK_INTERRUPTIBLE);
    return YIELD;
  });
  r.add('sys_wake', 'try_to_wake_up', (k, x, f) => {
    const target = k.taskByName(opIn<'wake'>(k, f).task)!;
    k.st(x, target.ref + L.T_STATE, L.TASK_RUNNING);
    wake(k, target);
    return YIELD;
  });
  // do_exit(): exit_mm(), then do_task_dead() -> __schedule() never returns.
  r.add('sys_exit', 'do_exit', (k, x, f, pc) => {
    if (pc === 1) {
      k.task(f.tsk).state = TS_DEAD;
      k.st(x, f.tsk + L.T_STATE, L.TASK_DEAD);
      return YIELD;
    }
    membarrierInvocationStart(k, x);
    k.call(x, H.exit_mm).tsk = f.tsk;
    return callAgain(1);
  });
  r.add('sys_exec', 'exec_mmap', (k, x, f) => {
    const mm = newMm(k, `${k.task(f.tsk).name}.exec`, 1, false, 0); // mm_alloc() -> mm_init(): mm_users = 1 (bprm->mm, handed to the task)
    refGet(k, x, mm, REF_USERS); // in bprm's hands until exec_mmap() makes it tsk->mm
    membarrierInvocationStart(k, x);
    const c = k.call(x, H.exec_mmap);
    c.tsk = f.tsk;
    c.mm = mm;
    return CALL;
  });
  // copy_mm(CLONE_VM): mmget(oldmm); the child shares mm and active_mm.
  r.add('sys_clone', 'copy_mm', (k, x, f, pc) => {
    if (pc === 1) {
      const child = k.taskByName(opIn<'clone'>(k, f).task)!;
      k.st(x, child.ref + L.T_MM, f.mm);
      k.st(x, child.ref + L.T_ACTIVE_MM, f.mm);
      child.state = TS_RUNNABLE;
      k.fpGlobal(); // the child's runqueue (another CPU's scheduling decision) sees it
      return YIELD;
    }
    f.mm = k.ld(x, f.tsk + L.T_MM);
    k.call(x, H.mmget).mm = f.mm;
    return fuseCallAgain(1);
  });
  // zap_page_range / unmap_region: an mmu_gather over a range of this mm.
  // Resume points: 1 after tlb_gather_mmu, 2 after unmap_vmas, 3 after free_pgtables.
  for (const op of ['sys_munmap', 'sys_madvise_dontneed'] as const) {
    r.add(op, 'mmu_gather', (k, x, f, pc) => {
      switch (pc) {
        case 0: {
          f.mm = k.ld(x, f.tsk + L.T_MM);
          const tlb = k.at(x, H.mmu_gather, f.tlb);
          tlb.mm = f.mm;
          tlb.fullmm = false;
          tlb.freed_tables = false;
          tlb.need_flush = false;
          tlb.pt = k.mmInfo(f.mm)!.pt2;
          k.callOn(x, H.tlb_gather_mmu, f.tlb);
          return fuseCallAgain(1);
        }
        case 1:
          k.callOn(x, H.unmap_vmas, f.tlb);
          return callAgain(2);
        case 2:
          if (op !== 'sys_munmap' || k.mmInfo(f.mm)!.pt2Freed) return goTo(3);
          k.callOn(x, H.free_pgtables, f.tlb);
          return callAgain(3);
        default:
          k.callOn(x, H.tlb_finish_mmu, f.tlb);
          return CALL;
      }
    });
  }
  r.add('sys_membarrier', 'membarrier_private_expedited', (k, x, f) => {
    const mm = k.ld(x, f.tsk + L.T_MM);
    k.call(x, H.membarrier_private_expedited).mm = mm;
    return FUSE_CALL;
  });
  r.add('sys_kthread_use_mm', 'kthread_use_mm', (k, x, f) => {
    membarrierInvocationStart(k, x);
    const mm = k.mmByName(opIn<'kthread_use_mm'>(k, f).mm);
    const c = k.call(x, H.kthread_use_mm);
    c.tsk = f.tsk;
    c.mm = mm;
    return CALL;
  });
  r.add('sys_kthread_unuse_mm', 'kthread_unuse_mm', (k, x, f) => {
    membarrierInvocationStart(k, x);
    const mm = k.ld(x, f.tsk + L.T_MM);
    const c = k.call(x, H.kthread_unuse_mm);
    c.tsk = f.tsk;
    c.mm = mm;
    return FUSE_CALL;
  });
  // atomic_inc_not_zero(&mm->mm_users). Resume point 1: after the read.
  r.add('sys_mmget_not_zero', 'atomic_inc_not_zero', (k, x, f, pc) => {
    const name = opIn<'mmget_not_zero'>(k, f).mm;
    const a = k.mmByName(name) + L.MM_USERS;
    if (pc === 0) {
      f.v = k.ld(x, a);
      return again(1);
    }
    const t = k.task(f.tsk);
    if (f.v !== 0 && k.cmpxchg(x, a, f.v, f.v + 1) === f.v) {
      t.heldUsers++;
      refGet(k, x, a - L.MM_USERS, REF_USERS, 1, held(t.tid));
    }
    else {
      // The address space is gone: skip to the task's release of its mm_struct pin, if any.
      const rel = t.prog.findIndex((o, i) => i >= t.pc && o.op === 'mmdrop' && o.mm === name);
      t.pc = rel >= 0 ? rel : t.prog.length;
    }
    return YIELD;
  });
  r.add('sys_mmdrop', 'mmdrop', (k, x, f) => {
    const mm = k.mmByName(opIn<'mmdrop'>(k, f).mm);
    if (!k.task(f.tsk).unpin(mm)) { k.violate('refcount', `${k.task(f.tsk).name} drops ${opIn<'mmdrop'>(k, f).mm}, which it does not pin`, x); return NEXT; }
    refTake(k, x, mm, REF_COUNT, pin(k.task(f.tsk).tid));
    k.call(x, H.mmdrop).mm = mm;
    return CALL;
  });
  r.add('sys_mmput', 'mmput', (k, x, f) => {
    const t = k.task(f.tsk);
    if (t.heldUsers <= 0) return NEXT;
    t.heldUsers--;
    const mm = k.mmByName(opIn<'mmput'>(k, f).mm);
    refTake(k, x, mm, REF_USERS, held(t.tid));
    k.call(x, H.mmput).mm = mm;
    return CALL;
  });
  r.add('sys_cpu_down', 'takedown_cpu', (k, x, f) => {
    k.call(x, H.takedown_cpu).cpu = opIn<'cpu_down'>(k, f).cpu;
    return CALL;
  });
  r.add('sys_cpu_up', 'bringup_cpu', (k, x, f) => {
    k.call(x, H.bringup_cpu).cpu = opIn<'cpu_up'>(k, f).cpu;
    return CALL;
  });
  // text_poke() runs with IRQs off (local_irq_save)
  r.add('sys_text_poke', 'text_poke', (k, x, _f, pc) => {
    const cpu = k.cpus[x.cpu];
    if (pc === 1) { cpu.irqsOff = false; return NEXT; }
    cpu.irqsOff = true;
    k.call(x, H.text_poke);
    return callAgain(1);
  });
  // efi_enter_mm(); the EFI runtime service (a scheduling point); efi_leave_mm()
  r.add('sys_efi_call', 'efi_call', (k, x, _f, pc) => {
    if (pc === 0) { k.call(x, H.efi_enter_mm); return callAgain(1); }
    if (pc === 1) return again(2);
    k.call(x, H.efi_leave_mm);
    return CALL;
  });
  r.add('sys_cpuidle_tlb_flushed', 'cpuidle_enter_state', (k, x, _f, pc) => {
    const cpu = k.cpus[x.cpu];
    if (pc === 1) { cpu.irqsOff = false; return NEXT; }
    cpu.irqsOff = true;
    k.call(x, H.cpuidle_enter_state).tlb_flushed = true;
    return callAgain(1);
  });
}

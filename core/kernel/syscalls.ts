// The operations a task's program performs, as the kernel entry points they reach.
import { H, NULL, type Kernel, type Ctx, type TaskInfo } from '../kernel.ts';
import { EXTRA_OPS, type Op } from '../program.ts';
import * as L from '../layout.ts';
import { wake, BLOCK } from './sched.ts';
import { newMm } from './boot.ts';

export function* runOp(k: Kernel, x: Ctx, t: TaskInfo, op: Op): Generator<number, void, unknown> {
  x.stk[x.sp++] = k.opStep(op.op);
  yield* doOp(k, x, t, op);
  x.sp--;
}

function* doOp(k: Kernel, x: Ctx, t: TaskInfo, op: Op): Generator<number, void, unknown> {
  const cpu = k.cpus[x.cpu];
  switch (op.op) {
    case 'touch':
    case 'store':
    case 'load': {
      const mm = k.ld(x, t.ref + L.T_MM);
      if (mm === NULL) { k.violate('warn', `${t.name} touches user memory with no mm`, x); return; }
      yield k.invoke(H.user_access, { mm, op, tsk: t });
      return;
    }
    case 'sleep':
      t.state = 'sleeping';
      t.timer = true;
      k.st(x, t.ref + L.T_STATE, L.TASK_INTERRUPTIBLE);
      yield 0;
      return;
    case 'wait':
      if (t.pendingWakes > 0) { t.pendingWakes--; return; }
      t.state = 'waiting';
      k.st(x, t.ref + L.T_STATE, L.TASK_INTERRUPTIBLE);
      yield 0;
      return;
    case 'wake': {
      const target = k.tasks.find((o) => o.name === op.task)!;
      k.st(x, target.ref + L.T_STATE, L.TASK_RUNNING); // try_to_wake_up
      wake(k, target);
      yield 0;
      return;
    }
    case 'exit':
      // do_exit(): exit_mm(), then do_task_dead() -> __schedule() never returns.
      cpu.invStart = k.actions;
      yield k.invoke(H.exit_mm, { tsk: t });
      t.state = 'dead';
      k.st(x, t.ref + L.T_STATE, L.TASK_DEAD);
      yield 0;
      return;
    case 'exec': {
      const mm = newMm(k, `${t.name}.exec`, 1); // mm_alloc() -> mm_init(): mm_users = 1 (bprm->mm, handed to the task)
      cpu.invStart = k.actions;
      yield k.invoke(H.exec_mmap, { tsk: t, mm });
      return;
    }
    case 'clone': {
      const child = k.tasks.find((o) => o.name === op.task)!;
      const mm = k.ld(x, t.ref + L.T_MM);
      // copy_mm(CLONE_VM): mmget(oldmm); the child shares mm and active_mm.
      yield k.invoke(H.mmget, { mm });
      k.st(x, child.ref + L.T_MM, mm);
      k.st(x, child.ref + L.T_ACTIVE_MM, mm);
      child.state = 'runnable';
      yield 0;
      return;
    }
    case 'munmap':
    case 'madvise_dontneed': {
      // zap_page_range / unmap_region: an mmu_gather over a range of this mm.
      const mm = k.ld(x, t.ref + L.T_MM);
      const tlb = { mm, fullmm: false, freed_tables: false, need_flush: false, pt: k.mmInfo(mm)!.pt2 };
      yield k.invoke(H.tlb_gather_mmu, tlb);
      yield k.invoke(H.unmap_vmas, tlb);
      if (op.op === 'munmap' && !k.mmInfo(mm)!.pt2Freed) yield k.invoke(H.free_pgtables, tlb);
      yield k.invoke(H.tlb_finish_mmu, tlb);
      return;
    }
    case 'membarrier': {
      const mm = k.ld(x, t.ref + L.T_MM);
      yield k.invoke(H.membarrier_private_expedited, { mm });
      return;
    }
    case 'kthread_use_mm': {
      cpu.invStart = k.actions;
      yield k.invoke(H.kthread_use_mm, { tsk: t, mm: k.mmByName(op.mm) });
      return;
    }
    case 'kthread_unuse_mm': {
      cpu.invStart = k.actions;
      yield k.invoke(H.kthread_unuse_mm, { tsk: t, mm: k.ld(x, t.ref + L.T_MM) });
      return;
    }
    case 'mmget_not_zero': {
      // atomic_inc_not_zero(&mm->mm_users)
      const mm = k.mmByName(op.mm);
      const a = mm + L.MM_USERS;
      const v = k.ld(x, a);
      yield 0;
      if (v !== 0 && k.cmpxchg(x, a, v, v + 1) === v) t.heldUsers++;
      else {
        // The address space is gone: skip to the task's release of its mm_struct pin, if any.
        const rel = t.prog.findIndex((o, i) => i >= t.pc && o.op === 'mmdrop' && o.mm === op.mm);
        t.pc = rel >= 0 ? rel : t.prog.length;
      }
      yield 0;
      return;
    }
    case 'mmdrop': {
      const mm = k.mmByName(op.mm);
      const i = t.pinned.indexOf(mm);
      if (i < 0) { k.violate('refcount', `${t.name} drops ${op.mm}, which it does not pin`, x); return; }
      t.pinned.splice(i, 1);
      yield k.invoke(H.mmdrop, { mm });
      return;
    }
    case 'mmput': {
      if (t.heldUsers <= 0) return;
      t.heldUsers--;
      yield k.invoke(H.mmput, { mm: k.mmByName(op.mm) });
      return;
    }
    case 'cpu_down':
      yield k.invoke(H.takedown_cpu, { cpu: op.cpu });
      return;
    case 'cpu_up':
      yield k.invoke(H.bringup_cpu, { cpu: op.cpu });
      return;
    case 'text_poke':
      cpu.irqsOff = true; // text_poke() runs with IRQs off (local_irq_save)
      yield k.invoke(H.text_poke, {});
      cpu.irqsOff = false;
      return;
    case 'efi_call':
      yield k.invoke(H.efi_enter_mm, {});
      yield 0; // the EFI runtime service runs here
      yield k.invoke(H.efi_leave_mm, {});
      return;
    case 'cpuidle_tlb_flushed':
      cpu.irqsOff = true;
      yield k.invoke(H.cpuidle_enter_state, { tlb_flushed: true });
      cpu.irqsOff = false;
      return;
    default: {
      const h = EXTRA_OPS.get((op as { op: string }).op);
      if (!h) throw new Error(`no handler for operation '${(op as { op: string }).op}'`);
      yield* h(k, x, t, op);
    }
  }
}

export { BLOCK };

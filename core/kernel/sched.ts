// The scheduler, v5.16 kernel/sched/core.c: __schedule, context_switch with its four-case lazy
// table, finish_task_switch; plus the per-CPU loop that runs tasks' programs and the idle loop.
import type { StepRegistry } from '../hooks.ts';
import { H, NULL, type Kernel, type Ctx, type CpuState, type TaskInfo } from '../kernel.ts';
import * as L from '../layout.ts';
import { runOp } from './syscalls.ts';
import { membarrierWriteCheck } from './membarrier.ts';

export const BLOCK = 1;

export function registerSched(r: StepRegistry) {
  // __schedule(): local_irq_disable(); rq_lock(); smp_mb__after_spinlock(); ...
  r.add('__schedule', 'rq_lock', (k, x) => {
    const cpu = k.cpus[x.cpu];
    cpu.irqsOff = true;
    cpu.rqLocked = true;
    k.cpus[x.cpu].invStart = k.actions;
  });
  r.add('__schedule', 'smp_mb__after_spinlock', function* (k, x) {
    k.mb(x, 'smp_mb__after_spinlock');
    yield 0;
  });
  // RCU_INIT_POINTER(rq->curr, next): the store membarrier's scan reads.
  r.add('__schedule', 'rq_curr', function* (k, x, f) {
    const prevMm = k.ld(x, f.prev.ref + L.T_MM);
    const nextMm = k.ld(x, f.next.ref + L.T_MM);
    k.st(x, k.rq[x.cpu] + L.RQ_CURR, f.next.ref);
    if (prevMm !== nextMm) membarrierWriteCheck(k, x, 'rq->curr', prevMm, nextMm);
    yield 0;
  });
  r.add('__schedule', 'context_switch', function* (k, x, f) {
    yield k.invoke(H.context_switch, { prev: f.prev, next: f.next });
  });

  // context_switch(): the mm part.
  //   kernel -> kernel   lazy + transfer active
  //     user -> kernel   lazy + mmgrab() active
  //   kernel ->   user   switch + mmdrop() active
  //     user ->   user   switch
  r.add('context_switch', 'prepare_task_switch', (k, x, f) => {
    f.prev_mm = k.ld(x, f.prev.ref + L.T_MM);
    f.next_mm = k.ld(x, f.next.ref + L.T_MM);
    f.prev_active_mm = k.ld(x, f.prev.ref + L.T_ACTIVE_MM);
  });
  // if (!next->mm) { enter_lazy_tlb(prev->active_mm, next); next->active_mm = prev->active_mm; ...
  r.add('context_switch', 'enter_lazy_tlb', function* (k, x, f) {
    if (f.next_mm !== NULL) return;
    yield k.invoke(H.enter_lazy_tlb, { mm: f.prev_active_mm, tsk: f.next });
  });
  r.add('context_switch', 'next_active_mm', function* (k, x, f) {
    if (f.next_mm !== NULL) return;
    k.st(x, f.next.ref + L.T_ACTIVE_MM, f.prev_active_mm);
    yield 0;
  });
  //   if (prev->mm)                           // from user
  //       mmgrab(prev->active_mm);
  r.add('context_switch', 'mmgrab_lazy', function* (k, x, f) {
    if (f.next_mm !== NULL || f.prev_mm === NULL) return;
    yield k.invoke(H.mmgrab, { mm: f.prev_active_mm });
  });
  //   else prev->active_mm = NULL;
  r.add('context_switch', 'transfer_active_mm', function* (k, x, f) {
    if (f.next_mm !== NULL || f.prev_mm !== NULL) return;
    k.st(x, f.prev.ref + L.T_ACTIVE_MM, NULL);
    yield 0;
  });
  // } else { membarrier_switch_mm(rq, prev->active_mm, next->mm); switch_mm_irqs_off(...);
  r.add('context_switch', 'membarrier_switch_mm', function* (k, x, f) {
    if (f.next_mm === NULL) return;
    yield k.invoke(H.membarrier_switch_mm, { prev_mm: f.prev_active_mm, next_mm: f.next_mm });
  });
  r.add('context_switch', 'switch_mm_irqs_off', function* (k, x, f) {
    if (f.next_mm === NULL) return;
    yield k.invoke(H.switch_mm_irqs_off, { prev: f.prev_active_mm, next: f.next_mm, tsk: f.next });
  });
  //   if (!prev->mm) {                        // from kernel
  //       /* will mmdrop() in finish_task_switch(). */
  //       rq->prev_mm = prev->active_mm; prev->active_mm = NULL; }
  r.add('context_switch', 'rq_prev_mm', function* (k, x, f) {
    if (f.next_mm === NULL || f.prev_mm !== NULL) return;
    k.st(x, k.rq[x.cpu] + L.RQ_PREV_MM, f.prev_active_mm);
    k.st(x, f.prev.ref + L.T_ACTIVE_MM, NULL);
    yield 0;
  });
  // switch_to(prev, next, prev): from here on the CPU runs next.
  r.add('context_switch', 'switch_to', (k, x, f) => {
    const cpu = k.cpus[x.cpu];
    if (f.prev.state === 'running') f.prev.state = 'runnable';
    cpu.curr = f.next;
    if (f.next.state !== 'dead') f.next.state = 'running';
    k.count('context_switches');
    if (k.tracing) k.tr(x, `switch_to ${f.prev.name} -> ${f.next.name}`);
  });
  r.add('context_switch', 'finish_task_switch', function* (k, x, f) {
    yield k.invoke(H.finish_task_switch, { prev: f.prev });
  });

  // finish_task_switch(prev)
  r.add('finish_task_switch', 'take_prev_mm', (k, x, f) => {
    const a = k.rq[x.cpu] + L.RQ_PREV_MM;
    f.mm = k.ld(x, a);
    if (f.mm !== NULL) k.st(x, a, NULL);
    f.prev_state = f.prev.state;
  });
  // finish_lock_switch(): rq unlock and local_irq_enable.
  r.add('finish_task_switch', 'finish_lock_switch', (k, x) => {
    const cpu = k.cpus[x.cpu];
    cpu.rqLocked = false;
    cpu.irqsOff = false;
  });
  // if (mm) { membarrier_mm_sync_core_before_usermode(mm); mmdrop(mm); }
  r.add('finish_task_switch', 'sync_core_prev_mm', function* (k, x, f) {
    if (f.mm === NULL) return;
    yield k.invoke(H.membarrier_mm_sync_core_before_usermode, { mm: f.mm });
  });
  r.add('finish_task_switch', 'mmdrop_prev_mm', function* (k, x, f) {
    if (f.mm === NULL) return;
    yield k.invoke(H.mmdrop, { mm: f.mm });
  });
  // if (unlikely(prev_state == TASK_DEAD)) put_task_stack(prev); put_task_struct_rcu_user(prev);
  r.add('finish_task_switch', 'put_task_struct', (_k, _x, f) => {
    if (f.prev_state === 'dead') f.prev.reaped = true;
  });
}

/** The CPU's task-context loop: schedule, run the current task's next operation, or idle. */
export function* cpu_main(k: Kernel, x: Ctx): Generator<number, void, unknown> {
  const cpu = k.cpus[x.cpu];
  for (;;) {
    k.fpGlobal(); // scheduling decisions read ghost runqueue state
    if (cpu.dead) {
      x.wait = () => cpu.upRequested;
      yield BLOCK;
      cpu.upRequested = false;
      yield k.invoke(H.start_secondary, {});
      continue;
    }
    const next = pickNext(k, cpu);
    if (next !== cpu.curr) {
      yield k.invoke(H.__schedule, { prev: cpu.curr, next });
      continue;
    }
    const t = cpu.curr;
    if (t.isIdle) {
      if (cpu.dying) {
        cpu.irqsOff = true; // do_idle(): local_irq_disable(); if (cpu_is_offline(cpu)) ...
        yield k.invoke(H.do_idle_offline, {});
        continue;
      }
      const s = timerSleeper(k, x.cpu);
      if (s) {
        // The tick fires in the idle loop and wakes the sleeper.
        yield 0;
        wake(k, s);
        continue;
      }
      x.wait = () => hasWork(k, cpu);
      yield BLOCK;
      continue;
    }
    if (t.pc >= t.prog.length) {
      if (t.kthread) { t.state = 'waiting'; continue; } // a kthread with nothing to do sleeps
      yield* runOp(k, x, t, { op: 'exit' });
      continue;
    }
    yield* runOp(k, x, t, t.prog[t.pc++]);
  }
}

function pickNext(k: Kernel, cpu: CpuState): TaskInfo {
  const c = cpu.curr;
  if (!c.isIdle && c.state === 'running' && !cpu.dying) return c;
  if (cpu.dying) return cpu.idle;
  for (const t of k.rqTasks[cpu.id]) if (t.state === 'runnable' && !t.isIdle) return t;
  return cpu.idle;
}

function timerSleeper(k: Kernel, cpu: number): TaskInfo | undefined {
  for (const t of k.rqTasks[cpu]) if (t.state === 'sleeping' && t.timer) return t;
  return undefined;
}

function hasWork(k: Kernel, cpu: CpuState): boolean {
  if (cpu.dying) return true;
  for (const t of k.rqTasks[cpu.id]) if (t.state === 'runnable' || (t.state === 'sleeping' && t.timer)) return true;
  return false;
}

export function wake(k: Kernel, t: TaskInfo) {
  k.fpGlobal();
  if (t.state === 'sleeping' || t.state === 'waiting') {
    t.state = 'runnable';
    t.timer = false;
  } else if (t.state !== 'dead') t.pendingWakes++;
}

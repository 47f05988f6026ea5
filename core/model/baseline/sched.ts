// The scheduler, v5.16 kernel/sched/core.c: __schedule, context_switch with its four-case lazy
// table, finish_task_switch; plus the per-CPU loop that runs tasks' programs and the idle loop,
// and the entry of an interrupt (IPI handler or NMI).
import type { StepRegistry } from '../registry.ts';
import {
  fns, labelledFns, task, ptr, int, fnid, args, NEXT, RET, YIELD, FUSE, CALL, FUSE_CALL, callAgain, goTo, again, block,
} from '../fns.ts';
import {
  H, NULL, TS_RUNNABLE, TS_RUNNING, TS_SLEEPING, TS_WAITING, TS_DEAD, W_UP_REQ, W_HAS_WORK, ModelError,
  type Kernel, type CpuView, type TaskView,
} from '../kernel.ts';
import * as L from '../layout.ts';
import { membarrierWriteCheck, membarrierInvocationStart } from './membarrier.ts';
import { IMPLICIT_EXIT } from '../program.ts';
import { counterId } from '../kernel.ts';
import { danglingOracle } from '../ownership.ts';

const CNT_CONTEXT_SWITCHES = counterId('context_switches');

export const SCHED = fns({
  __schedule: { prev: task, next: task },
  context_switch: { prev: task, next: task, prev_mm: ptr, next_mm: ptr, prev_active_mm: ptr },
  finish_task_switch: { prev: task, mm: ptr, prev_state: int },
  switch_mm_irqs_off: { prev: ptr, next: ptr, tsk: task },
  enter_lazy_tlb: { mm: ptr, tsk: task },
  switch_mm: { prev: ptr, next: ptr, tsk: task },
  activate_mm: { prev: ptr, next: ptr },
});
/** The outermost functions of a context: the CPU's loop (traces say 'schedule') and the entry of
 *  an interrupt (traces say 'irq'). */
export const ROOTS = {
  ...labelledFns(() => 'schedule', { cpu_main: { sleeper: task } }),
  ...labelledFns(() => 'irq', { __irq: { fn: fnid, from: int, args: args } }),
};
declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof SCHED>, Readonly<typeof ROOTS> {}
  interface KernelSteps {
    '__schedule.rq_lock': true; '__schedule.smp_mb__after_spinlock': true;
    '__schedule.rq_curr': true; '__schedule.context_switch': true;
    'context_switch.prepare_task_switch': true; 'context_switch.enter_lazy_tlb': true;
    'context_switch.next_active_mm': true; 'context_switch.mmgrab_lazy': true;
    'context_switch.transfer_active_mm': true; 'context_switch.membarrier_switch_mm': true;
    'context_switch.switch_mm_irqs_off': true; 'context_switch.rq_prev_mm': true;
    'context_switch.switch_to': true; 'context_switch.finish_task_switch': true;
    'finish_task_switch.take_prev_mm': true; 'finish_task_switch.finish_lock_switch': true;
    'finish_task_switch.sync_core_prev_mm': true; 'finish_task_switch.mmdrop_prev_mm': true;
    'finish_task_switch.put_task_struct': true;
    'cpu_main.loop': true; '__irq.handler': true;
  }
}

export function registerSched(r: StepRegistry) {
  // __schedule(): local_irq_disable(); rq_lock(); smp_mb__after_spinlock(); ...
  r.add('__schedule', 'rq_lock', (k, x) => {
    const cpu = k.cpus[x.cpu];
    cpu.irqsOff = true;
    cpu.rqLocked = true;
    membarrierInvocationStart(k, x);
    // the dangling-pointer oracle looks at every context switch, before the switch dereferences
    // anything (ownership.ts)
    if (k.refTracking) danglingOracle(k, x);
    return NEXT;
  });
  r.add('__schedule', 'smp_mb__after_spinlock', (k, x) => {
    k.mb(x, 'smp_mb__after_spinlock');
    return YIELD;
  });
  // RCU_INIT_POINTER(rq->curr, next): the store membarrier's scan reads.
  r.add('__schedule', 'rq_curr', (k, x, f) => {
    const prevMm = k.ld(x, f.prev + L.T_MM);
    const nextMm = k.ld(x, f.next + L.T_MM);
    k.st(x, k.rq[x.cpu] + L.RQ_CURR, f.next);
    if (prevMm !== nextMm) membarrierWriteCheck(k, x, 'rq->curr', prevMm, nextMm);
    return YIELD;
  });
  r.add('__schedule', 'context_switch', (k, x, f) => {
    const c = k.call(x, H.context_switch);
    c.prev = f.prev;
    c.next = f.next;
    return CALL;
  });

  // context_switch(): the mm part.
  //   kernel -> kernel   lazy + transfer active
  //     user -> kernel   lazy + mmgrab() active
  //   kernel ->   user   switch + mmdrop() active
  //     user ->   user   switch
  // (prev and next are this CPU's own tasks, read under the rq lock: one event with what follows)
  r.add('context_switch', 'prepare_task_switch', (k, x, f) => {
    f.prev_mm = k.ld(x, f.prev + L.T_MM);
    f.next_mm = k.ld(x, f.next + L.T_MM);
    f.prev_active_mm = k.ld(x, f.prev + L.T_ACTIVE_MM);
    return FUSE;
  });
  // if (!next->mm) { enter_lazy_tlb(prev->active_mm, next); next->active_mm = prev->active_mm; ...
  r.add('context_switch', 'enter_lazy_tlb', (k, x, f) => {
    if (f.next_mm !== NULL) return NEXT;
    const c = k.call(x, H.enter_lazy_tlb);
    c.mm = f.prev_active_mm;
    c.tsk = f.next;
    return CALL;
  });
  r.add('context_switch', 'next_active_mm', (k, x, f) => {
    if (f.next_mm !== NULL) return NEXT;
    k.st(x, f.next + L.T_ACTIVE_MM, f.prev_active_mm);
    return YIELD;
  });
  //   if (prev->mm)                           // from user
  //       mmgrab(prev->active_mm);
  r.add('context_switch', 'mmgrab_lazy', (k, x, f) => {
    if (f.next_mm !== NULL || f.prev_mm === NULL) return NEXT;
    k.call(x, H.mmgrab).mm = f.prev_active_mm;
    return CALL;
  });
  //   else prev->active_mm = NULL;
  r.add('context_switch', 'transfer_active_mm', (k, x, f) => {
    if (f.next_mm !== NULL || f.prev_mm !== NULL) return NEXT;
    k.st(x, f.prev + L.T_ACTIVE_MM, NULL);
    return YIELD;
  });
  // } else { membarrier_switch_mm(rq, prev->active_mm, next->mm); switch_mm_irqs_off(...);
  r.add('context_switch', 'membarrier_switch_mm', (k, x, f) => {
    if (f.next_mm === NULL) return NEXT;
    const c = k.call(x, H.membarrier_switch_mm);
    c.prev_mm = f.prev_active_mm;
    c.next_mm = f.next_mm;
    return CALL;
  });
  r.add('context_switch', 'switch_mm_irqs_off', (k, x, f) => {
    if (f.next_mm === NULL) return NEXT;
    const c = k.call(x, H.switch_mm_irqs_off);
    c.prev = f.prev_active_mm;
    c.next = f.next_mm;
    c.tsk = f.next;
    return CALL;
  });
  //   if (!prev->mm) {                        // from kernel
  //       /* will mmdrop() in finish_task_switch(). */
  //       rq->prev_mm = prev->active_mm; prev->active_mm = NULL; }
  r.add('context_switch', 'rq_prev_mm', (k, x, f) => {
    if (f.next_mm === NULL || f.prev_mm !== NULL) return NEXT;
    k.st(x, k.rq[x.cpu] + L.RQ_PREV_MM, f.prev_active_mm);
    k.st(x, f.prev + L.T_ACTIVE_MM, NULL);
    return YIELD;
  });
  // switch_to(prev, next, prev): from here on the CPU runs next.
  r.add('context_switch', 'switch_to', (k, x, f) => {
    const cpu = k.cpus[x.cpu];
    const prev = k.task(f.prev), next = k.task(f.next);
    if (prev.state === TS_RUNNING) prev.state = TS_RUNNABLE;
    cpu.curr = next;
    if (next.state !== TS_DEAD) next.state = TS_RUNNING;
    k.countId(CNT_CONTEXT_SWITCHES);
    if (k.tracing) k.tr(x, `switch_to ${prev.name} -> ${next.name}`);
    return NEXT;
  });
  r.add('context_switch', 'finish_task_switch', (k, x, f) => {
    k.call(x, H.finish_task_switch).prev = f.prev;
    return CALL;
  });

  // finish_task_switch(prev)
  r.add('finish_task_switch', 'take_prev_mm', (k, x, f) => {
    const a = k.rq[x.cpu] + L.RQ_PREV_MM;
    f.mm = k.ld(x, a);
    if (f.mm !== NULL) k.st(x, a, NULL);
    f.prev_state = k.task(f.prev).state;
    return FUSE;
  });
  // finish_lock_switch(): rq unlock and local_irq_enable.
  r.add('finish_task_switch', 'finish_lock_switch', (k, x) => {
    const cpu = k.cpus[x.cpu];
    cpu.rqLocked = false;
    cpu.irqsOff = false;
    return NEXT;
  });
  // if (mm) { membarrier_mm_sync_core_before_usermode(mm); mmdrop(mm); }
  r.add('finish_task_switch', 'sync_core_prev_mm', (k, x, f) => {
    if (f.mm === NULL) return NEXT;
    k.call(x, H.membarrier_mm_sync_core_before_usermode).mm = f.mm;
    return CALL;
  });
  r.add('finish_task_switch', 'mmdrop_prev_mm', (k, x, f) => {
    if (f.mm === NULL) return NEXT;
    k.call(x, H.mmdrop).mm = f.mm;
    return CALL;
  });
  // if (unlikely(prev_state == TASK_DEAD)) put_task_stack(prev); put_task_struct_rcu_user(prev);
  r.add('finish_task_switch', 'put_task_struct', (k, _x, f) => {
    if (f.prev_state === TS_DEAD) k.task(f.prev).reaped = true;
    return NEXT;
  });

  // ---- The CPU's task-context loop: schedule, run the current task's next operation, or idle.
  // Resume points: 0 the top of the loop, 1 after the wait for cpu_up, 2 after the timer tick.
  r.add('cpu_main', 'loop', (k, x, f, pc) => {
    const cpu = k.cpus[x.cpu];
    if (pc === 1) {
      cpu.upRequested = false;
      k.call(x, H.start_secondary);
      return callAgain(0);
    }
    if (pc === 2) {
      wake(k, k.task(f.sleeper));
      return goTo(0);
    }
    // The scheduling decision reads this CPU's own state and its runqueue's tasks: another CPU
    // changes those only in events that conflict with everything (wake, clone, migration,
    // hotplug: fpGlobal), so this event needs no footprint of its own for them.
    if (cpu.dead) {
      k.wait(x, W_UP_REQ, x.cpu);
      return block(1);
    }
    // stop_machine(): the stopper (migration/N, the highest scheduling class) preempts the current
    // task at its next preemption point, the model's top of the loop. Its work runs in place: the
    // switch to a kernel thread and back leaves the mm state as it was (hotplug.ts).
    if (cpu.stopWork !== 0) {
      k.call(x, H.cpu_stopper_thread).msdata = cpu.stopWork;
      return callAgain(0);
    }
    if (cpu.dying) balancePush(k, x);
    const next = pickNext(k, cpu);
    if (next !== cpu.curr) {
      const c = k.call(x, H.__schedule);
      c.prev = cpu.curr.ref;
      c.next = next.ref;
      return callAgain(0);
    }
    const t = cpu.curr;
    if (t.isIdle) {
      if (!cpu.online) {
        cpu.irqsOff = true; // do_idle(): local_irq_disable(); if (cpu_is_offline(cpu)) ...
        k.call(x, H.do_idle_offline);
        return callAgain(0);
      }
      const s = timerSleeper(k, x.cpu);
      if (s) {
        // The tick fires in the idle loop and wakes the sleeper.
        f.sleeper = s.ref;
        return again(2);
      }
      k.wait(x, W_HAS_WORK, x.cpu);
      return block(0);
    }
    if (t.pc >= t.prog.length) {
      if (t.kthread) { t.state = TS_WAITING; return goTo(0); } // a kthread with nothing to do sleeps
      runOp(k, x, t, IMPLICIT_EXIT);
      return callAgain(0);
    }
    runOp(k, x, t, t.pc++);
    return callAgain(0);
  });

  // ---- The entry of an interrupt: the IPI's handler (or the NMI handler) with its frame image.
  r.add('__irq', 'handler', (k, x, f, pc) => {
    if (pc === 0) {
      k.callWith(x, f.fn as never, k.ptr(f) + k.fieldOffset[H.__irq].get('args')!);
      return callAgain(1);
    }
    k.ipiDone(f.from);
    k.fpGlobal();
    return RET;
  });
}

/** Call the function of operation `i` of t's program (IMPLICIT_EXIT: the exit a user task's
 *  program ends with). */
function runOp(k: Kernel, x: import('../kernel.ts').Ctx, t: TaskView, i: number) {
  const h = i === IMPLICIT_EXIT ? H.sys_exit : t.opFns[i];
  const c = k.call(x, h as never) as { tsk: number; op: number };
  c.tsk = t.ref;
  c.op = i;
}

function pickNext(k: Kernel, cpu: CpuView): TaskView {
  const c = cpu.curr;
  if (!c.isIdle && c.state === TS_RUNNING && !cpu.dying) return c;
  if (cpu.dying) return cpu.idle;
  for (const t of k.rqTasks[cpu.id]) if (t.state === TS_RUNNABLE && !t.isIdle) return t;
  return cpu.idle;
}

function timerSleeper(k: Kernel, cpu: number): TaskView | undefined {
  for (const t of k.rqTasks[cpu]) if (t.state === TS_SLEEPING && t.timer) return t;
  return undefined;
}

export function hasWork(k: Kernel, cpu: CpuView): boolean {
  if (cpu.stopWork !== 0) return true;
  // going down: tasks to push away, then (once offline) the idle loop's offline path
  if (cpu.dying) return !cpu.online || !rqEmpty(k, cpu);
  for (const t of k.rqTasks[cpu.id]) if (t.state === TS_RUNNABLE || (t.state === TS_SLEEPING && t.timer)) return true;
  return false;
}

/** balance_hotplug_wait()'s condition: only the idle task is left on the CPU (it runs idle, and
 *  no live task is assigned to it). */
export function rqEmpty(k: Kernel, cpu: CpuView): boolean {
  if (!cpu.curr.isIdle) return false;
  for (const t of k.rqTasks[cpu.id]) if (!t.isIdle && t.state !== TS_DEAD) return false;
  return true;
}

/** balance_push() (v5.16 kernel/sched/core.c), run on a CPU going down when it schedules: every
 *  task that would run there goes to select_fallback_rq()'s CPU, the first active one; a woken
 *  task is placed the same way (select_task_rq() skips an inactive CPU), so sleeping tasks move
 *  too. Called at the top of the CPU loop, before the pick. */
function balancePush(k: Kernel, x: import('../kernel.ts').Ctx) {
  let to = -1;
  for (let c = 0; c < k.ncpus && to < 0; c++) if (c !== x.cpu && k.cpus[c].online && !k.cpus[c].dying) to = c;
  let moved = false;
  for (const t of k.rqTasks[x.cpu]) {
    if (t.isIdle || t.state === TS_DEAD) continue;
    if (to < 0) throw new ModelError(`balance_push: no active CPU left to take ${t.name} from cpu${x.cpu}`);
    t.cpu = to;
    moved = true;
    if (k.tracing) k.tr(x, `balance_push: ${t.name} -> cpu${to}`);
  }
  if (moved) {
    k.fpGlobal();
    k.rebuildRq();
  }
}

export function wake(k: Kernel, t: TaskView) {
  k.fpGlobal();
  if (t.state === TS_SLEEPING || t.state === TS_WAITING) {
    t.state = TS_RUNNABLE;
    t.timer = false;
  } else if (t.state !== TS_DEAD) t.pendingWakes++;
}

export { FUSE_CALL };

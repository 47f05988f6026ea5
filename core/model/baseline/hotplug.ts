// CPU hotplug and the idle task's mm, v5.16 (kernel/cpu.c, kernel/stop_machine.c,
// kernel/sched/core.c, kernel/sched/idle.c).
//
// cpu_down() on the BP (the CPU of the task asking for it):
//  - sched_cpu_deactivate() and sched_cpu_wait_empty(): the CPU leaves cpu_active_mask and
//    balance_push() sends every task away from it when it schedules (sched.ts); the BP waits
//    until only the idle task is left. (Run by the AP's cpuhp thread in the kernel, while the BP
//    waits for it: here the BP sets the flag and waits itself.)
//  - takedown_cpu(): stop_machine_cpuslocked(take_cpu_down, NULL, cpumask_of(cpu)): every online
//    CPU's stopper runs multi_cpu_stop(), whose state machine (PREPARE, DISABLE_IRQ, RUN, EXIT,
//    each acknowledged by every CPU) holds all of them with IRQs off while the dying CPU alone
//    runs take_cpu_down(): __cpu_disable() (out of cpu_online_mask) and the CPU_DYING callbacks.
//    Then __cpu_die() waits for the AP's death report.
//  - finish_cpu() (the CPUHP_BRINGUP_CPU teardown): "idle_task_exit() will have switched to
//    &init_mm, now clean up any remaining active_mm state."
// The AP, after the stopper: its idle loop sees cpu_is_offline() (do_idle_offline), reports
// itself dead to RCU and to the BP; the arch's play_dead calls idle_task_exit(). Between the end
// of stop_machine and that point the AP is offline but not dead, and its idle task may still be
// lazily on a user mm: the states 21641bd9a7a7 and lazy-mm/12 are about.
// cpu_up(): bringup_cpu() kicks the AP, whose start_secondary() does mmgrab(&init_mm),
// enter_lazy_tlb() and set_cpu_online(true).
//
// Modelling choices: the stopper is not a task. On the BP it runs in the context of the task
// calling cpu_down() (which sleeps in wait_for_completion() in the kernel: same thing for every
// other CPU, as the BP's CPU is held either way); on every other CPU it runs in place at the top
// of the CPU loop, the model's preemption point, and returns to the task it preempted. The
// switch to migration/N and back is kernel->kernel for an idle CPU, and user->kernel->user (a
// lazy reference taken and dropped on the same mm, no MMU switch) for a busy one: the model leaves
// it out. The cpuhp thread is not a task either (see above).
//
// Declared state: each CPU's queued stopper work (CpuView.stopWork, the msdata address), and the
// 'stop_machine' record (the addresses of msdata and of the cpu_stop_done counter, allocated at
// the first stop_machine of a run; on the BP's stack in the kernel).
import type { StepRegistry } from '../registry.ts';
import { fns, int, ptr, fnid, bool, args, NEXT, YIELD, FUSE, CALL, FUSE_CALL, callAgain, fuseCallAgain, again, block } from '../fns.ts';
import {
  H, STATE_PARTS, ModelError, W_CPU_DEAD, W_CPU_ONLINE, W_NE, W_RQ_EMPTY, W_ZERO, type Kernel, type Ctx,
} from '../kernel.ts';
import { clearRecord, type RecordView } from '../records.ts';
import { rqEmpty } from './sched.ts';
import * as L from '../layout.ts';

export const HOTPLUG = fns({
  takedown_cpu: { cpu: int },
  finish_cpu: { cpu: int, mm: ptr },
  bringup_cpu: { cpu: int },
  start_secondary: {},
  /** stop_machine_cpuslocked(fn, data, cpumask_of(cpu)) */
  stop_machine_cpuslocked: { fn: fnid, cpu: int, msdata: ptr, done: ptr },
  /** the stopper running one work: multi_cpu_stop(msdata), then cpu_stop_signal_done(done) */
  cpu_stopper_thread: { msdata: ptr, done: ptr },
  /** `flags`: IRQs were off on entry (local_save_flags) */
  multi_cpu_stop: { msdata: ptr, fn: fnid, curstate: int, is_active: bool, flags: bool },
  /** { fn, from, purpose, args }: an IPI flushed by smpcfd_dying_cpu() */
  take_cpu_down: { fn: fnid, from: int, purpose: int, args: args },
  __cpu_disable: { cpu: int },
  /** the dying CPU's idle loop */
  do_idle_offline: {},
  cpuhp_report_idle_dead: {},
  arch_cpu_idle_dead: {},
  idle_task_exit: {},
});
declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof HOTPLUG> {}
  interface KernelSteps {
    'takedown_cpu.sched_cpu_deactivate': true; 'takedown_cpu.sched_cpu_wait_empty': true;
    'takedown_cpu.stop_machine_cpuslocked': true; 'takedown_cpu.__cpu_die': true; 'takedown_cpu.finish_cpu': true;
    'stop_machine_cpuslocked.stop_cpus': true; 'stop_machine_cpuslocked.wait_for_completion': true;
    'cpu_stopper_thread.fn': true; 'cpu_stopper_thread.cpu_stop_signal_done': true;
    'multi_cpu_stop.state_machine': true;
    'take_cpu_down.__cpu_disable': true; 'take_cpu_down.smpcfd_dying_cpu': true; 'take_cpu_down.sched_cpu_dying': true;
    '__cpu_disable.set_cpu_online': true;
    'finish_cpu.mmdrop_idle_active_mm': true;
    'do_idle_offline.cpuhp_report_idle_dead': true; 'do_idle_offline.arch_cpu_idle_dead': true;
    'cpuhp_report_idle_dead.rcu_report_dead': true; 'idle_task_exit.switch_to_init_mm': true;
    'bringup_cpu.kick_ap': true; 'start_secondary.mmgrab_init_mm': true;
    'start_secondary.enter_lazy_tlb': true; 'start_secondary.set_cpu_online': true;
  }
}

/** enum multi_stop_state */
const MULTI_STOP_NONE = 0, MULTI_STOP_PREPARE = 1, MULTI_STOP_DISABLE_IRQ = 2, MULTI_STOP_RUN = 3, MULTI_STOP_EXIT = 4;
const STATE_NAMES = ['MULTI_STOP_NONE', 'MULTI_STOP_PREPARE', 'MULTI_STOP_DISABLE_IRQ', 'MULTI_STOP_RUN', 'MULTI_STOP_EXIT'];
/** struct multi_stop_data (fn and data are the frame's; active_cpus is cpumask_of(one CPU)) */
const MS_STATE = 0, MS_THREAD_ACK = 1, MS_NUM_THREADS = 2, MS_ACTIVE_CPU = 3;
const MS_FIELDS = ['state', 'thread_ack', 'num_threads', 'active_cpus'];

const SCHEMA = { msdata: 'word', done: 'word' } as const;
const views = new WeakMap<Kernel, RecordView<typeof SCHEMA>>();
STATE_PARTS.push({
  declare(k) { views.set(k, k.declareRecord('stop_machine', SCHEMA)); },
  boot(k) { clearRecord(k.runState, 'stop_machine'); },
});

/** msdata and done of this run (allocated at the first stop_machine). */
function stopData(k: Kernel): RecordView<typeof SCHEMA> {
  const s = views.get(k)!;
  if (s.msdata === 0) {
    s.msdata = k.m.alloc('multi_stop_data', 'msdata', MS_FIELDS);
    s.done = k.m.alloc('cpu_stop_done', 'done', ['nr_todo']);
  }
  return s;
}

/** ack_state(): the last CPU to acknowledge a state moves everyone to the next one
 *  (set_state(): atomic_set(&thread_ack, num_threads); smp_wmb(); WRITE_ONCE(state, newstate)).
 *  Then the loop goes on, or ends after MULTI_STOP_EXIT (local_irq_restore(flags)). */
function ackState(k: Kernel, x: Ctx, f: { msdata: number; curstate: number; flags: boolean }): number {
  const last = k.atomicAdd(x, f.msdata + MS_THREAD_ACK, -1, 'atomic_dec_and_test') === 0;
  if (last) {
    k.st(x, f.msdata + MS_THREAD_ACK, k.ld(x, f.msdata + MS_NUM_THREADS));
    k.st(x, f.msdata + MS_STATE, f.curstate + 1);
  }
  if (f.curstate === MULTI_STOP_EXIT) {
    k.cpus[x.cpu].irqsOff = f.flags;
    return FUSE; // with cpu_stop_signal_done(): nothing shared in between
  }
  if (last) return again(1);
  // the spin: READ_ONCE(msdata->state) until another CPU's ack moves it
  k.wait(x, W_NE, f.msdata + MS_STATE, f.curstate);
  return block(1);
}

export function registerHotplug(r: StepRegistry) {
  // ---- cpu_down(), on the BP: _cpu_down() -> cpuhp_kick_ap_work() -> ... -> takedown_cpu(), finish_cpu().
  // sched_cpu_deactivate(): set_cpu_active(cpu, false); balance_push_set(cpu, true); (the dying
  // mask: cpu_dying(cpu) from here on)
  r.add('takedown_cpu', 'sched_cpu_deactivate', (k, x, f) => {
    k.cpus[f.cpu].dying = true;
    k.fpGlobal();
    if (k.tracing) k.tr(x, `set_cpu_active(cpu${f.cpu}, false); balance_push_set(cpu${f.cpu}, true)`);
    return NEXT;
  });
  // sched_cpu_wait_empty() -> balance_hotplug_wait(): wait until only the idle task is left.
  r.add('takedown_cpu', 'sched_cpu_wait_empty', (k, x, f, pc) => {
    if (pc === 1) return NEXT;
    k.fpGlobal();
    if (rqEmpty(k, k.cpus[f.cpu])) return NEXT;
    k.wait(x, W_RQ_EMPTY, f.cpu);
    return block(1);
  });
  // err = stop_machine_cpuslocked(take_cpu_down, NULL, cpumask_of(cpu));
  r.add('takedown_cpu', 'stop_machine_cpuslocked', (k, x, f) => {
    const c = k.call(x, H.stop_machine_cpuslocked);
    c.fn = H.take_cpu_down;
    c.cpu = f.cpu;
    return CALL;
  });
  // BUG_ON(cpu_online(cpu)); wait_for_ap_thread(st, false); __cpu_die(cpu): wait for the AP's
  // death report (cpuhp_report_idle_dead(), then the arch's cpu_report_death() or equivalent).
  r.add('takedown_cpu', '__cpu_die', (k, x, f, pc) => {
    if (pc === 1) return NEXT;
    k.warn(x, k.cpus[f.cpu].online, `BUG_ON(cpu_online(${f.cpu})) in takedown_cpu`);
    k.wait(x, W_CPU_DEAD, f.cpu);
    return block(1);
  });
  r.add('takedown_cpu', 'finish_cpu', (k, x, f) => {
    k.call(x, H.finish_cpu).cpu = f.cpu;
    return CALL;
  });

  // static int finish_cpu(unsigned int cpu): "idle_task_exit() will have switched to &init_mm,
  // now clean up any remaining active_mm state."
  r.add('finish_cpu', 'mmdrop_idle_active_mm', (k, x, f, pc) => {
    if (pc === 1) {
      k.call(x, H.mmdrop).mm = f.mm;
      return CALL;
    }
    const idle = k.cpus[f.cpu].idle.ref;
    f.mm = k.ld(x, idle + L.T_ACTIVE_MM);
    if (f.mm !== k.init_mm) k.st(x, idle + L.T_ACTIVE_MM, k.init_mm);
    return again(1);
  });

  // ---- stop_machine (kernel/stop_machine.c)
  // int stop_machine_cpuslocked(fn, data, cpus):
  //   struct multi_stop_data msdata = { .fn = fn, .data = data, .num_threads = num_online_cpus(), .active_cpus = cpus };
  //   set_state(&msdata, MULTI_STOP_PREPARE);
  //   return stop_cpus(cpu_online_mask, multi_cpu_stop, &msdata);
  // stop_cpus() -> queue_stop_cpus_work(): a work on every online CPU's stopper (under the
  // stopper's lock, then wake_up_q()), then wait_for_completion(&done.completion). This CPU's own
  // stopper runs here (resume point 1), the others at the top of their CPU loops.
  // Resume point 1: this CPU's cpu_stopper_thread() has returned.
  r.add('stop_machine_cpuslocked', 'stop_cpus', (k, x, f, pc) => {
    if (pc === 1) return NEXT;
    for (const cpu of k.cpus) {
      if (cpu.stopWork !== 0) throw new ModelError(`stop_machine on cpu${x.cpu} while cpu${cpu.id} still has stopper work: concurrent hotplug operations are not modelled (cpus_write_lock serializes them)`);
    }
    const s = stopData(k);
    f.msdata = s.msdata;
    f.done = s.done;
    let n = 0;
    const on: number[] = [];
    for (let c = 0; c < k.ncpus; c++) if (k.ld(x, k.online + c)) { n++; on.push(c); }
    k.st(x, f.msdata + MS_NUM_THREADS, n);
    k.st(x, f.msdata + MS_ACTIVE_CPU, f.cpu);
    k.st(x, f.msdata + MS_THREAD_ACK, n);
    k.st(x, f.msdata + MS_STATE, MULTI_STOP_PREPARE);
    k.st(x, f.done, n);
    k.mb(x, 'smp_mb() /* cpu_stop_queue_work(): stopper->lock, wake_up_q() */');
    for (const c of on) if (c !== x.cpu) k.cpus[c].stopWork = f.msdata;
    k.fpGlobal();
    if (k.tracing) k.tr(x, `stop_cpus(): multi_cpu_stop queued on ${on.map((c) => `cpu${c}`).join(', ')}`);
    // this CPU's stopper: in the same event (the BP has nothing else to do until it runs)
    const c = k.call(x, H.cpu_stopper_thread);
    c.msdata = f.msdata;
    c.done = f.done;
    return fuseCallAgain(1);
  });
  // wait_for_completion(&done.completion): every stopper has signalled.
  r.add('stop_machine_cpuslocked', 'wait_for_completion', (k, x, f, pc) => {
    if (pc === 1) return NEXT;
    if (k.ld(x, f.done) === 0) return YIELD;
    k.wait(x, W_ZERO, f.done);
    return block(1);
  });

  // static void cpu_stopper_thread(unsigned int cpu): take the work, ret = fn(arg);
  // if (done) cpu_stop_signal_done(done);
  r.add('cpu_stopper_thread', 'fn', (k, x, f) => {
    const cpu = k.cpus[x.cpu];
    if (cpu.stopWork !== 0) {
      f.done = stopData(k).done;
      cpu.stopWork = 0;
    }
    const c = k.call(x, H.multi_cpu_stop);
    c.msdata = f.msdata;
    return CALL;
  });
  // static void cpu_stop_signal_done(struct cpu_stop_done *done):
  //   if (atomic_dec_and_test(&done->nr_todo)) complete(&done->completion);
  r.add('cpu_stopper_thread', 'cpu_stop_signal_done', (k, x, f) => {
    k.atomicAdd(x, f.done, -1, 'atomic_dec_and_test');
    return YIELD;
  });

  // static int multi_cpu_stop(void *data): local_save_flags(flags); is_active = cpumask_test_cpu(cpu, msdata->active_cpus);
  //   do { newstate = READ_ONCE(msdata->state);
  //        if (newstate != curstate) { curstate = newstate;
  //            switch (curstate) { case MULTI_STOP_DISABLE_IRQ: local_irq_disable(); hard_irq_disable(); break;
  //                                case MULTI_STOP_RUN: if (is_active) err = msdata->fn(msdata->data); break; }
  //            ack_state(msdata); }
  //   } while (curstate != MULTI_STOP_EXIT);
  //   local_irq_restore(flags);
  // The spin on msdata->state waits for it to change (W_NE). Reading a new state and
  // acknowledging it are one event: no other CPU can move the state before this one acks.
  // Resume points: 1 the loop head (READ_ONCE(msdata->state)), 2 after msdata->fn() returned.
  r.add('multi_cpu_stop', 'state_machine', (k, x, f, pc) => {
    if (pc === 2) return ackState(k, x, f);
    if (pc === 0) {
      f.flags = k.cpus[x.cpu].irqsOff;
      f.curstate = MULTI_STOP_NONE;
      f.is_active = k.ld(x, f.msdata + MS_ACTIVE_CPU) === x.cpu;
    }
    const s = k.ld(x, f.msdata + MS_STATE);
    if (s === f.curstate) {
      k.wait(x, W_NE, f.msdata + MS_STATE, s);
      return block(1);
    }
    f.curstate = s;
    if (k.tracing) k.tr(x, `multi_cpu_stop: ${STATE_NAMES[s]}${s === MULTI_STOP_DISABLE_IRQ ? ': local_irq_disable()' : ''}`);
    if (s === MULTI_STOP_DISABLE_IRQ) k.cpus[x.cpu].irqsOff = true;
    else if (s === MULTI_STOP_RUN && f.is_active) {
      k.call(x, H.take_cpu_down);
      return fuseCallAgain(2);
    }
    return ackState(k, x, f);
  });

  // ---- static int take_cpu_down(void *_param), on the dying CPU, all others held in multi_cpu_stop:
  //   err = __cpu_disable(); ... for (; st->state > target; st->state--) cpuhp_invoke_callback(...)  (the CPU_DYING
  //   callbacks) ... stop_machine_park(cpu);
  r.add('take_cpu_down', '__cpu_disable', (k, x) => {
    k.call(x, H.__cpu_disable).cpu = x.cpu;
    return CALL;
  });
  // CPUHP_AP_SMPCFD_DYING: smpcfd_dying_cpu(): "flush out any pending callbacks explicitly
  // (without waiting for the IPIs to arrive), to ensure that the outgoing CPU doesn't go offline
  // with work still pending". Resume point 1: the handler has run.
  r.add('take_cpu_down', 'smpcfd_dying_cpu', (k, x, f, pc) => {
    if (pc === 1) {
      k.ipiDone(f.from);
      return again(0);
    }
    const cpu = k.cpus[x.cpu];
    if (cpu.pendingLen === 0) return NEXT;
    k.ipiDequeue(x.cpu, k.fw[x.id], k.fieldPtr(f, 'fn'));
    k.fpGlobal();
    k.callWith(x, f.fn as never, f.args);
    return callAgain(1);
  });
  // CPUHP_AP_SCHED_STARTING teardown: sched_cpu_dying(): if (rq->nr_running != 1 || rq_has_pinned_tasks(rq))
  //   WARN(true, "Dying CPU not properly vacated!");
  r.add('take_cpu_down', 'sched_cpu_dying', (k, x) => {
    k.fpGlobal();
    k.warn(x, !rqEmpty(k, k.cpus[x.cpu]), `Dying CPU not properly vacated! (cpu${x.cpu})`);
    return NEXT;
  });
  // __cpu_disable() (x86 cpu_disable_common() -> remove_cpu_from_maps(), arm64, sparc64,
  // pseries_cpu_disable()): set_cpu_online(cpu, false). The arch adds what else it does.
  r.add('__cpu_disable', 'set_cpu_online', (k, x, f) => {
    k.st(x, k.online + f.cpu, 0);
    k.cpus[f.cpu].online = false;
    k.fpGlobal();
    return YIELD;
  });

  // ---- the dying CPU after stop_machine: do_idle(): if (cpu_is_offline(cpu)) { tick_nohz_idle_stop_tick();
  // cpuhp_report_idle_dead(); arch_cpu_idle_dead(); }
  r.add('do_idle_offline', 'cpuhp_report_idle_dead', (k, x) => { k.call(x, H.cpuhp_report_idle_dead); return CALL; });
  r.add('do_idle_offline', 'arch_cpu_idle_dead', (k, x) => { k.call(x, H.arch_cpu_idle_dead); return CALL; });
  // rcu_report_dead(): from here RCU does not watch this CPU.
  r.add('cpuhp_report_idle_dead', 'rcu_report_dead', (k, x) => {
    k.cpus[x.cpu].rcuWatching = false;
    if (k.tracing) k.tr(x, `rcu_report_dead(cpu${x.cpu})`);
    return NEXT;
  });

  // void idle_task_exit(void): "Ensure that the idle task is using init_mm right before its CPU goes offline."
  r.add('idle_task_exit', 'switch_to_init_mm', (k, x) => {
    const cpu = k.cpus[x.cpu];
    k.warn(x, cpu.online, 'BUG_ON(cpu_online(smp_processor_id())) in idle_task_exit');
    const mm = k.ld(x, cpu.idle.ref + L.T_ACTIVE_MM);
    // "finish_cpu(), as ran on the BP, will clean up the active_mm state"
    if (mm === k.init_mm) return FUSE;
    const c = k.call(x, H.switch_mm);
    c.prev = mm;
    c.next = k.init_mm;
    c.tsk = cpu.idle.ref;
    return FUSE_CALL;
  });

  // BP side of cpu_up(): bringup_cpu() kicks the AP and waits for it to come online.
  r.add('bringup_cpu', 'kick_ap', (k, x, f, pc) => {
    if (pc === 1) return NEXT;
    const ap = k.cpus[f.cpu];
    ap.upRequested = true;
    k.fpGlobal();
    k.wait(x, W_CPU_ONLINE, f.cpu);
    return block(1);
  });

  // AP: start_secondary()/cpu_init(): mmgrab(&init_mm); current->active_mm = &init_mm;
  // BUG_ON(current->mm); enter_lazy_tlb(&init_mm, current); then set_cpu_online(true).
  r.add('start_secondary', 'mmgrab_init_mm', (k, x, _f, pc) => {
    const cpu = k.cpus[x.cpu];
    if (pc === 1) {
      k.st(x, cpu.idle.ref + L.T_ACTIVE_MM, k.init_mm);
      k.warn(x, k.peek(cpu.idle.ref + L.T_MM) !== 0, 'BUG_ON(current->mm) in cpu_init');
      return YIELD;
    }
    cpu.dead = false;
    cpu.dying = false;
    cpu.rcuWatching = true;
    k.call(x, H.mmgrab).mm = k.init_mm;
    return callAgain(1);
  });
  r.add('start_secondary', 'enter_lazy_tlb', (k, x) => {
    const c = k.call(x, H.enter_lazy_tlb);
    c.mm = k.init_mm;
    c.tsk = k.cpus[x.cpu].idle.ref;
    return CALL;
  });
  r.add('start_secondary', 'set_cpu_online', (k, x) => {
    const cpu = k.cpus[x.cpu];
    cpu.irqsOff = false;
    k.st(x, k.online + x.cpu, 1);
    cpu.online = true;
    k.fpGlobal();
    return YIELD;
  });
}


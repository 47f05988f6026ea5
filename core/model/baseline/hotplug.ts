// CPU hotplug and the idle task's mm, v5.16: takedown_cpu/finish_cpu on the BP (kernel/cpu.c),
// do_idle's offline path and idle_task_exit on the AP (kernel/sched/idle.c, core.c), and the
// AP's bringup (arch start_secondary: mmgrab(&init_mm), enter_lazy_tlb).
import type { StepRegistry } from '../registry.ts';
import { fns, int, ptr, fnid, args, NEXT, YIELD, FUSE, CALL, FUSE_CALL, callAgain, again, block } from '../fns.ts';
import { H, TS_DEAD, W_CPU_DEAD, W_CPU_ONLINE, type Kernel } from '../kernel.ts';
import * as L from '../layout.ts';

export const HOTPLUG = fns({
  takedown_cpu: { cpu: int },
  finish_cpu: { cpu: int, mm: ptr },
  bringup_cpu: { cpu: int },
  start_secondary: {},
  /** the dying CPU's idle loop; { fn, from, purpose, args }: an IPI flushed by smpcfd_dying_cpu() */
  do_idle_offline: { fn: fnid, from: int, purpose: int, args: args },
  cpuhp_report_idle_dead: {},
  arch_cpu_idle_dead: {},
  idle_task_exit: {},
});
declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof HOTPLUG> {}
  interface KernelSteps {
    'takedown_cpu.take_cpu_down': true; 'takedown_cpu.__cpu_die': true; 'takedown_cpu.finish_cpu': true;
    'finish_cpu.mmdrop_idle_active_mm': true; 'do_idle_offline.smpcfd_dying_cpu': true;
    'do_idle_offline.cpuhp_report_idle_dead': true; 'do_idle_offline.arch_cpu_idle_dead': true;
    'cpuhp_report_idle_dead.rcu_report_dead': true; 'idle_task_exit.switch_to_init_mm': true;
    'bringup_cpu.kick_ap': true; 'start_secondary.mmgrab_init_mm': true;
    'start_secondary.enter_lazy_tlb': true; 'start_secondary.set_cpu_online': true;
  }
}

/** Move the live tasks of a dying CPU to `to` (the runqueues keep creation order). */
function migrateTasks(k: Kernel, from: number, to: number) {
  let moved = false;
  for (const t of k.rqTasks[from]) {
    if (t.isIdle || t.state === TS_DEAD) continue;
    t.cpu = to;
    moved = true;
  }
  if (moved) k.rebuildRq();
}

export function registerHotplug(r: StepRegistry) {
  // BP side of cpu_down(): take the CPU out of cpu_online_mask (stop_machine's take_cpu_down),
  // let it die in its idle loop, then finish_cpu() from the CPUHP_BRINGUP_CPU teardown.
  r.add('takedown_cpu', 'take_cpu_down', (k, x, f) => {
    const ap = k.cpus[f.cpu];
    k.st(x, k.online + f.cpu, 0);
    ap.online = false;
    ap.dying = true;
    k.fpGlobal();
    // Tasks still assigned to the dying CPU migrate to this one.
    migrateTasks(k, f.cpu, x.cpu);
    return YIELD;
  });
  // __cpu_die(cpu): wait for the AP's death report.
  r.add('takedown_cpu', '__cpu_die', (k, x, f, pc) => {
    if (pc === 1) return NEXT;
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

  // take_cpu_down() on the AP runs the CPUHP_AP_SMPCFD_DYING teardown, smpcfd_dying_cpu():
  // "flush out any pending callbacks explicitly (without waiting for the IPIs to arrive), to ensure
  // that the outgoing CPU doesn't go offline with work still pending" -- IRQs off, task context.
  // (Modelled at the AP's first step on its way down, after cpu_online_mask lost it.)
  // Resume point 1: the handler has run.
  r.add('do_idle_offline', 'smpcfd_dying_cpu', (k, x, f, pc) => {
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
  // do_idle(): if (cpu_is_offline(cpu)) { tick_nohz_idle_stop_tick(); cpuhp_report_idle_dead(); arch_cpu_idle_dead(); }
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

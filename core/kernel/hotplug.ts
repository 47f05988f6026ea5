// CPU hotplug and the idle task's mm, v5.16: takedown_cpu/finish_cpu on the BP (kernel/cpu.c),
// do_idle's offline path and idle_task_exit on the AP (kernel/sched/idle.c, core.c), and the
// AP's bringup (arch start_secondary: mmgrab(&init_mm), enter_lazy_tlb).
import type { StepRegistry } from '../hooks.ts';
import { H, NULL, type Kernel } from '../kernel.ts';
import * as L from '../layout.ts';
import { BLOCK } from './sched.ts';

/** Move the live tasks of a dying CPU to `to`, keeping creation order on the target runqueue. */
function migrateTasks(k: Kernel, from: number, to: number) {
  const moving = k.rqTasks[from].filter((t) => !t.isIdle && t.state !== 'dead');
  if (!moving.length) return;
  for (const t of moving) t.cpu = to;
  k.rqTasks[from] = k.rqTasks[from].filter((t) => !moving.includes(t));
  k.rqTasks[to] = k.rqTasks[to].concat(moving).sort((a, b) => a.ref - b.ref);
}

export function registerHotplug(r: StepRegistry) {
  // BP side of cpu_down(): take the CPU out of cpu_online_mask (stop_machine's take_cpu_down),
  // let it die in its idle loop, then finish_cpu() from the CPUHP_BRINGUP_CPU teardown.
  r.add('takedown_cpu', 'take_cpu_down', function* (k, x, f) {
    const ap = k.cpus[f.cpu];
    k.st(x, k.online + f.cpu, 0);
    ap.online = false;
    ap.dying = true;
    k.fpGlobal();
    // Tasks still assigned to the dying CPU migrate to this one.
    migrateTasks(k, f.cpu, x.cpu);
    yield 0;
  });
  // __cpu_die(cpu): wait for the AP's death report.
  r.add('takedown_cpu', '__cpu_die', function* (k, x, f) {
    const ap = k.cpus[f.cpu];
    x.wait = () => ap.dead;
    yield BLOCK;
  });
  r.add('takedown_cpu', 'finish_cpu', function* (k, x, f) {
    yield k.invoke(H.finish_cpu, { cpu: f.cpu });
  });

  // static int finish_cpu(unsigned int cpu): "idle_task_exit() will have switched to &init_mm,
  // now clean up any remaining active_mm state."
  r.add('finish_cpu', 'mmdrop_idle_active_mm', function* (k, x, f) {
    const idle = k.cpus[f.cpu].idle.ref;
    const mm = k.ld(x, idle + L.T_ACTIVE_MM);
    if (mm !== k.init_mm) k.st(x, idle + L.T_ACTIVE_MM, k.init_mm);
    yield 0;
    yield k.invoke(H.mmdrop, { mm });
  });

  // take_cpu_down() on the AP runs the CPUHP_AP_SMPCFD_DYING teardown, smpcfd_dying_cpu():
  // "flush out any pending callbacks explicitly (without waiting for the IPIs to arrive), to ensure
  // that the outgoing CPU doesn't go offline with work still pending" -- IRQs off, task context.
  // (Modelled at the AP's first step on its way down, after cpu_online_mask lost it.)
  r.add('do_idle_offline', 'smpcfd_dying_cpu', function* (k, x) {
    const cpu = k.cpus[x.cpu];
    while (cpu.pending.length) {
      const ipi = cpu.pending.shift()!;
      k.fpGlobal();
      yield k.invoke(ipi.fn, { ...ipi.arg });
      ipi.done = true;
      yield 0;
    }
  });
  // do_idle(): if (cpu_is_offline(cpu)) { tick_nohz_idle_stop_tick(); cpuhp_report_idle_dead(); arch_cpu_idle_dead(); }
  r.add('do_idle_offline', 'cpuhp_report_idle_dead', function* (k, x) {
    yield k.invoke(H.cpuhp_report_idle_dead, {});
  });
  r.add('do_idle_offline', 'arch_cpu_idle_dead', function* (k, x) {
    yield k.invoke(H.arch_cpu_idle_dead, {});
  });
  // rcu_report_dead(): from here RCU does not watch this CPU.
  r.add('cpuhp_report_idle_dead', 'rcu_report_dead', (k, x) => {
    k.cpus[x.cpu].rcuWatching = false;
    if (k.tracing) k.tr(x, `rcu_report_dead(cpu${x.cpu})`);
  });

  // void idle_task_exit(void): "Ensure that the idle task is using init_mm right before its CPU goes offline."
  r.add('idle_task_exit', 'switch_to_init_mm', function* (k, x) {
    const cpu = k.cpus[x.cpu];
    k.warn(x, cpu.online, 'BUG_ON(cpu_online(smp_processor_id())) in idle_task_exit');
    const mm = k.ld(x, cpu.idle.ref + L.T_ACTIVE_MM);
    if (mm !== k.init_mm) yield k.invoke(H.switch_mm, { prev: mm, next: k.init_mm, tsk: cpu.idle });
    // "finish_cpu(), as ran on the BP, will clean up the active_mm state"
  });

  // BP side of cpu_up(): bringup_cpu() kicks the AP and waits for it to come online.
  r.add('bringup_cpu', 'kick_ap', function* (k, x, f) {
    const ap = k.cpus[f.cpu];
    ap.upRequested = true;
    k.fpGlobal();
    x.wait = () => ap.online;
    yield BLOCK;
  });

  // AP: start_secondary()/cpu_init(): mmgrab(&init_mm); current->active_mm = &init_mm;
  // BUG_ON(current->mm); enter_lazy_tlb(&init_mm, current); then set_cpu_online(true).
  r.add('start_secondary', 'mmgrab_init_mm', function* (k, x) {
    const cpu = k.cpus[x.cpu];
    cpu.dead = false;
    cpu.dying = false;
    cpu.rcuWatching = true;
    yield k.invoke(H.mmgrab, { mm: k.init_mm });
    k.st(x, cpu.idle.ref + L.T_ACTIVE_MM, k.init_mm);
    k.warn(x, k.peek(cpu.idle.ref + L.T_MM) !== NULL, 'BUG_ON(current->mm) in cpu_init');
    yield 0;
  });
  r.add('start_secondary', 'enter_lazy_tlb', function* (k, x) {
    yield k.invoke(H.enter_lazy_tlb, { mm: k.init_mm, tsk: k.cpus[x.cpu].idle });
  });
  r.add('start_secondary', 'set_cpu_online', function* (k, x) {
    const cpu = k.cpus[x.cpu];
    cpu.irqsOff = false;
    k.st(x, k.online + x.cpu, 1);
    cpu.online = true;
    k.fpGlobal();
    yield 0;
  });
}

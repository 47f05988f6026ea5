// CPU hotplug with a lazy mm: cpu1 is lazily on P (P.t1 exited there) when kthread H takes it down
// and brings it back up, while P's last thread exits and Q then runs on cpu0 (dropping cpu0's lazy
// reference), so P's last reference may be the one the dying CPU holds. Where is it dropped?
//  - v5.16: idle_task_exit() (arch play_dead, after rcu_report_dead()) only switches the MMU to
//    init_mm; finish_cpu() on the BP drops the idle task's lazy reference (bf2c59fce407).
//  - lazy-mm/12: the dying CPU calls unlazy_mm_irqs_off() before cpuhp_report_idle_dead(), so
//    __mmdrop() may run there, while RCU still watches it.
//  - before bf2c59fce407 (scenarios/variants/pre-bf2c59fce407.ts): idle_task_exit() dropped it
//    after rcu_report_dead(): the 'context' oracle flags __mmdrop() on a CPU RCU ignores.
// With --cpus 3, P.t0 runs on cpu2 and can exit while cpu1 is on its way down.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'cpu-offline-lazy',
  description: 'cpu1 is lazily on P (P.t1 exited there) when kthread H takes it down and up again, while P.t0 exits and Q.t0 then runs on cpu0',
  cpus: { default: 2, min: 2, max: 3 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: b.cpus > 2 ? 2 : 0, prog: [{ op: 'touch' }, { op: 'exit' }] });
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'touch' }, { op: 'sleep' }, { op: 'touch' }, { op: 'exit' }] });
    b.process('Q');
    b.thread('Q.t0', { mm: 'Q', cpu: 0, prog: [{ op: 'sleep' }, { op: 'touch' }, { op: 'exit' }] });
    b.kthread('H', { cpu: 0, prog: [{ op: 'cpu_down', cpu: 1 }, { op: 'cpu_up', cpu: 1 }] });
  },
  expect: [
    { config: '--arch x86', verdict: 'never', why: 'P\'s last reference is dropped on cpu0 (finish_cpu() on the BP, or a kernel->user switch)' },
    { config: '--arch x86 --drop-step takedown_cpu.finish_cpu', verdict: 'sometimes', oracle: 'leak',
      why: 'v5.16 drops the dead CPU\'s lazy reference only in the BP\'s finish_cpu(); cpu_up() then overwrites idle->active_mm' },
    { config: '--arch x86 --apply scenarios/variants/pre-bf2c59fce407.ts', verdict: 'sometimes', oracle: 'context',
      why: 'the 2020 bug: idle_task_exit() may do the last mmdrop() after rcu_report_dead()' },
    { config: '--arch x86 --apply lazy-mm:1-12', verdict: 'never',
      why: '12: unlazy_mm_irqs_off() may do the last mmdrop() on the dying cpu1, before cpuhp_report_idle_dead()' },
    { config: '--arch x86 --apply lazy-mm:1-12 --drop-step do_idle_offline.unlazy_mm_irqs_off', verdict: 'sometimes', oracle: 'leak',
      why: 'after 12 nothing else drops the dying CPU\'s lazy reference (finish_cpu() is gone)' },
  ],
});

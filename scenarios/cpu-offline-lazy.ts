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
//  - powerpc with shoot-lazies (no lazy refcount): take_cpu_down() -> pseries_cpu_disable() ->
//    cleanup_cpu_mmu_context() clears cpu1 from mm_cpumask(P) while its idle task is still lazily
//    on P; if P's last user exits before cpu1's idle_task_exit(), cleanup_lazy_tlbs() does not shoot
//    cpu1 and P is freed under it: the race 21641bd9a7a7 fixed (anchors-upstream.md §1). On two
//    CPUs the model cannot reach it: cpu0 is held by H's cpu_down() until cpu1 is dead (the
//    kernel's H would sleep and let cpu0 run P.t0; the model's CPU runs no other task while one
//    waits inside a system call). With three, P.t0 exits on cpu2 in the window.
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
    { config: '--arch powerpc --apply shoot-lazies', verdict: 'never',
      why: 'take_cpu_down() runs on cpu1 inside stop_machine, after P.t1 has finished its exit (or been pushed to cpu0), with cpu0 held in multi_cpu_stop; the window where cpu1 is offline and lazily on P is there, but on 2 CPUs P\'s last user cannot run in it (see above). Before the stop_machine model, take_cpu_down() ran on cpu0 while cpu1 was still inside P.t1\'s exit: a false [lifetime] report' },
    { config: '--arch powerpc --apply shoot-lazies --cpus 3 --drop-step tlb_flush_mmu.tlb_flush_mmu_free', verdict: 'sometimes', oracle: 'lifetime',
      why: '21641bd9a7a7: cleanup_cpu_mmu_context() took cpu1 out of mm_cpumask(P) while its idle is lazily on P; P.t0 exits on cpu2 and cleanup_lazy_tlbs() misses cpu1: P\'s pgd is freed while cpu1\'s PID still points to it' },
    { config: '--arch powerpc --cpus 3 --drop-step tlb_flush_mmu.tlb_flush_mmu_free', verdict: 'never',
      why: 'with refcounted lazy mms the idle task\'s reference keeps P until finish_cpu()' },
  ],
});

// A historical baseline variant, for `--apply scenarios/variants/pre-bf2c59fce407.ts`: the kernel
// before bf2c59fce407 ("sched/core: Fix illegal RCU from offline CPUs", 2020), whose
// idle_task_exit() dropped the idle task's lazy mm itself, on the dying CPU, after
// cpuhp_report_idle_dead() (rcu_report_dead()), and had no finish_cpu() teardown on the BP:
//
//	if (mm != &init_mm) {
//		switch_mm(mm, &init_mm, current);
//		current->active_mm = &init_mm;
//		finish_arch_post_lock_switch();
//	}
//	mmdrop(mm);
//
// lazy-mm/12 deletes idle_task_exit() and finish_cpu(), so this variant applies to kernels without 12.
import type { StepRegistry } from '../../core/hooks.ts';
import { H } from '../../core/kernel.ts';
import * as L from '../../core/layout.ts';

export default {
  id: 'variant/pre-bf2c59fce407',
  title: 'idle_task_exit() drops the lazy mm after rcu_report_dead() (before bf2c59fce407)',
  apply(r: StepRegistry) {
    r.replace('idle_task_exit', 'switch_to_init_mm', function* (k, x) {
      const cpu = k.cpus[x.cpu];
      k.warn(x, cpu.online, 'BUG_ON(cpu_online(smp_processor_id())) in idle_task_exit');
      const mm = k.ld(x, cpu.idle.ref + L.T_ACTIVE_MM);
      if (mm !== k.init_mm) {
        yield k.invoke(H.switch_mm, { prev: mm, next: k.init_mm, tsk: cpu.idle });
        k.st(x, cpu.idle.ref + L.T_ACTIVE_MM, k.init_mm);
        yield 0;
      }
      yield k.invoke(H.mmdrop, { mm });
    });
    r.remove('takedown_cpu', 'finish_cpu');
  },
};

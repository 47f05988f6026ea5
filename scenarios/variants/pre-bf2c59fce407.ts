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
import {
  frameExt, ptr, NEXT, YIELD, CALL, FUSE_CALL, fuseCallAgain, again, H, L, type StepRegistry,
} from '../../core/model/index.ts';

export const PRE_BF2C59 = frameExt({ idle_task_exit: { mm: ptr } });
declare module '../../core/model/fns.ts' {
  interface FrameExts { 'variant/pre-bf2c59fce407': typeof PRE_BF2C59 }
}

export default {
  id: 'variant/pre-bf2c59fce407',
  title: 'idle_task_exit() drops the lazy mm after rcu_report_dead() (before bf2c59fce407)',
  apply(r: StepRegistry) {
    // Resume points: 1 after switch_mm(), 2 after the active_mm store.
    r.replace('idle_task_exit', 'switch_to_init_mm', (k, x, f, pc) => {
      const cpu = k.cpus[x.cpu];
      if (pc === 1) {
        k.st(x, cpu.idle.ref + L.T_ACTIVE_MM, k.init_mm);
        return again(2);
      }
      if (pc === 2) {
        k.call(x, H.mmdrop).mm = f.mm;
        return CALL;
      }
      k.warn(x, cpu.online, 'BUG_ON(cpu_online(smp_processor_id())) in idle_task_exit');
      f.mm = k.ld(x, cpu.idle.ref + L.T_ACTIVE_MM);
      if (f.mm !== k.init_mm) {
        const c = k.call(x, H.switch_mm);
        c.prev = f.mm;
        c.next = k.init_mm;
        c.tsk = cpu.idle.ref;
        return fuseCallAgain(1);
      }
      k.call(x, H.mmdrop).mm = f.mm;
      return FUSE_CALL;
    });
    r.remove('takedown_cpu', 'finish_cpu');
  },
};

export { NEXT, YIELD };

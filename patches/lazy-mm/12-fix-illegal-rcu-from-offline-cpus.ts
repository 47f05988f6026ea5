// lazy-mm/12 "Rework "sched/core: Fix illegal RCU from offline CPUs""
// Seed: seeds/000_13ce268f039a5445.txt L2891-3352, diff L2954-3346 (18 arch play_dead paths,
// include/linux/sched/hotplug.h, kernel/cpu.c, kernel/sched/core.c, idle.c, sched.h).
// The dying CPU drops its lazy mm itself: do_idle()'s offline branch calls the new
// unlazy_mm_irqs_off() (switch to init_mm, mmgrab(&init_mm), active_mm = &init_mm, mmdrop(old))
// before cpuhp_report_idle_dead() (so before rcu_report_dead()), instead of idle_task_exit() in the
// arch's play_dead (after it) plus finish_cpu() on the BP; both of those are deleted.
import { definePatch, fns, ptr, task, NEXT, YIELD, FUSE, FUSE_RET, CALL, H, NULL, L } from '../../core/model/index.ts';
import { removeFunction } from './_steps.ts';

// void unlazy_mm_irqs_off(void)   (kernel/sched/core.c); locals: current, its active_mm
export const P12 = fns({ unlazy_mm_irqs_off: { tsk: task, mm: ptr } });
declare module '../../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof P12> {}
  interface KernelSteps {
    'unlazy_mm_irqs_off.check': true; 'unlazy_mm_irqs_off.switch_mm_irqs_off': true;
    'unlazy_mm_irqs_off.mmgrab_init_mm': true; 'unlazy_mm_irqs_off.set_active_mm': true;
    'unlazy_mm_irqs_off.finish_arch_post_lock_switch': true; 'unlazy_mm_irqs_off.mmdrop': true;
    'do_idle_offline.unlazy_mm_irqs_off': true;
  }
}

export default definePatch({
  id: 'lazy-mm/12',
  series: 'lazy-mm',
  index: 12,
  title: 'Rework "sched/core: Fix illegal RCU from offline CPUs"',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L2891-3352 (diff L2954-3346)',
  apply(r) {
    // kernel/sched/core.c:
    // void unlazy_mm_irqs_off(void)
    // {
    // 	struct mm_struct *mm = current->active_mm;
    // 	lockdep_assert_irqs_disabled();
    // 	if (WARN_ON_ONCE(current->mm))
    // 		return;
    // 	if (mm == &init_mm)
    // 		return;
    r.add('unlazy_mm_irqs_off', 'check', (k, x, f) => {
      const cur = k.cpus[x.cpu].curr.ref;
      f.tsk = cur;
      f.mm = k.ld(x, cur + L.T_ACTIVE_MM);
      if (!k.cpus[x.cpu].irqsOff) k.violate('context', `unlazy_mm_irqs_off() with IRQs enabled on cpu${x.cpu} (lockdep_assert_irqs_disabled)`, x);
      if (k.ld(x, cur + L.T_MM) !== NULL) {
        k.warn(x, true, 'WARN_ON_ONCE(current->mm) in unlazy_mm_irqs_off');
        return FUSE_RET;
      }
      return f.mm === k.init_mm ? FUSE_RET : FUSE;
    });
    // 	switch_mm_irqs_off(mm, &init_mm, current);
    r.add('unlazy_mm_irqs_off', 'switch_mm_irqs_off', (k, x, f) => {
      const c = k.call(x, H.switch_mm_irqs_off);
      c.prev = f.mm;
      c.next = k.init_mm;
      c.tsk = f.tsk;
      return CALL;
    });
    // 	mmgrab(&init_mm);
    r.add('unlazy_mm_irqs_off', 'mmgrab_init_mm', (k, x) => {
      k.call(x, H.mmgrab).mm = k.init_mm;
      return CALL;
    });
    // 	current->active_mm = &init_mm;
    r.add('unlazy_mm_irqs_off', 'set_active_mm', (k, x, f) => {
      k.st(x, f.tsk + L.T_ACTIVE_MM, k.init_mm);
      return YIELD;
    });
    // 	finish_arch_post_lock_switch();   (empty on the modelled arches)
    r.add('unlazy_mm_irqs_off', 'finish_arch_post_lock_switch', () => NEXT);
    // 	mmdrop(mm);
    // }
    r.add('unlazy_mm_irqs_off', 'mmdrop', (k, x, f) => {
      k.call(x, H.mmdrop).mm = f.mm;
      return CALL;
    });

    // kernel/sched/idle.c do_idle():
    //  		if (cpu_is_offline(cpu)) {
    // +			unlazy_mm_irqs_off();
    //  			tick_nohz_idle_stop_tick();
    //  			cpuhp_report_idle_dead();
    //  			arch_cpu_idle_dead();
    r.add('do_idle_offline', 'unlazy_mm_irqs_off', (k, x) => {
      k.call(x, H.unlazy_mm_irqs_off);
      return CALL;
    }, { before: 'cpuhp_report_idle_dead' });

    // Every arch's play_dead path loses its idle_task_exit() call (x86: play_dead_common()), and
    // idle_task_exit() itself is deleted.
    if (r.has('arch_cpu_idle_dead', 'idle_task_exit')) r.remove('arch_cpu_idle_dead', 'idle_task_exit');
    removeFunction(r, 'idle_task_exit');

    // kernel/cpu.c: finish_cpu() is deleted; [CPUHP_BRINGUP_CPU].teardown.single = NULL.
    r.remove('takedown_cpu', 'finish_cpu');
    removeFunction(r, 'finish_cpu');
  },
});

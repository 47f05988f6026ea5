// lazy-mm/12 "Rework "sched/core: Fix illegal RCU from offline CPUs""
// Seed: seeds/000_13ce268f039a5445.txt L2891-3352, diff L2954-3346 (18 arch play_dead paths,
// include/linux/sched/hotplug.h, kernel/cpu.c, kernel/sched/core.c, idle.c, sched.h).
// The dying CPU drops its lazy mm itself: do_idle()'s offline branch calls the new
// unlazy_mm_irqs_off() (switch to init_mm, mmgrab(&init_mm), active_mm = &init_mm, mmdrop(old))
// before cpuhp_report_idle_dead() (so before rcu_report_dead()), instead of idle_task_exit() in the
// arch's play_dead (after it) plus finish_cpu() on the BP; both of those are deleted.
import { definePatch } from '../../core/series/types.ts';
import { H, NULL } from '../../core/kernel.ts';
import * as L from '../../core/layout.ts';
import { removeFunction } from './_steps.ts';

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
      const cur = k.cpus[x.cpu].curr;
      f.tsk = cur;
      f.mm = k.ld(x, cur.ref + L.T_ACTIVE_MM);
      if (!k.cpus[x.cpu].irqsOff) k.violate('context', `unlazy_mm_irqs_off() with IRQs enabled on cpu${x.cpu} (lockdep_assert_irqs_disabled)`, x);
      if (k.ld(x, cur.ref + L.T_MM) !== NULL) {
        k.warn(x, true, 'WARN_ON_ONCE(current->mm) in unlazy_mm_irqs_off');
        f.ret_early = true;
        return;
      }
      if (f.mm === k.init_mm) f.ret_early = true;
    });
    // 	switch_mm_irqs_off(mm, &init_mm, current);
    r.add('unlazy_mm_irqs_off', 'switch_mm_irqs_off', function* (k, x, f) {
      yield k.invoke(H.switch_mm_irqs_off, { prev: f.mm, next: k.init_mm, tsk: f.tsk });
    });
    // 	mmgrab(&init_mm);
    r.add('unlazy_mm_irqs_off', 'mmgrab_init_mm', function* (k, x) {
      yield k.invoke(H.mmgrab, { mm: k.init_mm });
    });
    // 	current->active_mm = &init_mm;
    r.add('unlazy_mm_irqs_off', 'set_active_mm', function* (k, x, f) {
      k.st(x, f.tsk.ref + L.T_ACTIVE_MM, k.init_mm);
      yield 0;
    });
    // 	finish_arch_post_lock_switch();   (empty on the modelled arches)
    r.add('unlazy_mm_irqs_off', 'finish_arch_post_lock_switch', () => {});
    // 	mmdrop(mm);
    // }
    r.add('unlazy_mm_irqs_off', 'mmdrop', function* (k, x, f) {
      yield k.invoke(H.mmdrop, { mm: f.mm });
    });

    // kernel/sched/idle.c do_idle():
    //  		if (cpu_is_offline(cpu)) {
    // +			unlazy_mm_irqs_off();
    //  			tick_nohz_idle_stop_tick();
    //  			cpuhp_report_idle_dead();
    //  			arch_cpu_idle_dead();
    r.add('do_idle_offline', 'unlazy_mm_irqs_off', function* (k, x) {
      yield k.invoke(H.unlazy_mm_irqs_off, {});
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

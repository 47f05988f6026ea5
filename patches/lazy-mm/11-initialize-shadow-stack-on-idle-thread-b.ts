// lazy-mm/11 "sched/scs: Initialize shadow stack on idle thread bringup, not shutdown"
// Seed: seeds/000_13ce268f039a5445.txt L2800-2889, diff L2836-2884 (kernel/cpu.c, kernel/sched/core.c).
// Changes nothing in the model: it moves scs_task_reset(idle) from idle_task_exit() to bringup_cpu(),
// and the model has no shadow call stacks; it exists so bisect positions match the series (in the
// kernel, 12 deletes idle_task_exit() and relies on this move; the model cannot see that).
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'lazy-mm/11',
  series: 'lazy-mm',
  index: 11,
  title: 'sched/scs: Initialize shadow stack on idle thread bringup, not shutdown',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L2800-2889 (diff L2836-2884)',
  apply() {},
});

// lazy-mm/05 "membarrier, kthread: Use _ONCE accessors for task->mm"
// Seed: seeds/000_13ce268f039a5445.txt L746-861, diff L777-856 (fs/exec.c, kernel/exit.c,
// kernel/kthread.c, kernel/sched/membarrier.c).
// Changes nothing in the model: every shared access of the model is already a single, untorn
// load or store (k.ld/k.st), and membarrier's scan already reads rq->curr and p->mm in two steps,
// so READ_ONCE/WRITE_ONCE add no event; it exists so bisect positions match the series.
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'lazy-mm/05',
  series: 'lazy-mm',
  index: 5,
  title: 'membarrier, kthread: Use _ONCE accessors for task->mm',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L746-861 (diff L777-856)',
  apply() {},
});

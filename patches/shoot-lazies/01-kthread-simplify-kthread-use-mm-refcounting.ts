// shoot-lazies/01 "kthread: simplify kthread_use_mm refcounting" — mainline 6cad87b0d216
// (anchors-upstream.md §1; the seeds carry no diff: v7 1/5, Message-ID
// 20230203071837.1136453-2-npiggin@gmail.com).
// kthread_use_mm() always mmgrab()s the mm it borrows and always mmdrop()s the old active_mm,
// instead of transferring the lazy reference when the two are the same mm.
import { definePatch, YIELD, CALL, H, L } from '../../core/model/index.ts';
import './kconfig.ts';

export default definePatch({
  id: 'shoot-lazies/01',
  series: 'shoot-lazies',
  index: 1,
  title: 'kthread: simplify kthread_use_mm refcounting',
  requires: [],
  effect: 'behaviour',
  seed: 'anchors-upstream.md §1: 6cad87b0d216 (no diff in the seeds)',
  apply(r) {
    // +	mmgrab(mm);
    //  	task_lock(tsk);
    r.add('kthread_use_mm', 'mmgrab', (k, x, f) => {
      k.call(x, H.mmgrab).mm = f.mm;
      return CALL;
    }, { before: 'task_lock' });
    // -	if (active_mm != mm) { mmgrab(mm); tsk->active_mm = mm; }
    // +	tsk->active_mm = mm;
    r.replace('kthread_use_mm', 'mmgrab_active_mm', (k, x, f) => {
      k.st(x, f.tsk + L.T_ACTIVE_MM, f.mm);
      return YIELD;
    }, 'set_active_mm');
    // -	if (active_mm != mm) mmdrop(active_mm); else smp_mb();
    // +	mmdrop(active_mm);
    r.replace('kthread_use_mm', 'mmdrop_active_mm', (k, x, f) => {
      k.call(x, H.mmdrop).mm = f.active_mm;
      return CALL;
    });
  },
});

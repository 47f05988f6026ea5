// lazy-mm/13 "exec: Remove unnecessary vmacache_seqnum clear in exec_mmap()"
// Seed: seeds/000_13ce268f039a5445.txt L3353-3393 (diff L3376-3387, fs/exec.c).
// Deletes exec_mmap()'s `tsk->mm->vmacache_seqnum = 0;` (a brand-new mm already has seqnum 0): the
// model drops the exec_mmap.vmacache_seqnum_clear step, which touches no shared state, so traces do
// not change; the patch still exists so that bisect positions match the series (and 14 can then move
// the remaining body into __change_current_mm(), where zeroing a live mm's seqnum would be wrong).
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'lazy-mm/13',
  series: 'lazy-mm',
  index: 13,
  title: 'exec: Remove unnecessary vmacache_seqnum clear in exec_mmap()',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L3353-3393 (diff L3376-3387)',
  apply(r) {
    //  	membarrier_finish_switch_mm(mm);
    // -	tsk->mm->vmacache_seqnum = 0;
    //  	vmacache_flush(tsk);
    r.remove('exec_mmap', 'vmacache_seqnum_clear');
  },
});

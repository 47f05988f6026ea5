// lazy-mm/02 "x86/mm: Handle unlazying membarrier core sync in the arch code"
// Seed: seeds/000_13ce268f039a5445.txt L269-485, diff L310-480 (arch/x86/mm/tlb.c,
// include/linux/sched/mm.h, kernel/sched/core.c).
// Moves the SYNC_CORE core serialization (S) of a kernel->user switch on a lazily held mm from the
// core scheduler (finish_task_switch) into x86's switch_mm_irqs_off, on the one path that does not
// write CR3 (was lazy, same mm, TLB up to date); on other arches the removed call was empty.
import {
  definePatch, fns, ptr, int, NEXT, RET, again, fuseCallAgain, codeKind, Y,
  H, L, ModelError, syncCoreEvent,
} from '../../core/model/index.ts';
import { removeFunction, wrapStep } from './_steps.ts';

// static void sync_core_if_membarrier_enabled(struct mm_struct *next)   (arch/x86/mm/tlb.c)
export const P02 = fns({ sync_core_if_membarrier_enabled: { next: ptr, state: int } });
declare module '../../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof P02> {}
  interface KernelSteps {
    'sync_core_if_membarrier_enabled.sync_core_before_usermode': true;
    'switch_mm_irqs_off.same_mm': true; 'switch_mm_irqs_off.check_tlb_gen': true;
  }
}

/** Resume point of the wrapped check_tlb_gen: sync_core_if_membarrier_enabled() has returned
 *  (above the resume points of x86's own check_tlb_gen). */
const SYNC_CORE_DONE = 16;

export default definePatch({
  id: 'lazy-mm/02',
  series: 'lazy-mm',
  index: 2,
  title: 'x86/mm: Handle unlazying membarrier core sync in the arch code',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L269-485 (diff L310-480)',
  apply(r, k) {
    // kernel/sched/core.c finish_task_switch(): `if (mm) { membarrier_mm_sync_core_before_usermode(mm);
    // mmdrop(mm); }` becomes `if (mm) mmdrop(mm);` -- on every arch.
    r.remove('finish_task_switch', 'sync_core_prev_mm');
    // include/linux/sched/mm.h: membarrier_mm_sync_core_before_usermode() is deleted.
    removeFunction(r, 'membarrier_mm_sync_core_before_usermode');

    if (!k.arch.name.startsWith('x86') || !r.has('switch_mm_irqs_off', 'check_tlb_gen')) return;
    // if (unlikely(atomic_read(&next->membarrier_state) & MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE))
    //         sync_core_before_usermode();
    // Resume point 1: after the read.
    r.add('sync_core_if_membarrier_enabled', 'sync_core_before_usermode', (k, x, f, pc) => {
      if (pc === 0) {
        f.state = k.ld(x, f.next + L.MM_MEMBARRIER_STATE);
        return again(1);
      }
      if (!(f.state & L.MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE)) return NEXT;
      k.count('sync_core');
      syncCoreEvent(k, x);
      if (k.tracing) k.tr(x, 'sync_core_before_usermode()');
      return NEXT;
    });
    // switch_mm_irqs_off(), real_prev == next, was_lazy, after smp_mb():
    //   if (this_cpu_read(cpu_tlbstate.ctxs[prev_asid].tlb_gen) == next_tlb_gen) {
    //           sync_core_if_membarrier_enabled(next);   /* "we're not going to write to CR3" */
    //           return;
    //   }
    // x86's check_tlb_gen returns from switch_mm_irqs_off with f.same_up_to_date set, in the event
    // of its tlb_gen read (FUSE_RET): the call goes between that read and the return, in the same event.
    wrapStep(r, 'switch_mm_irqs_off', 'check_tlb_gen', (check) => (k, x, f, pc) => {
      if (pc === SYNC_CORE_DONE) return RET;
      const code = check(k, x, f, pc);
      if (!f.same_up_to_date) return code;
      if (codeKind(code) !== RET || (code & Y) !== 0) throw new ModelError('lazy-mm/02: switch_mm_irqs_off.check_tlb_gen set same_up_to_date without returning FUSE_RET');
      k.call(x, H.sync_core_if_membarrier_enabled).next = f.next;
      return fuseCallAgain(SYNC_CORE_DONE);
    });
  },
});

// shoot-lazies/03 "lazy tlb: allow lazy tlb mm refcounting to be configurable" — mainline
// 88e3009b5283 (anchors-upstream.md §1); seed 004 L1-19 is Andy's NACK of an earlier posting of
// it (080/262), L29-40 its Kconfig context and L41-55 the KASAN check his [HACK] added.
// mmgrab_lazy_tlb()/mmdrop_lazy_tlb[_sched]() follow CONFIG_MMU_LAZY_TLB_REFCOUNT (--set,
// default y): when it is n they take no reference and mmdrop_lazy_tlb() is only the smp_mb()
// membarrier relies on; the KASAN check site of Andy's NACK is installed in context_switch().
import { definePatch, NEXT, YIELD, CALL, H } from '../../core/model/index.ts';
import { lazyTlb, registerKasanCheckByte } from './kconfig.ts';

export default definePatch({
  id: 'shoot-lazies/03',
  series: 'shoot-lazies',
  index: 3,
  title: 'lazy tlb: allow lazy tlb mm refcounting to be configurable',
  requires: ['shoot-lazies/02'],
  effect: 'behaviour',
  seed: 'seeds/004_4c76eeb119221139.txt L1-55 (NACK, Kconfig context, KASAN hack); anchors-upstream.md §1: 88e3009b5283',
  apply(r, k) {
    // MMU_LAZY_TLB_REFCOUNT=n: a lazy active_mm (and rq->prev_mm, its way to finish_task_switch())
    // holds no reference (ownership.ts); kthread_use_mm()'s mmgrab(mm) still does.
    if (!lazyTlb(k).refcount) k.refRules.lazyActiveMm = false;
    // if (IS_ENABLED(CONFIG_MMU_LAZY_TLB_REFCOUNT)) mmgrab(mm);
    r.replace('mmgrab_lazy_tlb', 'mmgrab', (k, x, f) => {
      if (!lazyTlb(k).refcount) return NEXT;
      k.call(x, H.mmgrab).mm = f.mm;
      return CALL;
    });
    // if (IS_ENABLED(CONFIG_MMU_LAZY_TLB_REFCOUNT)) { mmdrop(mm); } else {
    //   /* mmdrop_lazy_tlb must provide a full memory barrier, see the membarrier comment
    //    * finish_task_switch which relies on this. */
    //   smp_mb(); }
    r.replace('mmdrop_lazy_tlb', 'mmdrop', (k, x, f) => {
      if (lazyTlb(k).refcount) { k.call(x, H.mmdrop).mm = f.mm; return CALL; }
      k.mb(x, 'smp_mb() /* mmdrop_lazy_tlb must provide a full memory barrier */');
      return YIELD;
    });
    r.replace('mmdrop_lazy_tlb_sched', 'mmdrop_sched', (k, x, f) => {
      if (lazyTlb(k).refcount) { k.call(x, H.mmdrop).mm = f.mm; return CALL; }
      k.mb(x, 'smp_mb() /* see mmdrop_lazy_tlb() above */');
      return YIELD;
    });
    registerKasanCheckByte(r);
  },
});

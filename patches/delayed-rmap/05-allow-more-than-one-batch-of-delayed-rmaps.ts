// delayed-rmap/05 "mm: mmu_gather: allow more than one batch of delayed rmaps" (v6.2)
// Seed: not in seeds/002_a22f6d6eeee8c674.txt; it relaxes the rule 04 states at L5786-5796
// ("only the last batch (the so-called "active batch") in the mmu_gather structure can have any
// delayed entries"); reference/delayed-rmap.md §2.0 [ext]; mm/mmu_gather.c since v6.2.
// Delayed rmaps may sit in the local batch and in the one active batch after it: tlb_next_batch()
// refuses a new batch only once the active batch is not the local one, and tlb_flush_rmaps()
// walks both (and now checks tlb->delayed_rmap itself). Fewer forced flushes, same ordering.
import { definePatch, H, NEXT, RET, callAgain, goTo } from '../../core/model/index.ts';
import { tlb_flush_rmap_batch } from './04-delay-page-remove-rmap.ts';

export default definePatch({
  id: 'delayed-rmap/05',
  series: 'delayed-rmap',
  index: 5,
  title: 'mm: mmu_gather: allow more than one batch of delayed rmaps',
  requires: ['delayed-rmap/04'],
  effect: 'behaviour',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L5786-5796 (the rule it relaxes); the diff is not in the seed',
  apply(r, k) {
    if (k.arch.mmuGather === 'immediate') return; // s390's stubs are untouched
    //   /* Limit batching if we have delayed rmaps pending */
    //   if (tlb->delayed_rmap && tlb->active != &tlb->local) return false;
    r.replace('tlb_next_batch', 'delayed_rmap', (k, x, f) => {
      const tlb = k.at(x, H.mmu_gather, f.tlb);
      if (!tlb.delayed_rmap || tlb.active === 0) return NEXT;
      f.ret = false;
      return RET;
    });
    // void tlb_flush_rmaps(struct mmu_gather *tlb, struct vm_area_struct *vma)
    //   if (!tlb->delayed_rmap) return;
    //   tlb_flush_rmap_batch(&tlb->local, vma);
    //   if (tlb->active != &tlb->local) tlb_flush_rmap_batch(tlb->active, vma);
    //   tlb->delayed_rmap = 0;
    // Resume points: 1 after the local batch, 2 after the active one.
    r.replace('tlb_flush_rmaps', 'active_batch', (k, x, f, pc) => {
      const tlb = k.at(x, H.mmu_gather, f.tlb);
      switch (pc) {
        case 0:
          if (!tlb.delayed_rmap) return NEXT;
          tlb_flush_rmap_batch(k, x, f.tlb, 0, f.vma);
          return callAgain(1);
        case 1:
          if (tlb.active === 0) return goTo(2);
          tlb_flush_rmap_batch(k, x, f.tlb, tlb.active, f.vma);
          return callAgain(2);
        default:
          tlb.delayed_rmap = 0;
          return NEXT;
      }
    }, 'local_and_active_batch');
  },
});

// Oracles that look at the whole state rather than at one access. Per-access oracles (KASAN,
// refcount, context legality, membarrier, WARN_ONs) live beside the code they watch; all of them
// report through Kernel.violate and none changes the state.
import type { Kernel } from './kernel.ts';
import { leakOracle, danglingOracle } from './ownership.ts';

export const ORACLES: Record<string, string> = {
  kasan: 'use-after-free: any load/store/RMW of a freed mm_struct, pgd, page table or page',
  lifetime: 'pgd or page tables freed while a CPU\'s MMU may still walk them',
  refcount: 'mm_users/mm_count underflow, __mmdrop of init_mm or with users left, mmget on a dead mm',
  leak: 'at quiescence, an mm_count or mm_users reference that no owner holds (reference ownership, as ref_tracker: each report names where the reference was taken) -- core/model/ownership.ts',
  dangling: 'a scheduler or MMU pointer (rq->lazy_mm, rq->drop_mm, rq->prev_mm, a task\'s mm or active_mm, loaded_mm, CR3/PID) to a freed mm or pgd, at every context switch and at quiescence, whether or not anything dereferences it -- core/model/ownership.ts',
  context: 'IRQs-off requirements, __mmdrop in hardirq/NMI or on a CPU RCU does not watch',
  membarrier: 'the membarrier rule of lazy-mm/01 (strict, default: an F before and after every change of rq->curr->mm to or from a registered mm, and for SYNC_CORE an S before user code; observed: only what a concurrent membarrier() relied on when it skipped a CPU) -- core/model/baseline/membarrier.ts',
  warn: 'the modelled code\'s own WARN_ON/BUG_ON',
  conformance: 'an arch contract invariant (test/conformance): mm_cpumask exactness, IRQs off in switch_mm_irqs_off, loaded-mm agreement, flushIpisReachLazy, exitShootsLazies, lazy MMU batches',
  'lazy-mmu': 'lazy MMU mode rules (lazy-mmu/01): a nested region, a region in interrupt context, a task switched out inside a region on an arch that keeps the mode per CPU unsaved (sparc64), a PTE update still deferred in the batch used as if done (kmap)',
  'stale-tlb': 'a CPU runs user code of an mm with a TLB generation older than a flush of that mm that has completed (x86-4.18)',
  outcome: 'a final state the scenario forbids (litmus tests: e.g. store buffering across membarrier())',
  'lost-write': 'data a user program wrote is gone: a clean page leaves the page cache (eviction, reclaim) with data the disk lacks, a clean page still differs from the disk at quiescence, or a thread reads back something other than its own last write (Nadav Amit\'s PoC check). The cause is a write through a stale, writable+dirty TLB entry after the page was cleaned or freed (core/model/page)',
  mapcount: 'page mapcount consistency: a page mapped by more PTEs than its mapcount when a page-table lock is released (rmap walkers would miss a mapping), a negative mapcount (print_bad_pte), a page freed with a nonzero mapcount (bad_page), or mapcount != number of mapping PTEs at quiescence (core/model/page)',
  'torn-read': 'a lockless page-table read (GUP-fast\'s READ_ONCE/pmdp_get_lockless/ptep_get_lockless) returned a present entry that was never stored there: the low half of one value and the high half of another (32-bit PAE, core/model/page)',
};

/** Whole-state checks other model layers add (the page-level model registers its own). */
export const QUIESCENCE_CHECKS: ((k: Kernel) => void)[] = [];

/** At quiescence: the checks other layers add, then references no owner holds (leaks) and
 *  pointers to freed mms (ownership.ts). */
export function quiescenceOracles(k: Kernel) {
  for (const check of QUIESCENCE_CHECKS) check(k);
  leakOracle(k);
  danglingOracle(k, null);
}

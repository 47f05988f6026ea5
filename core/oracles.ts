// Oracles that look at the whole state rather than at one access. Per-access oracles (KASAN,
// refcount, context legality, membarrier, WARN_ONs) live beside the code they watch; all of them
// report through Kernel.violate and none changes the state.
import type { Kernel } from './kernel.ts';
import * as L from './layout.ts';

export const ORACLES: Record<string, string> = {
  kasan: 'use-after-free: any load/store/RMW of a freed mm_struct, pgd, page table or page',
  lifetime: 'pgd or page tables freed while a CPU\'s MMU may still walk them',
  refcount: 'mm_users/mm_count underflow, __mmdrop of init_mm or with users left, mmget on a dead mm',
  leak: 'at quiescence, an mm with no users and no CPU or task referencing it is not freed',
  context: 'IRQs-off requirements, __mmdrop in hardirq/NMI or on a CPU RCU does not watch',
  membarrier: 'the membarrier rule (strict: F before and after a change of rq->curr->mm; observed: a skipped CPU)',
  warn: 'the modelled code\'s own WARN_ON/BUG_ON',
  'stale-tlb': 'a CPU runs user code of an mm with a TLB generation older than a flush of that mm that has completed (x86-4.18)',
  outcome: 'a final state the scenario forbids (litmus tests: e.g. store buffering across membarrier())',
};

/** Leak check at quiescence: an mm nobody can reach again will never be freed. */
export function quiescenceOracles(k: Kernel) {
  for (const mi of k.mms.values()) {
    if (mi.isInit || k.m.dead[mi.ref]) continue;
    if (k.peek(mi.ref + L.MM_USERS) > 0) continue;
    if (referenced(k, mi.ref)) continue;
    k.violate('leak', `${mi.name} leaked: mm_users == 0, mm_count == ${k.peek(mi.ref + L.MM_COUNT)}, and no CPU or live task references it`, null);
    return;
  }
}

function referenced(k: Kernel, mm: number): boolean {
  for (let c = 0; c < k.ncpus; c++) {
    const rq = k.rq[c];
    if (k.peek(rq + L.RQ_PREV_MM) === mm || k.peek(rq + L.RQ_LAZY_MM) === mm || k.peek(rq + L.RQ_DROP_MM) === mm) return true;
    if (k.arch.hwLoadedMm(k, c) === mm) return true;
    if (k.peek(k.cpus[c].idle.ref + L.T_ACTIVE_MM) === mm) return true;
  }
  for (const t of k.tasks) {
    if (t.state === 'dead' && k.cpus[t.cpu].curr !== t) continue;
    if (k.peek(t.ref + L.T_ACTIVE_MM) === mm || k.peek(t.ref + L.T_MM) === mm) return true;
  }
  return false;
}

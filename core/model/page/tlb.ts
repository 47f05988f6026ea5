// The page model's per-CPU TLB entries, as far as code outside the page model touches them: a
// local flush of an mm drops them. (Filled in by the page model: core/model/page/state.ts.)
import type { Kernel } from '../kernel.ts';

export const PAGE_TLB = {
  /** Drop every TLB entry of mm on cpu (a local TLB flush of the mm). */
  flushMm: (_k: Kernel, _cpu: number, _mm: number): void => {},
};

export function tlbFlushMm(k: Kernel, cpu: number, mm: number) {
  PAGE_TLB.flushMm(k, cpu, mm);
}

/** Every CPU's TLB entries of mm are gone (a broadcast invalidation). */
export function tlbFlushMmAll(k: Kernel, mm: number) {
  for (let c = 0; c < k.ncpus; c++) PAGE_TLB.flushMm(k, c, mm);
}

// x86-32 with PAE, v6.1: the x86 TLB and lazy-mm code (arches/x86.ts: the same arch/x86/mm/tlb.c),
// with 64-bit page-table entries on a 32-bit CPU (arch/x86/include/asm/pgtable-3level.h,
// pgtable-3level_types.h; include/linux/pgtable.h under CONFIG_GUP_GET_PTE_LOW_HIGH).
//
// A PTE or PMD is two 32-bit halves. The MMU reads an entry atomically, and so does a LOCK
// CMPXCHG8B, but the kernel's plain accesses touch one half at a time:
//  - native_set_pte(): "ptep->pte_high = pte.pte_high; smp_wmb(); ptep->pte_low = pte.pte_low;"
//  - native_pmd_clear(): "*tmp = 0; smp_wmb(); *(tmp + 1) = 0;" (low half first)
//  - pmd_read_atomic(): "ret = *tmp; if (ret) { smp_rmb(); ret |= (pmdval_t)*(tmp + 1) << 32; }"
//  - ptep_get_lockless(): "do { pte.pte_low = ptep->pte_low; smp_rmb(); pte.pte_high =
//    ptep->pte_high; smp_rmb(); } while (unlikely(pte.pte_low != ptep->pte_low));"
//  - READ_ONCE() of a pmd_t (GUP-fast's gup_pmd_range()): two 32-bit loads (core/model/page/pgtable.ts
//    read_once64, selected by declarePteLowHigh).
//  - native_ptep_get_and_clear(): arch_atomic64_xchg() (a CMPXCHG8B loop: atomic);
//    native_set_pmd(): set_64bit() (CMPXCHG8B: atomic).
// No PCID on 32-bit: CR3 writes flush the previous mm's TLB entries (as the x86 model assumes).
import {
  H, NEXT, YIELD, callAgain, again, page,
  type ArchPlugin, type StepRegistry, type Kernel, type Ctx,
} from '../core/model/index.ts';
import { x86, X86_STATE } from './x86.ts';
import { inSwitchMm } from './lib.ts';

declare module '../core/model/fns.ts' {
  interface KernelSteps { 'pmd_read_atomic.low_then_high': true; 'ptep_get_lockless.low_high_loop': true }
}

/** smp_wmb()/smp_rmb() are barrier() on x86 (TSO keeps store and load order): compiler-only. */
function smp_barrier(k: Kernel, x: Ctx, what: string) {
  if (k.tracing) k.tr(x, what);
}

export function registerPaePgtable(r: StepRegistry) {
  // static inline void native_set_pte(pte_t *ptep, pte_t pte)
  // Resume point 1: after the high half.
  r.replace('set_pte_at', 'native_set_pte', (k, x, f, pc) => {
    const e = f.e;
    if (pc === 1) {
      smp_barrier(k, x, 'smp_wmb');
      page.storeHalf(k, x, f.a, e.lo); // ptep->pte_low = pte.pte_low;
      if (k.tracing) k.tr(x, `set_pte ${page.entryName(k, f.a)} = ${page.fmtEntry(k, e)}`);
      return YIELD;
    }
    page.noteStored(k, f.a, e);
    page.storeHalf(k, x, f.a + 1, e.hi); // ptep->pte_high = pte.pte_high;
    return again(1);
  });
  // static inline void native_pmd_clear(pmd_t *pmd)
  // Resume point 1: after the low half.
  r.replace('pmd_clear', 'native_pmd_clear', (k, x, f, pc) => {
    if (pc === 1) {
      smp_barrier(k, x, 'smp_wmb');
      page.storeHalf(k, x, f.a + 1, 0); // *(tmp + 1) = 0;
      return YIELD;
    }
    page.noteStored(k, f.a, page.NONE);
    page.storeHalf(k, x, f.a, 0); // *tmp = 0;
    return again(1);
  });
  // native_ptep_get_and_clear() (CONFIG_SMP):
  //   res.pte = (pteval_t)arch_atomic64_xchg((atomic64_t *)ptep, 0);   (a CMPXCHG8B loop)
  r.replace('ptep_get_and_clear', 'native_ptep_get_and_clear', (k, x, f) => {
    f.ret = page.xchg64(k, x, page.vmaAt(k, f.vma).pt + page.ptLo(f.i));
    return YIELD;
  });
  // native_set_pmd(): set_64bit((unsigned long long *)(pmdp), native_pmd_val(pmd));   (CMPXCHG8B)
  r.replace('set_pmd', 'native_set_pmd', (k, x, f) => {
    page.storeEntry(k, x, f.a, f.e, 'set_pmd');
    return YIELD;
  });
  // static inline pmd_t native_pmdp_get_and_clear(pmd_t *pmdp)
  //   /* xchg acts as a barrier before setting of the high bits */
  //   res.pmd_low = xchg(&orig->pmd_low, 0); res.pmd_high = orig->pmd_high; orig->pmd_high = 0;
  // Resume point 1: after the xchg of the low half.
  r.replace('pmdp_get_and_clear', 'native_pmdp_get_and_clear', (k, x, f, pc) => {
    if (pc === 1) {
      const hi = page.loadHalf(k, x, f.a + 1);
      page.storeHalf(k, x, f.a + 1, 0);
      f.ret = { lo: f.ret.lo, hi };
      return YIELD;
    }
    page.noteStored(k, f.a, page.NONE);
    const lo = k.m.read(x.cpu, f.a);
    k.cmpxchg(x, f.a, lo, 0); // xchg
    f.ret = { lo, hi: 0 };
    return again(1);
  });
  // static inline pmd_t pmd_read_atomic(pmd_t *pmdp): "If the low part is null, we must not read
  // the high part or we can end up with a partial pmd."
  // Resume point 1: after the low half.
  r.replace('pmd_read_atomic', 'READ_ONCE', (k, x, f, pc) => {
    if (pc === 1) {
      const lo = f.ret.lo;
      if (!lo) return NEXT;
      smp_barrier(k, x, 'smp_rmb');
      f.ret = { lo, hi: page.loadHalf(k, x, f.a + 1) };
      return YIELD;
    }
    f.ret = { lo: page.loadHalf(k, x, f.a), hi: 0 };
    return again(1);
  }, 'low_then_high');
  // #ifdef CONFIG_GUP_GET_PTE_LOW_HIGH  static inline pte_t ptep_get_lockless(pte_t *ptep)
  // Resume point 1: after the loop (the low_high_loop helper).
  r.replace('ptep_get_lockless', 'ptep_get', (k, x, f, pc) => {
    if (pc === 1) { f.ret = k.ret(x, H.low_high_loop).ret; return NEXT; }
    k.call(x, H.low_high_loop).a = f.a;
    return callAgain(1);
  }, 'low_high_loop');
}

export const x86Pae: ArchPlugin = {
  name: 'x86-pae',
  description: 'x86-32 PAE: the x86 TLB and lazy-mm code, with 64-bit PTEs/PMDs written and (locklessly) read as two 32-bit halves; no PCID',
  // The 32-bit PAE page-table code as of v6.0/v6.1 (pmd_read_atomic(), set_64bit()): the base of
  // pae-lockless; the series replaces these accessors.
  kernels: '>=6.0.0',
  mmCpumaskExact: x86.mmCpumaskExact,
  flushIpisReachLazy: x86.flushIpisReachLazy,
  exitShootsLazies: x86.exitShootsLazies,
  asids: false, // X86_FEATURE_PCID is 64-bit only
  mmuGather: 'gather',
  lazyMmu: false,
  syncCore: 'iret',
  wantIrqsOffActivateMm: false,
  tlbFlush: 'ipi',
  state: X86_STATE,
  hwLoadedMm: x86.hwLoadedMm,
  mayWalk: x86.mayWalk,
  loadedMm: x86.loadedMm,
  inSwitchWindow: inSwitchMm,
  lazyMmuState: undefined,
  apply(r, k) {
    x86.apply(r, k);
    registerPaePgtable(r);
    page.declarePteLowHigh(k);
  },
  boot(k) {
    x86.boot!(k);
  },
  costs: {
    // Nadav Amit in seed 000: "250-300 cycles" for a MOV to CR3 without a flush (Skylake, 64-bit; the
    // model has no 32-bit figure).
    cr3_write: 275,
  },
};

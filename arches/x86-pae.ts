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
//  - READ_ONCE() of a pmd_t (GUP-fast's gup_pmd_range()): two 32-bit loads (core/page/pgtable.ts
//    readOnce64, selected by declarePteLowHigh).
//  - native_ptep_get_and_clear(): arch_atomic64_xchg() (a CMPXCHG8B loop: atomic);
//    native_set_pmd(): set_64bit() (CMPXCHG8B: atomic).
// No PCID on 32-bit: CR3 writes flush the previous mm's TLB entries (as the x86 model assumes).
import type { ArchPlugin } from './types.ts';
import type { StepRegistry } from '../core/hooks.ts';
import type { Kernel, Ctx } from '../core/kernel.ts';
import { x86 } from './x86.ts';
import { inSwitchMm } from './lib.ts';
import { declarePteLowHigh, noteStored, fmtEntry, entryName, ptLo, NONE, type Entry } from '../core/page/state.ts';
import { loadHalf, storeHalf, lowHighLoop, storeEntry, xchg64 } from '../core/page/pgtable.ts';

/** smp_wmb()/smp_rmb() are barrier() on x86 (TSO keeps store and load order): compiler-only. */
function smp_barrier(k: Kernel, x: Ctx, what: string) {
  if (k.tracing) k.tr(x, what);
}

export function registerPaePgtable(r: StepRegistry) {
  // static inline void native_set_pte(pte_t *ptep, pte_t pte)
  r.replace('set_pte_at', 'native_set_pte', function* (k, x, f) {
    const e: Entry = f.e;
    noteStored(k, f.a, e);
    storeHalf(k, x, f.a + 1, e.hi); // ptep->pte_high = pte.pte_high;
    yield 0;
    smp_barrier(k, x, 'smp_wmb');
    storeHalf(k, x, f.a, e.lo); // ptep->pte_low = pte.pte_low;
    if (k.tracing) k.tr(x, `set_pte ${entryName(k, f.a)} = ${fmtEntry(k, e)}`);
    yield 0;
  });
  // static inline void native_pmd_clear(pmd_t *pmd)
  r.replace('pmd_clear', 'native_pmd_clear', function* (k, x, f) {
    noteStored(k, f.a, NONE);
    storeHalf(k, x, f.a, 0); // *tmp = 0;
    yield 0;
    smp_barrier(k, x, 'smp_wmb');
    storeHalf(k, x, f.a + 1, 0); // *(tmp + 1) = 0;
    yield 0;
  });
  // native_ptep_get_and_clear() (CONFIG_SMP):
  //   res.pte = (pteval_t)arch_atomic64_xchg((atomic64_t *)ptep, 0);   (a CMPXCHG8B loop)
  r.replace('ptep_get_and_clear', 'native_ptep_get_and_clear', function* (k, x, f) {
    f.ret = xchg64(k, x, f.vma.pt + ptLo(f.i));
    yield 0;
  });
  // native_set_pmd(): set_64bit((unsigned long long *)(pmdp), native_pmd_val(pmd));   (CMPXCHG8B)
  r.replace('set_pmd', 'native_set_pmd', function* (k, x, f) {
    storeEntry(k, x, f.a, f.e, 'set_pmd');
    yield 0;
  });
  // static inline pmd_t native_pmdp_get_and_clear(pmd_t *pmdp)
  //   /* xchg acts as a barrier before setting of the high bits */
  //   res.pmd_low = xchg(&orig->pmd_low, 0); res.pmd_high = orig->pmd_high; orig->pmd_high = 0;
  r.replace('pmdp_get_and_clear', 'native_pmdp_get_and_clear', function* (k, x, f) {
    noteStored(k, f.a, NONE);
    const lo = k.m.read(x.cpu, f.a);
    k.cmpxchg(x, f.a, lo, 0); // xchg
    yield 0;
    const hi = loadHalf(k, x, f.a + 1);
    storeHalf(k, x, f.a + 1, 0);
    f.ret = { lo, hi };
    yield 0;
  });
  // static inline pmd_t pmd_read_atomic(pmd_t *pmdp): "If the low part is null, we must not read
  // the high part or we can end up with a partial pmd."
  r.replace('pmd_read_atomic', 'READ_ONCE', function* (k, x, f) {
    const lo = loadHalf(k, x, f.a);
    yield 0;
    let hi = 0;
    if (lo) {
      smp_barrier(k, x, 'smp_rmb');
      hi = loadHalf(k, x, f.a + 1);
      yield 0;
    }
    f.ret = { lo, hi };
  }, 'low_then_high');
  // #ifdef CONFIG_GUP_GET_PTE_LOW_HIGH  static inline pte_t ptep_get_lockless(pte_t *ptep)
  r.replace('ptep_get_lockless', 'ptep_get', function* (k, x, f) {
    f.ret = yield* lowHighLoop(k, x, f.a);
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
  hwLoadedMm: x86.hwLoadedMm,
  mayWalk: x86.mayWalk,
  loadedMm: x86.loadedMm,
  inSwitchWindow: inSwitchMm,
  lazyMmuState: undefined,
  apply(r, k) {
    x86.apply(r, k);
    registerPaePgtable(r);
    declarePteLowHigh(k);
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

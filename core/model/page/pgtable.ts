// Page-table entry accessors (include/linux/pgtable.h, arch/x86/include/asm/pgtable*.h) and the
// torn-read oracle. The generic bodies are the 64-bit ones: one access reads or writes the whole
// entry. An arch whose entries are two 32-bit halves written separately (x86-pae) replaces them.
//
// Frames: set_pte_at / set_pmd { a, e }, pmd_clear { a }, ptep_get_and_clear { vma, i, full } ->
// ret, pmd_read_atomic / ptep_get_lockless { a } -> ret.
import type { StepRegistry } from '../registry.ts';
import { NEXT, YIELD, again, goTo } from '../fns.ts';
import { H, type Kernel, type Ctx } from '../kernel.ts';
import {
  ld64, st64, noteStored, storedValues, fmtEntry, entryName, present, sameEntry, NONE, ptLo,
  vmaAt, type Entry,
} from './state.ts';
import './hooks.ts';

declare module '../fns.ts' {
  interface KernelSteps {
    'set_pte_at.native_set_pte': true; 'ptep_get_and_clear.native_ptep_get_and_clear': true;
    'set_pmd.native_set_pmd': true; 'pmd_clear.native_pmd_clear': true;
    'pmdp_get_and_clear.native_pmdp_get_and_clear': true; 'pmd_read_atomic.READ_ONCE': true;
    'ptep_get_lockless.ptep_get': true; 'read_once64.load': true; 'low_high_loop.loop': true;
  }
}

export function registerPgtable(r: StepRegistry) {
  // static inline void set_pte_at(mm, addr, ptep, pte): native_set_pte(): WRITE_ONCE(*ptep, pte)
  r.add('set_pte_at', 'native_set_pte', (k, x, f) => {
    storeEntry(k, x, f.a, f.e, 'set_pte');
    return YIELD;
  });
  // native_ptep_get_and_clear(): xchg(&ptep->pte, 0) (fullmm: a plain read and clear, same here)
  r.add('ptep_get_and_clear', 'native_ptep_get_and_clear', (k, x, f) => {
    f.ret = xchg64(k, x, vmaAt(k, f.vma).pt + ptLo(f.i));
    return YIELD;
  });
  // set_pmd() (pmd_populate): native_set_pmd()
  r.add('set_pmd', 'native_set_pmd', (k, x, f) => {
    storeEntry(k, x, f.a, f.e, 'set_pmd');
    return YIELD;
  });
  // pmd_clear(): native_pmd_clear()
  r.add('pmd_clear', 'native_pmd_clear', (k, x, f) => {
    storeEntry(k, x, f.a, NONE, 'pmd_clear');
    return YIELD;
  });
  // pmdp_get_and_clear() (pmdp_huge_get_and_clear(): THP zap and collapse; the built-in
  // scenarios have no huge PMD, so nothing calls it yet): native_pmdp_get_and_clear()
  r.add('pmdp_get_and_clear', 'native_pmdp_get_and_clear', (k, x, f) => {
    f.ret = ld64(k, x, f.a);
    storeEntry(k, x, f.a, NONE, 'pmdp_get_and_clear');
    return YIELD;
  });
  // #ifndef pmd_read_atomic: "Depend on compiler for an atomic pmd read. NOTE: this is only going
  // to work, if the pmdval_t isn't larger than an unsigned long."  return *pmdp;
  r.add('pmd_read_atomic', 'READ_ONCE', (k, x, f) => {
    f.ret = loadEntry(k, x, f.a, 'pmd');
    return YIELD;
  });
  // #else /* CONFIG_GUP_GET_PTE_LOW_HIGH */ static inline pte_t ptep_get_lockless(pte_t *ptep) { return ptep_get(ptep); }
  r.add('ptep_get_lockless', 'ptep_get', (k, x, f) => {
    f.ret = loadEntry(k, x, f.a, 'pte');
    return YIELD;
  });

  // READ_ONCE() of a 64-bit entry: one load where the arch has 64-bit loads; on 32-bit PAE the
  // compiler splits it into two 32-bit loads (low, then high) another CPU can write between.
  // Resume point 1: after the low half.
  r.add('read_once64', 'load', (k, x, f, pc) => {
    if (pc === 1) {
      f.ret = { lo: f.ret.lo, hi: loadHalf(k, x, f.a + 1) };
      return YIELD;
    }
    if (!f.split) {
      f.ret = loadEntry(k, x, f.a, f.what);
      return YIELD;
    }
    f.ret = { lo: loadHalf(k, x, f.a), hi: 0 };
    return again(1);
  });

  // The CONFIG_GUP_GET_PTE_LOW_HIGH read: low, smp_rmb(), high, smp_rmb(), until low is stable.
  // Resume points: 1 after the low half, 2 after the high half, 3 after the low half again.
  r.add('low_high_loop', 'loop', (k, x, f, pc) => {
    switch (pc) {
      case 0:
        f.lo = loadHalf(k, x, f.a);
        return again(1);
      case 1:
        if (k.tracing) k.tr(x, 'smp_rmb');
        f.hi = loadHalf(k, x, f.a + 1);
        return again(2);
      case 2:
        if (k.tracing) k.tr(x, 'smp_rmb');
        f.lo2 = loadHalf(k, x, f.a);
        return again(3);
      default:
        if (f.lo2 === f.lo) { f.ret = { lo: f.lo, hi: f.hi }; return NEXT; }
        k.count('lockless_read_retries');
        return goTo(0);
    }
  });
}

/** An atomic 64-bit exchange with 0 (XCHG; LOCK CMPXCHG8B in a loop on 32-bit PAE). */
export function xchg64(k: Kernel, x: Ctx, a: number): Entry {
  const old = ld64(k, x, a);
  st64(k, x, a, NONE);
  noteStored(k, a, NONE);
  if (k.tracing) k.tr(x, `xchg ${entryName(k, a)}: ${fmtEntry(k, old)} -> pte(none)`, 'rmw', a);
  return old;
}

/** A whole-entry store, recorded in the entry's history. */
export function storeEntry(k: Kernel, x: Ctx, a: number, e: Entry, what: string) {
  noteStored(k, a, e);
  st64(k, x, a, e);
  if (k.tracing) k.tr(x, `${what} ${entryName(k, a)} = ${fmtEntry(k, e, what.includes('pmd') ? 'pmd' : 'pte')}`, 'store', a);
}

export function loadEntry(k: Kernel, x: Ctx, a: number, what: string): Entry {
  const e = ld64(k, x, a);
  if (k.tracing) k.tr(x, `load ${entryName(k, a)} = ${fmtEntry(k, e, what)}`, 'load', a);
  return e;
}

/** One 32-bit half of an entry (the split accessors of 32-bit PAE). */
export function loadHalf(k: Kernel, x: Ctx, a: number): number {
  return k.ld(x, a);
}
export function storeHalf(k: Kernel, x: Ctx, a: number, v: number) {
  k.st(x, a, v);
}

/** The torn-read oracle: a lockless read returned a present entry that was never stored there,
 *  the low half of one value and the high half of another. (A torn value that is not present is
 *  what the lockless readers' contract allows: "a PTE will only either go from not present to
 *  present, or present to not present", and every caller checks present first.) */
export function checkTorn(k: Kernel, x: Ctx, a: number, e: Entry, how: string) {
  if (!present(e)) return;
  const h = storedValues(k, a);
  if (!h.length || h.some((v) => sameEntry(v, e))) return;
  const what = entryName(k, a);
  const kind = what.endsWith('.pmd') ? 'pmd' : 'pte';
  let loFrom = '';
  let hiFrom = '';
  for (const v of h) {
    if (v.lo === e.lo && !loFrom) loFrom = fmtEntry(k, v, kind);
    if (v.hi === e.hi && !hiFrom) hiFrom = fmtEntry(k, v, kind);
  }
  const hex = (v: number) => (v >>> 0).toString(16).padStart(8, '0');
  const parts = loFrom || hiFrom ? `: the low half of ${loFrom || 'another value'} and the high half of ${hiFrom || 'another value'}` : '';
  k.violate('torn-read', `${how} read ${what} as 0x${hex(e.hi)}${hex(e.lo)}, a value never stored there${parts}`, x);
}

/** Push READ_ONCE() of the entry at a (read_once64); the caller reads k.ret(x, H.read_once64).ret. */
export function readOnce64(k: Kernel, x: Ctx, a: number, split: boolean, what: string) {
  const c = k.call(x, H.read_once64);
  c.a = a;
  c.split = split;
  c.what = what;
}


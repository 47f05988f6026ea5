// Page-table entry accessors (include/linux/pgtable.h, arch/x86/include/asm/pgtable*.h) and the
// torn-read oracle. The generic bodies are the 64-bit ones: one access reads or writes the whole
// entry. An arch whose entries are two 32-bit halves written separately (x86-pae) replaces them.
//
// Frames: set_pte_at / set_pmd { a, e }, pmd_clear { a }, ptep_get_and_clear { vma, i, full } ->
// ret, pmd_read_atomic / ptep_get_lockless { a } -> ret.
import type { StepRegistry } from '../hooks.ts';
import type { Kernel, Ctx } from '../kernel.ts';
import {
  pteLowHigh,
  pgOf, ld64, st64, noteStored, fmtEntry, entryName, present, entryKey, NONE, ptLo, type Entry,
} from './state.ts';

type Gen<R = void> = Generator<number, R, unknown>;

export function registerPgtable(r: StepRegistry) {
  // static inline void set_pte_at(mm, addr, ptep, pte): native_set_pte(): WRITE_ONCE(*ptep, pte)
  r.add('set_pte_at', 'native_set_pte', function* (k, x, f) {
    storeEntry(k, x, f.a, f.e, 'set_pte');
    yield 0;
  });
  // native_ptep_get_and_clear(): xchg(&ptep->pte, 0) (fullmm: a plain read and clear, same here)
  r.add('ptep_get_and_clear', 'native_ptep_get_and_clear', function* (k, x, f) {
    f.ret = xchg64(k, x, f.vma.pt + ptLo(f.i));
    yield 0;
  });
  // set_pmd() (pmd_populate): native_set_pmd()
  r.add('set_pmd', 'native_set_pmd', function* (k, x, f) {
    storeEntry(k, x, f.a, f.e, 'set_pmd');
    yield 0;
  });
  // pmd_clear(): native_pmd_clear()
  r.add('pmd_clear', 'native_pmd_clear', function* (k, x, f) {
    storeEntry(k, x, f.a, NONE, 'pmd_clear');
    yield 0;
  });
  // pmdp_get_and_clear() (pmdp_huge_get_and_clear(): THP zap and collapse; the built-in
  // scenarios have no huge PMD, so nothing calls it yet): native_pmdp_get_and_clear()
  r.add('pmdp_get_and_clear', 'native_pmdp_get_and_clear', function* (k, x, f) {
    f.ret = ld64(k, x, f.a);
    storeEntry(k, x, f.a, NONE, 'pmdp_get_and_clear');
    yield 0;
  });
  // #ifndef pmd_read_atomic: "Depend on compiler for an atomic pmd read. NOTE: this is only going
  // to work, if the pmdval_t isn't larger than an unsigned long."  return *pmdp;
  r.add('pmd_read_atomic', 'READ_ONCE', function* (k, x, f) {
    f.ret = loadEntry(k, x, f.a, 'pmd');
    yield 0;
  });
  // #else /* CONFIG_GUP_GET_PTE_LOW_HIGH */ static inline pte_t ptep_get_lockless(pte_t *ptep) { return ptep_get(ptep); }
  r.add('ptep_get_lockless', 'ptep_get', function* (k, x, f) {
    f.ret = loadEntry(k, x, f.a, 'pte');
    yield 0;
  });
}

/** An atomic 64-bit exchange with 0 (XCHG; LOCK CMPXCHG8B in a loop on 32-bit PAE). */
export function xchg64(k: Kernel, x: Ctx, a: number): Entry {
  const old = ld64(k, x, a);
  st64(k, x, a, NONE);
  noteStored(k, a, NONE);
  if (k.tracing) k.tr(x, `xchg ${entryName(k, a)}: ${fmtEntry(k, old)} -> pte(none)`);
  return old;
}

/** A whole-entry store, recorded in the entry's history. */
export function storeEntry(k: Kernel, x: Ctx, a: number, e: Entry, what: string) {
  noteStored(k, a, e);
  st64(k, x, a, e);
  if (k.tracing) k.tr(x, `${what} ${entryName(k, a)} = ${fmtEntry(k, e, what.includes('pmd') ? 'pmd' : 'pte')}`);
}

export function loadEntry(k: Kernel, x: Ctx, a: number, what: string): Entry {
  const e = ld64(k, x, a);
  if (k.tracing) k.tr(x, `load ${entryName(k, a)} = ${fmtEntry(k, e, what)}`);
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
  const s = pgOf(k)!;
  const h = s.history.get(a);
  if (!h || h.has(entryKey(e))) return;
  const what = entryName(k, a);
  const kind = what.endsWith('.pmd') ? 'pmd' : 'pte';
  let loFrom = '';
  let hiFrom = '';
  for (const key of h) {
    const lo = key % 4294967296 | 0;
    const hi = Math.floor(key / 4294967296);
    if (lo === e.lo && !loFrom) loFrom = fmtEntry(k, { lo, hi }, kind);
    if (hi === e.hi && !hiFrom) hiFrom = fmtEntry(k, { lo, hi }, kind);
  }
  const hex = (v: number) => (v >>> 0).toString(16).padStart(8, '0');
  const parts = loFrom || hiFrom ? `: the low half of ${loFrom || 'another value'} and the high half of ${hiFrom || 'another value'}` : '';
  k.violate('torn-read', `${how} read ${what} as 0x${hex(e.hi)}${hex(e.lo)}, a value never stored there${parts}`, x);
}

/** READ_ONCE() of a 64-bit entry: one load where the arch has 64-bit loads; on 32-bit PAE the
 *  compiler splits it into two 32-bit loads (low, then high) another CPU can write between. */
export function* readOnce64(k: Kernel, x: Ctx, a: number, split: boolean, what: string): Gen<Entry> {
  if (!split) {
    const e = loadEntry(k, x, a, what);
    yield 0;
    return e;
  }
  const lo = loadHalf(k, x, a);
  yield 0;
  const hi = loadHalf(k, x, a + 1);
  yield 0;
  return { lo, hi };
}

/** The CONFIG_GUP_GET_PTE_LOW_HIGH read: low, smp_rmb(), high, smp_rmb(), until low is stable. */
export function* lowHighLoop(k: Kernel, x: Ctx, a: number): Generator<number, Entry, unknown> {
  for (;;) {
    const lo = loadHalf(k, x, a);
    yield 0;
    if (k.tracing) k.tr(x, 'smp_rmb');
    const hi = loadHalf(k, x, a + 1);
    yield 0;
    if (k.tracing) k.tr(x, 'smp_rmb');
    const again = loadHalf(k, x, a);
    yield 0;
    if (again === lo) return { lo, hi };
    k.count('lockless_read_retries');
  }
}

export { pteLowHigh };

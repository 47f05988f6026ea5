// Small mm primitives the page-level steps share: the page-table lock, the page lock, page
// references, the i_mmap and mmap rwsems. Each is a helper function (traced as its caller's step)
// whose one scheduling point is after its shared access; a lock that is taken blocks the context
// (k.wait) until it is released. Callers push them with k.call and read a result with k.ret.
import type { StepRegistry } from '../registry.ts';
import { YIELD, block, again } from '../fns.ts';
import { H, W_ZERO_OR_DEAD, W_ZERO, W_NONNEG, type Kernel, type Ctx } from '../kernel.ts';
import {
  pgOf, pageName, pageData, PG_LOCKED, PG_REFCOUNT, PG_MAPCOUNT, PT_PTL, present, entryPfn, ptLo,
  pfnToPage, vmaAt, type PgVma,
} from './state.ts';
import './hooks.ts';

declare module '../fns.ts' {
  interface KernelSteps {
    'spin_lock.cmpxchg': true; 'ptl_unlock.spin_unlock': true; 'lock_page.cmpxchg': true;
    'trylock_page.cmpxchg': true; 'unlock_page.store': true; 'folio_try_get.cmpxchg': true;
    'get_page.atomic_inc': true; 'put_page.atomic_dec': true; 'down_read.cmpxchg': true;
    'up_read.atomic_dec': true; 'down_write.cmpxchg': true; 'up_write.store': true;
  }
}

/** pte_offset_map_lock(): spin_lock(ptl). The caller returns CALL (or callAgain). */
export function ptlLock(k: Kernel, x: Ctx, v: PgVma) {
  k.call(x, H.spin_lock).a = v.pt + PT_PTL;
}
/** pte_unmap_unlock(). The caller returns CALL (or callAgain). */
export function ptlUnlock(k: Kernel, x: Ctx, v: PgVma) {
  k.call(x, H.ptl_unlock).vma = v.idx;
}

export function registerMm(r: StepRegistry) {
  // spin_lock(ptl): a ticket-less test-and-set; IRQs stay on while spinning.
  r.add('spin_lock', 'cmpxchg', (k, x, f) => {
    if (k.cmpxchg(x, f.a, 0, x.cpu + 1) === 0) return YIELD;
    k.wait(x, W_ZERO_OR_DEAD, f.a);
    return block(0);
  });

  // pte_unmap_unlock(), with the mapcount oracle's check at the lock boundary: a page mapped by
  // more PTEs of this table than its mapcount says would be skipped by rmap walkers.
  r.add('ptl_unlock', 'spin_unlock', (k, x, f) => {
    const v = vmaAt(k, f.vma);
    checkMapcountAtUnlock(k, x, v);
    k.st(x, v.pt + PT_PTL, 0);
    return YIELD;
  });

  // lock_page(): sleeps until PG_locked is clear (the model blocks the context).
  r.add('lock_page', 'cmpxchg', (k, x, f) => {
    if (k.cmpxchg(x, f.page + PG_LOCKED, 0, 1) === 0) return YIELD;
    k.wait(x, W_ZERO, f.page + PG_LOCKED);
    return block(0);
  });
  r.add('trylock_page', 'cmpxchg', (k, x, f) => {
    f.ret = k.cmpxchg(x, f.page + PG_LOCKED, 0, 1) === 0;
    return YIELD;
  });
  r.add('unlock_page', 'store', (k, x, f) => {
    k.st(x, f.page + PG_LOCKED, 0);
    return YIELD;
  });

  // folio_try_get(): take a reference unless the page is already on its way to being freed.
  r.add('folio_try_get', 'cmpxchg', (k, x, f) => {
    const v = k.ld(x, f.page + PG_REFCOUNT);
    if (v <= 0) { f.ret = false; return YIELD; }
    if (k.cmpxchg(x, f.page + PG_REFCOUNT, v, v + 1) === v) { f.ret = true; return YIELD; }
    return again(0);
  });

  r.add('get_page', 'atomic_inc', (k, x, f) => {
    const v = k.atomicAdd(x, f.page + PG_REFCOUNT, 1, 'get_page');
    if (v <= 1) k.violate('refcount', `get_page(${pageName(k, f.page)}) on a page with refcount ${v - 1}`, x);
    return YIELD;
  });

  // put_page(): the last reference frees the page (any later access is a KASAN report).
  r.add('put_page', 'atomic_dec', (k, x, f) => {
    const v = k.atomicAdd(x, f.page + PG_REFCOUNT, -1, 'put_page');
    if (v < 0) k.violate('refcount', `page refcount underflow on ${pageName(k, f.page)}`, x);
    if (v === 0) free_page(k, x, f.page);
    return YIELD;
  });

  // i_mmap_lock_read/write(), mmap_read/write_lock(): a reader count, -1 while write-locked.
  r.add('down_read', 'cmpxchg', (k, x, f) => {
    const v = k.ld(x, f.a);
    if (v >= 0 && k.cmpxchg(x, f.a, v, v + 1) === v) return YIELD;
    k.wait(x, W_NONNEG, f.a);
    return block(0);
  });
  r.add('up_read', 'atomic_dec', (k, x, f) => {
    k.atomicAdd(x, f.a, -1, 'up_read');
    return YIELD;
  });
  r.add('down_write', 'cmpxchg', (k, x, f) => {
    if (k.cmpxchg(x, f.a, 0, -1) === 0) return YIELD;
    k.wait(x, W_ZERO, f.a);
    return block(0);
  });
  r.add('up_write', 'store', (k, x, f) => {
    k.st(x, f.a, 0);
    return YIELD;
  });
}

function checkMapcountAtUnlock(k: Kernel, x: Ctx, v: PgVma) {
  const s = pgOf(k)!;
  const m = k.m.mem;
  const count = new Map<number, number>();
  for (const w of s.vmas) {
    if (k.m.dead[w.pt]) continue;
    for (let i = 0; i < w.npages; i++) {
      const lo = m[w.pt + ptLo(i)];
      if (!(lo & 1)) continue;
      const page = pfnToPage(k, entryPfn({ lo, hi: m[w.pt + ptLo(i) + 1] }));
      if (page) count.set(page, (count.get(page) ?? 0) + 1);
    }
  }
  for (let i = 0; i < v.npages; i++) {
    const e = { lo: m[v.pt + ptLo(i)], hi: m[v.pt + ptLo(i) + 1] };
    if (!present(e)) continue;
    const page = pfnToPage(k, entryPfn(e));
    if (!page || k.m.dead[pageData(k, page)]) continue;
    const mapped = m[page + PG_MAPCOUNT] + 1;
    const n = count.get(page) ?? 0;
    if (mapped < n)
      k.violate('mapcount', `${pageName(k, page)} is mapped by ${n} PTE${n > 1 ? 's' : ''} but its mapcount is ${mapped} when ${v.name}'s page-table lock is released (rmap walkers would miss a mapping)`, x);
  }
}

export function free_page(k: Kernel, x: Ctx, page: number) {
  // free_pages_prepare() -> free_page_is_bad(): "nonzero mapcount" -> bad_page()
  const mc = k.peek(page + PG_MAPCOUNT);
  if (mc !== -1) k.violate('mapcount', `BUG: Bad page state: ${pageName(k, page)} freed with nonzero mapcount (_mapcount ${mc})`, x);
  k.m.free(pageData(k, page), `cpu${x.cpu} ${k.stepOf(x)}`);
  k.count('pages_freed');
  if (k.tracing) k.tr(x, `free_page(${pageName(k, page)})`);
}


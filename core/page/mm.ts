// Small mm primitives the page-level steps share: the page-table lock, the page lock, page
// references, the i_mmap rwsem. Each is a generator that yields after its shared access; a lock
// that is taken blocks the context (x.wait) until it is released.
import type { Kernel, Ctx } from '../kernel.ts';
import { BLOCK } from '../kernel/sched.ts';
import {
  pgOf, pageName, pageData, PG_LOCKED, PG_REFCOUNT, PG_MAPCOUNT, PT_PTL, present, entryPfn, ptLo, type PgVma,
} from './state.ts';

type Gen<R = void> = Generator<number, R, unknown>;

/** spin_lock(ptl): a ticket-less test-and-set; IRQs stay on while spinning. */
export function* spin_lock(k: Kernel, x: Ctx, a: number): Gen {
  for (;;) {
    if (k.cmpxchg(x, a, 0, x.cpu + 1) === 0) { yield 0; return; }
    x.wait = () => k.m.mem[a] === 0 || k.m.dead[a] === 1;
    yield BLOCK;
  }
}

export function* spin_unlock(k: Kernel, x: Ctx, a: number): Gen {
  k.st(x, a, 0);
  yield 0;
}

/** pte_offset_map_lock() */
export function* ptl_lock(k: Kernel, x: Ctx, v: PgVma): Gen {
  yield* spin_lock(k, x, v.pt + PT_PTL);
}

/** pte_unmap_unlock(), with the mapcount oracle's check at the lock boundary: a page mapped by
 *  more PTEs of this table than its mapcount says would be skipped by rmap walkers. */
export function* ptl_unlock(k: Kernel, x: Ctx, v: PgVma): Gen {
  checkMapcountAtUnlock(k, x, v);
  yield* spin_unlock(k, x, v.pt + PT_PTL);
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
      const page = s.byPfn.get(entryPfn({ lo, hi: m[w.pt + ptLo(i) + 1] }));
      if (page) count.set(page, (count.get(page) ?? 0) + 1);
    }
  }
  for (let i = 0; i < v.npages; i++) {
    const e = { lo: m[v.pt + ptLo(i)], hi: m[v.pt + ptLo(i) + 1] };
    if (!present(e)) continue;
    const page = s.byPfn.get(entryPfn(e));
    if (!page || k.m.dead[pageData(k, page)]) continue;
    const mapped = m[page + PG_MAPCOUNT] + 1;
    const n = count.get(page) ?? 0;
    if (mapped < n)
      k.violate('mapcount', `${pageName(k, page)} is mapped by ${n} PTE${n > 1 ? 's' : ''} but its mapcount is ${mapped} when ${v.name}'s page-table lock is released (rmap walkers would miss a mapping)`, x);
  }
}

/** lock_page(): sleeps until PG_locked is clear (the model blocks the context). */
export function* lock_page(k: Kernel, x: Ctx, page: number): Gen {
  for (;;) {
    if (k.cmpxchg(x, page + PG_LOCKED, 0, 1) === 0) { yield 0; return; }
    x.wait = () => k.m.mem[page + PG_LOCKED] === 0;
    yield BLOCK;
  }
}

export function* trylock_page(k: Kernel, x: Ctx, page: number): Gen<boolean> {
  const ok = k.cmpxchg(x, page + PG_LOCKED, 0, 1) === 0;
  yield 0;
  return ok;
}

export function* unlock_page(k: Kernel, x: Ctx, page: number): Gen {
  k.st(x, page + PG_LOCKED, 0);
  yield 0;
}

/** folio_try_get(): take a reference unless the page is already on its way to being freed. */
export function* folio_try_get(k: Kernel, x: Ctx, page: number): Gen<boolean> {
  for (;;) {
    const v = k.ld(x, page + PG_REFCOUNT);
    if (v <= 0) { yield 0; return false; }
    if (k.cmpxchg(x, page + PG_REFCOUNT, v, v + 1) === v) { yield 0; return true; }
    yield 0;
  }
}

export function* get_page(k: Kernel, x: Ctx, page: number): Gen {
  const v = k.atomicAdd(x, page + PG_REFCOUNT, 1, 'get_page');
  if (v <= 1) k.violate('refcount', `get_page(${pageName(k, page)}) on a page with refcount ${v - 1}`, x);
  yield 0;
}

/** put_page(): the last reference frees the page (any later access is a KASAN report). */
export function* put_page(k: Kernel, x: Ctx, page: number): Gen {
  const v = k.atomicAdd(x, page + PG_REFCOUNT, -1, 'put_page');
  if (v < 0) k.violate('refcount', `page refcount underflow on ${pageName(k, page)}`, x);
  if (v === 0) free_page(k, x, page);
  yield 0;
}

export function free_page(k: Kernel, x: Ctx, page: number) {
  // free_pages_prepare() -> free_page_is_bad(): "nonzero mapcount" -> bad_page()
  const mc = k.peek(page + PG_MAPCOUNT);
  if (mc !== -1) k.violate('mapcount', `BUG: Bad page state: ${pageName(k, page)} freed with nonzero mapcount (_mapcount ${mc})`, x);
  k.m.free(pageData(k, page), `cpu${x.cpu} ${k.stepOf(x)}`);
  k.count('pages_freed');
  if (k.tracing) k.tr(x, `free_page(${pageName(k, page)})`);
}

/** i_mmap_lock_read/write(): a reader count, -1 while write-locked. */
export function* down_read(k: Kernel, x: Ctx, a: number): Gen {
  for (;;) {
    const v = k.ld(x, a);
    if (v >= 0 && k.cmpxchg(x, a, v, v + 1) === v) { yield 0; return; }
    x.wait = () => k.m.mem[a] >= 0;
    yield BLOCK;
  }
}
export function* up_read(k: Kernel, x: Ctx, a: number): Gen {
  k.atomicAdd(x, a, -1, 'up_read');
  yield 0;
}
export function* down_write(k: Kernel, x: Ctx, a: number): Gen {
  for (;;) {
    if (k.cmpxchg(x, a, 0, -1) === 0) { yield 0; return; }
    x.wait = () => k.m.mem[a] === 0;
    yield BLOCK;
  }
}
export function* up_write(k: Kernel, x: Ctx, a: number): Gen {
  k.st(x, a, 0);
  yield 0;
}

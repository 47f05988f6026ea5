// The page-level model: registration of its steps (called by the baseline) and the program
// operations that reach it. See state.ts for the objects, and docs/DEVELOPING.md for the API.
import type { StepRegistry } from '../hooks.ts';
import type { Kernel, Ctx, TaskInfo } from '../kernel.ts';
import { registerOp } from '../program.ts';
import * as L from '../layout.ts';
import { PH } from './hooks.ts';
import { vmaByName, fileByName, pageData, type PgVma } from './state.ts';
import { registerPgtable } from './pgtable.ts';
import { registerZap } from './zap.ts';
import { registerFaults, registerRmapAdd, userAccess } from './fault.ts';
import { registerWriteback } from './writeback.ts';
import { registerGup } from './gup.ts';
import { folio_try_get, put_page } from './mm.ts';
import { pageQuiescenceOracles } from './oracles.ts';
import { QUIESCENCE_CHECKS } from '../oracles.ts';

export { pages } from './state.ts';

declare module '../program.ts' {
  interface OpMap {
    /** a user store of `val` to page `page` (default 0) of mapping `map`, through the TLB */
    user_write: { map: string; page?: number; val: number };
    /** a user load of it (the PoC's read-back check) */
    user_read: { map: string; page?: number };
    /** msync(MS_SYNC) of the mapping: write back its file and wait */
    msync: { map: string };
    /** posix_fadvise(fd, POSIX_FADV_DONTNEED): start writeback, then drop clean unmapped pages */
    fadvise_dontneed: { file: string };
    /** kswapd finds the page last faulted in at map[page] on the LRU and tries to reclaim it */
    reclaim: { map: string; page?: number };
    /** get_user_pages_fast() of map[page], then unpin_user_page() */
    gup_fast: { map: string; page?: number; write?: boolean };
  }
}

export function registerPages(r: StepRegistry) {
  registerPgtable(r);
  registerZap(r);
  registerFaults(r);
  registerRmapAdd(r);
  registerWriteback(r);
  registerGup(r);
}

function ownVma(k: Kernel, x: Ctx, t: TaskInfo, map: string): PgVma {
  const v = vmaByName(k, map);
  const mm = k.ld(x, t.ref + L.T_MM);
  if (mm !== v.mm) throw new Error(`${t.name} uses mapping '${map}' of ${k.name(v.mm)} but its mm is ${k.name(mm)}`);
  return v;
}

registerOp('user_write', function* (k, x, t, op) {
  const v = ownVma(k, x, t, op.map);
  yield* userAccess(k, x, t, v, op.page ?? 0, true, op.val);
});

registerOp('user_read', function* (k, x, t, op) {
  const v = ownVma(k, x, t, op.map);
  yield* userAccess(k, x, t, v, op.page ?? 0, false, 0);
});

registerOp('msync', function* (k, x, t, op) {
  const v = ownVma(k, x, t, op.map);
  if (!v.file) return;
  // msync(MS_SYNC) -> vfs_fsync_range() -> file_write_and_wait_range(): WB_SYNC_ALL writeback
  yield k.invoke(PH.write_cache_pages, { file: v.file, sync: true });
});

registerOp('fadvise_dontneed', function* (k, _x, _t, op) {
  const file = fileByName(k, op.file);
  // generic_fadvise(): __filemap_fdatawrite_range(..., WB_SYNC_NONE); then invalidate
  yield k.invoke(PH.write_cache_pages, { file, sync: false });
  yield k.invoke(PH.invalidate_mapping_pages, { file });
});

registerOp('reclaim', function* (k, x, _t, op) {
  const v = vmaByName(k, op.map);
  const page = v.lruPage[op.page ?? 0];
  if (!page || k.m.dead[pageData(k, page)]) return;
  // folio_isolate_lru(): kswapd holds a reference while it works on the page
  if (!(yield* folio_try_get(k, x, page))) return;
  const f = { page, freed: false };
  yield k.invoke(PH.shrink_page_list, f);
  if (!f.freed) yield* put_page(k, x, page); // putback_lru_page()
});

registerOp('gup_fast', function* (k, x, t, op) {
  const v = ownVma(k, x, t, op.map);
  const f = { vma: v, i: op.page ?? 0, write: !!op.write, page: 0 };
  yield k.invoke(PH.get_user_pages_fast, f);
  if (!f.page) { k.count('gup_fast_fallback'); return; } // (the get_user_pages() slow path is not modelled)
  yield* put_page(k, x, f.page); // unpin_user_page()
});

QUIESCENCE_CHECKS.push(pageQuiescenceOracles);

// The page-level model: registration of its steps (with the baseline: BASELINE_PARTS) and the
// program operations that reach it. See state.ts for the objects and the declared state, hooks.ts
// for the functions and their frames.
import type { StepRegistry } from '../registry.ts';
import { int, ptr, NEXT, CALL, FUSE, FUSE_CALL, callAgain, fuseCallAgain } from '../fns.ts';
import { H, type Kernel, type Ctx } from '../kernel.ts';
import { opFns } from '../program.ts';
import { QUIESCENCE_CHECKS } from '../oracles.ts';
import { BASELINE_PARTS } from '../parts.ts';
import { opIn } from '../baseline/syscalls.ts';
import * as L from '../layout.ts';
import { vmaByName, fileByName, pageData, lruPage, type PgVma } from './state.ts';
import './hooks.ts';
import { registerMm } from './mm.ts';
import { registerPgtable } from './pgtable.ts';
import { registerZap } from './zap.ts';
import { registerFaults, registerRmapAdd, userAccess } from './fault.ts';
import { registerWriteback } from './writeback.ts';
import { registerGup } from './gup.ts';
import { pageQuiescenceOracles } from './oracles.ts';

export { pages, PageBuilder, pgOf, type FileOpts, type MmapOpts } from './state.ts';

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

export const PAGE_OPS = opFns({
  sys_user_write: { vma: int },
  sys_user_read: { vma: int },
  sys_msync: {},
  sys_fadvise_dontneed: {},
  sys_reclaim: { page: ptr },
  sys_gup_fast: {},
});
declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof PAGE_OPS> {}
  interface KernelSteps {
    'sys_user_write.user_access': true; 'sys_user_read.user_access': true;
    'sys_msync.write_cache_pages': true; 'sys_fadvise_dontneed.generic_fadvise': true;
    'sys_reclaim.shrink_page_list': true; 'sys_gup_fast.get_user_pages_fast': true;
  }
}

/** The mapping `map` of the task's own mm (one load of current->mm). */
function ownVma(k: Kernel, x: Ctx, tsk: number, map: string): PgVma {
  const v = vmaByName(k, map);
  const mm = k.ld(x, tsk + L.T_MM);
  if (mm !== v.mm) throw new Error(`${k.task(tsk).name} uses mapping '${map}' of ${k.name(v.mm)} but its mm is ${k.name(mm)}`);
  return v;
}

function registerOps(r: StepRegistry) {
  // Resume points: userAccess() (fault.ts).
  r.add('sys_user_write', 'user_access', (k, x, f, pc) => {
    const op = opIn<'user_write'>(k, f);
    if (pc === 0) { f.vma = ownVma(k, x, f.tsk, op.map).idx; }
    return userAccess(k, x, f, pc, op.page ?? 0, true, op.val);
  });

  // Resume points: userAccess() (fault.ts).
  r.add('sys_user_read', 'user_access', (k, x, f, pc) => {
    const op = opIn<'user_read'>(k, f);
    if (pc === 0) { f.vma = ownVma(k, x, f.tsk, op.map).idx; }
    return userAccess(k, x, f, pc, op.page ?? 0, false, 0);
  });

  r.add('sys_msync', 'write_cache_pages', (k, x, f) => {
    const v = ownVma(k, x, f.tsk, opIn<'msync'>(k, f).map);
    if (!v.file) return FUSE;
    // msync(MS_SYNC) -> vfs_fsync_range() -> file_write_and_wait_range(): WB_SYNC_ALL writeback
    const c = k.call(x, H.write_cache_pages);
    c.file = v.file.idx;
    c.sync = true;
    return FUSE_CALL;
  });

  // generic_fadvise(): __filemap_fdatawrite_range(..., WB_SYNC_NONE); then invalidate
  // Resume point 1: after the writeback.
  r.add('sys_fadvise_dontneed', 'generic_fadvise', (k, x, f, pc) => {
    const file = fileByName(k, opIn<'fadvise_dontneed'>(k, f).file);
    if (pc === 0) {
      const c = k.call(x, H.write_cache_pages);
      c.file = file.idx;
      c.sync = false;
      return callAgain(1);
    }
    k.call(x, H.invalidate_mapping_pages).file = file.idx;
    return CALL;
  });

  // Resume points: 1 after folio_try_get(), 2 after shrink_page_list().
  r.add('sys_reclaim', 'shrink_page_list', (k, x, f, pc) => {
    switch (pc) {
      case 0: {
        const op = opIn<'reclaim'>(k, f);
        const page = lruPage(k, vmaByName(k, op.map), op.page ?? 0);
        if (!page || k.m.dead[pageData(k, page)]) return NEXT;
        f.page = page;
        // folio_isolate_lru(): kswapd holds a reference while it works on the page
        k.call(x, H.folio_try_get).page = page;
        return callAgain(1);
      }
      case 1:
        if (!k.ret(x, H.folio_try_get).ret) return NEXT;
        k.call(x, H.shrink_page_list).page = f.page;
        return callAgain(2);
      default:
        if (k.ret(x, H.shrink_page_list).freed) return NEXT;
        k.call(x, H.put_page).page = f.page; // putback_lru_page()
        return CALL;
    }
  });

  // Resume point 1: after get_user_pages_fast().
  r.add('sys_gup_fast', 'get_user_pages_fast', (k, x, f, pc) => {
    if (pc === 0) {
      const op = opIn<'gup_fast'>(k, f);
      const v = ownVma(k, x, f.tsk, op.map);
      const c = k.call(x, H.get_user_pages_fast);
      c.vma = v.idx;
      c.i = op.page ?? 0;
      c.write = !!op.write;
      return fuseCallAgain(1);
    }
    const page = k.ret(x, H.get_user_pages_fast).page;
    if (!page) { k.count('gup_fast_fallback'); return NEXT; } // (the get_user_pages() slow path is not modelled)
    k.call(x, H.put_page).page = page; // unpin_user_page()
    return CALL;
  });
}

export function registerPages(r: StepRegistry) {
  registerMm(r);
  registerPgtable(r);
  registerZap(r);
  registerFaults(r);
  registerRmapAdd(r);
  registerWriteback(r);
  registerGup(r);
  registerOps(r);
}

BASELINE_PARTS.push(registerPages);
QUIESCENCE_CHECKS.push(pageQuiescenceOracles);

// What patches and arches build on.
export {
  _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_ACCESSED, _PAGE_DIRTY, NONE, mkEntry, entryPfn, present,
  pteWrite, pteDirty, isNone, sameEntry, ptLo, ptHi, PG_REFCOUNT, PG_MAPCOUNT, PG_LOCKED, PG_DIRTY,
  PG_WRITEBACK, PG_PRIVATE, PG_MAPPING, pageInfo, pageIsAnon, pageName, pageData, pfnToPage, fmtEntry,
  entryName, noteStored, notefp, ld64, st64, vmaAt, vmaByName, fileByName, declarePteLowHigh, pteLowHigh,
  type PgVma, type PgFile, type Entry,
} from './state.ts';
export { xchg64, storeEntry, loadEntry, loadHalf, storeHalf, checkTorn, readOnce64 } from './pgtable.ts';
export {
  gatherLimits, batchBase, batchNr, batchPages, pagePtrAt, setPagePtrAt, batchAdd, zapRemoveRmap,
  tlbRemovePage, releasePages,
} from './zap.ts';
export { ptlLock, ptlUnlock, free_page } from './mm.ts';
export { GATHER_CAP } from './hooks.ts';

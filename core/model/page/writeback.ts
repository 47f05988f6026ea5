// Cleaning and dropping file pages, v6.1: writeback (write_cache_pages() in mm/page-writeback.c,
// what msync(MS_SYNC) and the flusher run), folio_clear_dirty_for_io() -> folio_mkclean() ->
// page_mkclean_one() (mm/rmap.c: an rmap walk that takes each mapping's page-table lock), page
// cache eviction (posix_fadvise(POSIX_FADV_DONTNEED) -> invalidate_mapping_pages() ->
// mapping_evict_folio() in mm/truncate.c) and reclaim (shrink_page_list() in mm/vmscan.c with
// folio_referenced() and try_to_unmap()). The lost-write oracle watches a page leave the page
// cache: a clean page whose data differs from the disk takes that data with it.
import type { StepRegistry } from '../registry.ts';
import { NEXT, RET, YIELD, FUSE, FUSED, CALL, FUSE_CALL, callAgain, fuseCallAgain, again, goTo, block } from '../fns.ts';
import { H, W_ZERO, type Kernel, type Ctx } from '../kernel.ts';
import {
  pageInfo, pfnToPage, tableVma, entryPfn, present, pteWrite, pteDirty, ptLo, ld64, inoPage, inoDisk,
  inoMmapRwsem, pageName, rcuReadLock, rcuReadUnlock, AV_ROOT, AV_RWSEM, _PAGE_RW, _PAGE_DIRTY, _PAGE_ACCESSED,
  PG_REFCOUNT, PG_MAPCOUNT, PG_DIRTY, PG_WRITEBACK, PG_PRIVATE, PG_MAPPING, pageData, vmaAt, fileAt,
  iMmap, nextInMask, staleWrite, pgOf, type PgFile,
} from './state.ts';
import { loadEntry } from './pgtable.ts';
import { ptlLock, ptlUnlock, free_page } from './mm.ts';

declare module '../fns.ts' {
  interface KernelSteps {
    'write_cache_pages.for_each_dirty_folio': true; 'folio_clear_dirty_for_io.folio_mkclean': true;
    'folio_clear_dirty_for_io.folio_test_clear_dirty': true; 'folio_mkclean.folio_mapped': true;
    'folio_mkclean.rmap_walk_file': true; 'page_mkclean_one.page_vma_mapped_walk': true;
    'page_mkclean_one.page_vma_mkclean_one': true; 'page_mkclean_one.pte_unmap_unlock': true;
    'invalidate_mapping_pages.invalidate_mapping_pagevec': true; 'mapping_evict_folio.folio_test_dirty': true;
    'mapping_evict_folio.folio_ref_count': true; 'mapping_evict_folio.filemap_release_folio': true;
    'mapping_evict_folio.remove_mapping': true; 'shrink_page_list.folio_trylock': true;
    'shrink_page_list.folio_test_writeback': true; 'shrink_page_list.folio_check_references': true;
    'shrink_page_list.try_to_unmap': true; 'shrink_page_list.pageout': true;
    'shrink_page_list.filemap_release_folio': true; 'shrink_page_list.__remove_mapping': true;
    'folio_referenced.rmap_walk': true; 'try_to_unmap.rmap_walk': true;
    'writepage.ext4_writepage': true; '__remove_mapping.folio_ref_freeze': true;
    'folio_lock_anon_vma_read.folio_lock_anon_vma_read': true;
    'page_vma_mapped_walk.page_vma_mapped_walk': true; 'page_referenced_one.page_referenced_one': true;
    'try_to_unmap_one.try_to_unmap_one': true;
  }
}

/** The next VMA of an rmap walk of the file page `page` after VMA index `after` in `mask` (a
 *  snapshot of i_mmap taken when the walk started): one that covers the page's index, or -1. */
function nextMapping(k: Kernel, mask: number, after: number, index: number): number {
  for (let i = nextInMask(mask, after); i >= 0; i = nextInMask(mask, i)) if (index < vmaAt(k, i).npages) return i;
  return -1;
}

/** keep_locked in shrink_page_list(): unlock the page and give up on it (resume at `pc`). */
function keep(k: Kernel, x: Ctx, page: number, pc: number): number {
  k.call(x, H.unlock_page).page = page;
  return callAgain(pc);
}

/** filemap_release_folio() -> try_to_free_buffers() on a clean page. */
function releaseBuffers(k: Kernel, x: Ctx, page: number): number {
  if (!k.ld(x, page + PG_PRIVATE)) return YIELD;
  k.st(x, page + PG_PRIVATE, 0);
  return YIELD;
}

/** Push ext4_writepage() of page i of file (it unlocks the page). */
function writepage(k: Kernel, x: Ctx, file: PgFile, i: number, page: number) {
  const c = k.call(x, H.writepage);
  c.file = file.idx;
  c.i = i;
  c.page = page;
}

export function registerWriteback(r: StepRegistry) {
  // int write_cache_pages(mapping, wbc, writepage, data); f: { file, sync }
  // Resume points: 0 the next page (f.i), 1 after its page cache lookup, 2 after folio_try_get(),
  // 3 locked, 4 after the mapping and dirty checks, 5 writeback done (or none), 6 after
  // folio_clear_dirty_for_io(), 7 unlocked (skip the page), 8 written, 9 released: the next page.
  r.add('write_cache_pages', 'for_each_dirty_folio', (k, x, f, pc) => {
    const file = fileAt(k, f.file);
    switch (pc) {
      case 0: break;
      case 1:
        if (!f.page) { f.i++; break; }
        k.call(x, H.folio_try_get).page = f.page;
        return callAgain(2);
      case 2:
        if (!k.ret(x, H.folio_try_get).ret) { f.i++; break; }
        k.call(x, H.lock_page).page = f.page;
        return callAgain(3);
      case 3:
        // "continue_unlock": truncated, evicted, or someone else cleaned it
        f.ok = k.ld(x, f.page + PG_MAPPING) === file.ino && k.ld(x, f.page + PG_DIRTY) !== 0;
        return again(4);
      case 4:
        if (f.ok && k.ld(x, f.page + PG_WRITEBACK)) {
          if (f.sync) { k.wait(x, W_ZERO, f.page + PG_WRITEBACK); return block(5); } // folio_wait_writeback()
          k.call(x, H.unlock_page).page = f.page;
          return fuseCallAgain(7);
        }
        return goTo(5) | FUSED; // (writeback done, or none)
      case 5:
        if (f.ok) {
          k.call(x, H.folio_clear_dirty_for_io).page = f.page;
          return fuseCallAgain(6);
        }
        k.call(x, H.unlock_page).page = f.page;
        return fuseCallAgain(7);
      case 6:
        if (!k.ret(x, H.folio_clear_dirty_for_io).ret) {
          k.call(x, H.unlock_page).page = f.page;
          return callAgain(7);
        }
        writepage(k, x, file, f.i, f.page);
        return callAgain(8);
      case 7:
      case 8:
        k.call(x, H.put_page).page = f.page;
        return callAgain(9);
      default:
        f.i++;
    }
    if (f.i >= file.npages) return NEXT;
    f.page = k.ld(x, inoPage(file, f.i));
    return again(1);
  });

  // bool folio_clear_dirty_for_io(struct folio *folio): "if (folio_mkclean(folio))
  // folio_mark_dirty(folio); ... if (folio_test_clear_dirty(folio)) { ... ret = true; }"
  // Resume point 1: after folio_mkclean().
  r.add('folio_clear_dirty_for_io', 'folio_mkclean', (k, x, f, pc) => {
    if (pc === 0) {
      k.call(x, H.folio_mkclean).page = f.page;
      return callAgain(1);
    }
    if (!k.ret(x, H.folio_mkclean).cleaned) return NEXT;
    k.call(x, H.set_page_dirty).page = f.page;
    return CALL;
  });
  r.add('folio_clear_dirty_for_io', 'folio_test_clear_dirty', (k, x, f) => {
    f.ret = k.cmpxchg(x, f.page + PG_DIRTY, 1, 0) === 1;
    return YIELD;
  });

  // int folio_mkclean(struct folio *folio): "if (!folio_mapped(folio)) return 0;" then the walk
  // Resume point 1: after the mapcount read.
  r.add('folio_mkclean', 'folio_mapped', (k, x, f, pc) => {
    if (pc === 1) return f.mc < 0 ? RET : NEXT;
    f.mc = k.ld(x, f.page + PG_MAPCOUNT);
    return again(1);
  });
  // rmap_walk_file(): i_mmap_lock_read(); vma_interval_tree_foreach(...) rwc->rmap_one(...)
  // Resume points: 1 i_mmap_rwsem held, 2 after a page_mkclean_one().
  r.add('folio_mkclean', 'rmap_walk_file', (k, x, f, pc) => {
    const info = pageInfo(k, f.page);
    const file = info.file;
    if (!file) return NEXT;
    switch (pc) {
      case 0:
        k.call(x, H.down_read).a = inoMmapRwsem(file);
        return callAgain(1);
      case 1:
        f.mask = iMmap(k, file);
        f.vi = -1;
        break;
      default:
        f.cleaned += k.ret(x, H.page_mkclean_one).cleaned;
    }
    const vi = nextMapping(k, f.mask, f.vi, info.index);
    if (vi < 0) {
      k.call(x, H.up_read).a = inoMmapRwsem(file);
      return CALL;
    }
    f.vi = vi;
    const c = k.call(x, H.page_mkclean_one);
    c.vma = vi;
    c.i = info.index;
    c.page = f.page;
    return callAgain(2);
  });

  // page_mkclean_one() -> page_vma_mkclean_one() with PVMW_SYNC (the PTL is always taken)
  // Resume point 1: after the walk.
  r.add('page_mkclean_one', 'page_vma_mapped_walk', (k, x, f, pc) => {
    if (pc === 1) {
      const w = k.ret(x, H.page_vma_mapped_walk);
      if (!w.ret) return RET;
      f.pte = w.pte;
      return NEXT;
    }
    mappedWalk(k, x, f.vma, f.i, f.page);
    return callAgain(1);
  });
  //   if (!pte_dirty(*pte) && !pte_write(*pte)) continue;
  //   entry = ptep_clear_flush(vma, address, pte); entry = pte_wrprotect(entry);
  //   entry = pte_mkclean(entry); set_pte_at(vma->vm_mm, address, pte, entry); ret = 1;
  // Resume points: 1 after ptep_get_and_clear(), 2 after the flush, 3 after set_pte_at().
  r.add('page_mkclean_one', 'page_vma_mkclean_one', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    switch (pc) {
      case 0: {
        if (!pteDirty(f.pte) && !pteWrite(f.pte)) return NEXT;
        const c = k.call(x, H.ptep_get_and_clear);
        c.vma = f.vma;
        c.i = f.i;
        c.full = false;
        return callAgain(1);
      }
      case 1: {
        f.pte = k.ret(x, H.ptep_get_and_clear).ret;
        // ptep_clear_flush(): ... then flush_tlb_page()
        const c = k.call(x, H.flush_tlb_mm_range);
        c.mm = v.mm;
        c.freed_tables = false;
        c.full = false;
        return callAgain(2);
      }
      case 2: {
        const e = { lo: f.pte.lo & ~(_PAGE_RW | _PAGE_DIRTY), hi: f.pte.hi };
        const c = k.call(x, H.set_pte_at);
        c.a = v.pt + ptLo(f.i);
        c.e = e;
        return callAgain(3);
      }
      default:
        f.cleaned = 1;
        return NEXT;
    }
  });
  r.add('page_mkclean_one', 'pte_unmap_unlock', (k, x, f) => {
    ptlUnlock(k, x, vmaAt(k, f.vma));
    return CALL;
  });

  // posix_fadvise(POSIX_FADV_DONTNEED) -> generic_fadvise() -> invalidate_mapping_pagevec(); f: { file }
  // Resume points: 0 the next page (f.i), 1 after its page cache lookup, 2 after folio_try_get(),
  // 3 after folio_trylock(), 4 after mapping_evict_folio(), 5 unlocked, 9 released: the next page.
  r.add('invalidate_mapping_pages', 'invalidate_mapping_pagevec', (k, x, f, pc) => {
    const file = fileAt(k, f.file);
    switch (pc) {
      case 0: break;
      case 1:
        if (!f.page) { f.i++; break; }
        k.call(x, H.folio_try_get).page = f.page;
        return callAgain(2);
      case 2:
        if (!k.ret(x, H.folio_try_get).ret) { f.i++; break; }
        k.call(x, H.trylock_page).page = f.page;
        return callAgain(3);
      case 3:
        if (!k.ret(x, H.trylock_page).ret) {
          k.call(x, H.put_page).page = f.page;
          return callAgain(9);
        }
        if (k.ld(x, f.page + PG_MAPPING) === file.ino) {
          const c = k.call(x, H.mapping_evict_folio);
          c.page = f.page;
          c.file = f.file;
          c.i = f.i;
          return fuseCallAgain(4);
        }
        return goTo(4) | FUSED;
      case 4:
        k.call(x, H.unlock_page).page = f.page;
        return fuseCallAgain(5);
      case 5:
        k.call(x, H.put_page).page = f.page;
        return callAgain(9);
      default:
        f.i++;
    }
    if (f.i >= file.npages) return NEXT;
    f.page = k.ld(x, inoPage(file, f.i));
    return again(1);
  });

  // long mapping_evict_folio(struct address_space *mapping, struct folio *folio)
  // Resume point 1: after the reads.
  r.add('mapping_evict_folio', 'folio_test_dirty', (k, x, f, pc) => {
    if (pc === 1) return f.tmp ? RET : NEXT;
    f.tmp = k.ld(x, f.page + PG_DIRTY) || k.ld(x, f.page + PG_WRITEBACK);
    return again(1);
  });
  //   "The refcount will be elevated if any page in the folio is mapped" (the page cache's
  //   reference and ours; buffer heads hold none in the model)
  // Resume point 1: after the read.
  r.add('mapping_evict_folio', 'folio_ref_count', (k, x, f, pc) => {
    if (pc === 1) return f.tmp > 2 ? RET : NEXT;
    f.tmp = k.ld(x, f.page + PG_REFCOUNT);
    return again(1);
  });
  r.add('mapping_evict_folio', 'filemap_release_folio', (k, x, f) => releaseBuffers(k, x, f.page));
  // remove_mapping() -> __remove_mapping(): freeze the refcount, re-check dirty, delete from the
  // page cache; then folio_ref_unfreeze(folio, 1): our reference frees it.
  // Resume point 1: after __remove_mapping().
  r.add('mapping_evict_folio', 'remove_mapping', (k, x, f, pc) => {
    if (pc === 1) {
      if (!k.ret(x, H.__remove_mapping).ret) return NEXT;
      k.st(x, f.page + PG_REFCOUNT, 1);
      return YIELD;
    }
    removeMapping(k, x, f.file, f.i, f.page, 2);
    return callAgain(1);
  });

  // unsigned int shrink_page_list(...) for one isolated page (kswapd holds a reference); f: { page }
  // Resume point 1: after folio_trylock().
  r.add('shrink_page_list', 'folio_trylock', (k, x, f, pc) => {
    if (pc === 1) return k.ret(x, H.trylock_page).ret ? NEXT : RET;
    k.call(x, H.trylock_page).page = f.page;
    return callAgain(1);
  });
  // Resume points: 1 after the PG_writeback read, 2 kept (unlocked).
  r.add('shrink_page_list', 'folio_test_writeback', (k, x, f, pc) => {
    switch (pc) {
      case 0:
        f.tmp = k.ld(x, f.page + PG_WRITEBACK);
        return again(1);
      case 1:
        return f.tmp ? keep(k, x, f.page, 2) : NEXT;
      default:
        return RET;
    }
  });
  // folio_check_references() -> folio_referenced(): a referenced page is activated, not reclaimed
  // Resume points: 1 after folio_referenced(), 2 kept.
  r.add('shrink_page_list', 'folio_check_references', (k, x, f, pc) => {
    switch (pc) {
      case 0:
        k.call(x, H.folio_referenced).page = f.page;
        return callAgain(1);
      case 1:
        return k.ret(x, H.folio_referenced).referenced ? keep(k, x, f.page, 2) : NEXT;
      default:
        return RET;
    }
  });
  //   if (folio_mapped(folio)) { ... try_to_unmap(folio, flags); if (folio_mapped(folio)) goto activate_locked; }
  // Resume points: 1 mapped, 2 after try_to_unmap(), 3 after the mapcount read, 4 kept.
  r.add('shrink_page_list', 'try_to_unmap', (k, x, f, pc) => {
    switch (pc) {
      case 0:
        if (k.ld(x, f.page + PG_MAPCOUNT) < 0) return YIELD;
        return again(1);
      case 1:
        k.call(x, H.try_to_unmap).page = f.page;
        return callAgain(2);
      case 2:
        f.tmp = k.ld(x, f.page + PG_MAPCOUNT) >= 0 ? 1 : 0;
        return again(3);
      case 3:
        return f.tmp ? keep(k, x, f.page, 4) : NEXT;
      default:
        return RET;
    }
  });
  //   if (folio_test_dirty(folio)) { ... switch (pageout(folio, mapping, &plug)) ... }
  // Resume points: 1 after the PG_dirty read, 2 after folio_clear_dirty_for_io(), 3 written (or
  // unlocked, or kept): return.
  r.add('shrink_page_list', 'pageout', (k, x, f, pc) => {
    const info = pageInfo(k, f.page);
    switch (pc) {
      case 0:
        f.tmp = k.ld(x, f.page + PG_DIRTY);
        return again(1);
      case 1:
        if (!f.tmp) return NEXT;
        if (!info.file) return keep(k, x, f.page, 3); // (swap-out is not modelled)
        k.call(x, H.folio_clear_dirty_for_io).page = f.page;
        return callAgain(2);
      case 2:
        if (k.ret(x, H.folio_clear_dirty_for_io).ret) writepage(k, x, info.file!, info.index, f.page); // unlocks the page
        else k.call(x, H.unlock_page).page = f.page;
        return callAgain(3);
      default:
        return RET; // written back; a later scan may free it
    }
  });
  r.add('shrink_page_list', 'filemap_release_folio', (k, x, f) => releaseBuffers(k, x, f.page));
  // __remove_mapping(mapping, folio, true, ...): expect the page cache's and kswapd's references
  // Resume points: 1 after __remove_mapping(), 2 unlocked, 3 kept.
  r.add('shrink_page_list', '__remove_mapping', (k, x, f, pc) => {
    const info = pageInfo(k, f.page);
    switch (pc) {
      case 0:
        if (!info.file) return keep(k, x, f.page, 3);
        removeMapping(k, x, info.file.idx, info.index, f.page, 2);
        return callAgain(1);
      case 1:
        if (!k.ret(x, H.__remove_mapping).ret) return keep(k, x, f.page, 3);
        k.call(x, H.unlock_page).page = f.page;
        return callAgain(2);
      case 2:
        free_page(k, x, f.page); // the refcount is frozen at 0: free_unref_page_list()
        f.freed = true;
        return YIELD;
      default:
        return RET;
    }
  });

  // int folio_referenced(folio, is_locked, memcg, vm_flags) -> rmap walk of page_referenced_one()
  // Resume points: 1 after the mapcount read; anon: 2 after folio_lock_anon_vma_read(), 3 after a
  // page_referenced_one(); file: 4 i_mmap_rwsem held, 5 after a page_referenced_one().
  r.add('folio_referenced', 'rmap_walk', (k, x, f, pc) => {
    const info = pageInfo(k, f.page);
    switch (pc) {
      case 0:
        f.mc = k.ld(x, f.page + PG_MAPCOUNT);
        return again(1);
      case 1:
        if (f.mc < 0) return NEXT; // "if (!pra.mapcount) return 0;"
        if (info.file) {
          k.call(x, H.down_read).a = inoMmapRwsem(info.file);
          return callAgain(4);
        }
        // rmap_walk_anon(folio, rwc, false) -> folio_lock_anon_vma_read(folio, rwc)
        k.call(x, H.folio_lock_anon_vma_read).page = f.page;
        return callAgain(2);
      case 2: {
        const av = k.ret(x, H.folio_lock_anon_vma_read).ret;
        if (av === -1) { f.referenced++; return NEXT; } // contended (rwc->try_lock): "the folio is busy"
        if (!av) return NEXT;
        f.av = av;
        f.vi = -1;
        return anonNext(k, x, f, info.index);
      }
      case 3:
        f.referenced += k.ret(x, H.page_referenced_one).referenced;
        return anonNext(k, x, f, info.index);
      case 4:
        f.mask = iMmap(k, info.file!);
        f.vi = -1;
        break;
      default:
        f.referenced += k.ret(x, H.page_referenced_one).referenced;
    }
    // rmap_walk_file()
    const vi = nextMapping(k, f.mask, f.vi, info.index);
    if (vi < 0) {
      k.call(x, H.up_read).a = inoMmapRwsem(info.file!);
      return CALL;
    }
    f.vi = vi;
    referencedOne(k, x, vi, info.index, f.page);
    return callAgain(5);
  });

  // bool try_to_unmap(folio, flags) -> rmap walk of try_to_unmap_one(): clear and flush the PTE,
  // move its dirty bit to the page, page_remove_rmap(), drop the mapping's reference.
  // Resume points: 1 i_mmap_rwsem held, 2 after a try_to_unmap_one().
  r.add('try_to_unmap', 'rmap_walk', (k, x, f, pc) => {
    const info = pageInfo(k, f.page);
    const file = info.file;
    if (!file) return NEXT;
    if (pc === 0) {
      k.call(x, H.down_read).a = inoMmapRwsem(file);
      return callAgain(1);
    }
    if (pc === 1) { f.mask = iMmap(k, file); f.vi = -1; }
    const vi = nextMapping(k, f.mask, f.vi, info.index);
    if (vi < 0) {
      k.call(x, H.up_read).a = inoMmapRwsem(file);
      return CALL;
    }
    f.vi = vi;
    const c = k.call(x, H.try_to_unmap_one);
    c.vma = vi;
    c.i = info.index;
    c.page = f.page;
    return callAgain(2);
  });

  // ---- helpers (what were generator functions: traced as the calling step) ------------------------

  // ext4_writepage(): set_page_writeback(); unlock_page(); the I/O; end_page_writeback().
  // Resume points: 1 PG_writeback set, 2 unlocked, 3 the device read the page, 4 written.
  r.add('writepage', 'ext4_writepage', (k, x, f, pc) => {
    switch (pc) {
      case 0:
        k.st(x, f.page + PG_WRITEBACK, 1);
        return again(1);
      case 1:
        k.call(x, H.unlock_page).page = f.page;
        return callAgain(2);
      case 2:
        f.d = k.ld(x, pageData(k, f.page)); // the device reads the page
        return again(3);
      case 3:
        k.st(x, inoDisk(fileAt(k, f.file), f.i), f.d);
        if (k.tracing) k.tr(x, `write ${pageName(k, f.page)} to disk: ${f.d}`);
        k.count('pages_written');
        return again(4);
      default:
        k.st(x, f.page + PG_WRITEBACK, 0);
        return YIELD;
    }
  });

  // __remove_mapping(): folio_ref_freeze(folio, expected), the dirty re-check, and
  // __filemap_remove_folio(). The page leaves the page cache here: the lost-write oracle.
  // Resume point 1: the refcount frozen.
  r.add('__remove_mapping', 'folio_ref_freeze', (k, x, f, pc) => {
    if (pc === 0) {
      if (k.cmpxchg(x, f.page + PG_REFCOUNT, f.expected, 0) !== f.expected) { f.ret = false; return YIELD; }
      return again(1);
    }
    if (k.ld(x, f.page + PG_DIRTY)) { k.st(x, f.page + PG_REFCOUNT, f.expected); f.ret = false; return YIELD; }
    const file = fileAt(k, f.file);
    k.st(x, inoPage(file, f.i), 0);
    k.st(x, f.page + PG_MAPPING, 0);
    if (k.tracing) k.tr(x, `delete ${pageName(k, f.page)} from the page cache`);
    checkEvicted(k, x, file, f.i, f.page);
    f.ret = true;
    return YIELD;
  });

  // struct anon_vma *folio_lock_anon_vma_read(struct folio *folio, struct rmap_walk_control *rwc)
  // (kswapd's try_lock flavour): the anon_vma read-locked, 0 (none / no longer mapped) or -1
  // (contended). "folio_mapped() plays a key role in establishing the continued validity of an
  // anon_vma" (Hugh Dickins, seed L4686-4711): the anon_vma is dereferenced only while the folio
  // is mapped, under rcu_read_lock() (anon_vmas are SLAB_TYPESAFE_BY_RCU).
  // Resume points: 1 after the mapping read, 2 mapped, 3 after the root read, 4 read-locked,
  // 5 after up_read() (no longer mapped), 8 contended, 9 rcu_read_unlock().
  r.add('folio_lock_anon_vma_read', 'folio_lock_anon_vma_read', (k, x, f, pc) => {
    switch (pc) {
      case 0:
        rcuReadLock(k, x.cpu);
        f.ret = 0;
        f.mapping = k.ld(x, f.page + PG_MAPPING); // READ_ONCE(folio->mapping)
        return again(1);
      case 1:
        if (f.mapping && k.ld(x, f.page + PG_MAPCOUNT) >= 0) return again(2); // if (!folio_mapped(folio)) goto out;
        return again(9);
      case 2:
        f.root = k.ld(x, f.mapping + AV_ROOT); // root_anon_vma = READ_ONCE(anon_vma->root);
        return again(3);
      case 3: {
        const rw = k.ld(x, f.root + AV_RWSEM); // down_read_trylock(&root_anon_vma->rwsem)
        if (rw >= 0 && k.cmpxchg(x, f.root + AV_RWSEM, rw, rw + 1) === rw) return again(4);
        return again(8);
      }
      case 4:
        // "If the folio is still mapped, then this anon_vma is still its anon_vma, and holding the
        //  mutex ensures that it will not go away, see anon_vma_free()."
        if (k.ld(x, f.page + PG_MAPCOUNT) >= 0) { f.ret = f.mapping; return again(9); }
        k.call(x, H.up_read).a = f.root + AV_RWSEM;
        return fuseCallAgain(5);
      case 5:
        return again(9);
      case 8:
        f.ret = -1; // if (rwc && rwc->try_lock) { anon_vma = NULL; rwc->contended = true; goto out; }
        return goTo(9);
      default:
        rcuReadUnlock(k, x);
        return NEXT;
    }
  });

  // page_vma_mapped_walk() with PVMW_SYNC: take the PTL; true (locked, f.pte set) if the PTE maps
  // the page. Resume points: 1 after the PMD read, 2 the PTL held.
  r.add('page_vma_mapped_walk', 'page_vma_mapped_walk', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    switch (pc) {
      case 0:
        f.pte = ld64(k, x, v.pmd); // (the PMD)
        return again(1);
      case 1:
        if (!present(f.pte) || tableVma(k, entryPfn(f.pte)) !== v) { f.ret = false; return NEXT; }
        ptlLock(k, x, v);
        return callAgain(2);
      default: {
        const pte = loadEntry(k, x, v.pt + ptLo(f.i), 'pte');
        if (!present(pte) || pfnToPage(k, entryPfn(pte)) !== f.page) {
          f.ret = false;
          ptlUnlock(k, x, v);
          return FUSE_CALL;
        }
        f.pte = pte;
        f.ret = true;
        return FUSE;
      }
    }
  });

  // folio_referenced()'s rmap_one: page_referenced_one()
  // Resume points: 1 after the mapped walk, 2 after the accessed-bit test.
  r.add('page_referenced_one', 'page_referenced_one', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    switch (pc) {
      case 0:
        mappedWalk(k, x, f.vma, f.i, f.page);
        return callAgain(1);
      case 1: {
        if (!k.ret(x, H.page_vma_mapped_walk).ret) return NEXT;
        // ptep_clear_flush_young_notify(): test and clear the accessed bit (x86 does not flush)
        const a = v.pt + ptLo(f.i);
        const lo = k.ld(x, a);
        if (lo & _PAGE_ACCESSED) { k.st(x, a, lo & ~_PAGE_ACCESSED); f.referenced++; }
        return again(2);
      }
      default:
        ptlUnlock(k, x, v);
        return CALL;
    }
  });

  // try_to_unmap()'s rmap_one: try_to_unmap_one()
  // Resume points: 1 after the mapped walk, 2 after ptep_get_and_clear(), 3 after the flush, 4
  // after set_page_dirty(), 5 after page_remove_rmap(), 6 after put_page().
  r.add('try_to_unmap_one', 'try_to_unmap_one', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    switch (pc) {
      case 0:
        mappedWalk(k, x, f.vma, f.i, f.page);
        return callAgain(1);
      case 1: {
        if (!k.ret(x, H.page_vma_mapped_walk).ret) return NEXT;
        const c = k.call(x, H.ptep_get_and_clear);
        c.vma = f.vma;
        c.i = f.i;
        c.full = false;
        return callAgain(2);
      }
      case 2: {
        f.pte = k.ret(x, H.ptep_get_and_clear).ret;
        const c = k.call(x, H.flush_tlb_mm_range);
        c.mm = v.mm;
        c.freed_tables = false;
        c.full = false;
        return callAgain(3);
      }
      case 3:
        if (pteDirty(f.pte)) {
          k.call(x, H.set_page_dirty).page = f.page;
          return callAgain(4);
        }
        return goTo(4);
      case 4: {
        const c = k.call(x, H.page_remove_rmap);
        c.page = f.page;
        c.vma = f.vma;
        return callAgain(5);
      }
      case 5:
        k.call(x, H.put_page).page = f.page;
        return callAgain(6);
      default:
        ptlUnlock(k, x, v);
        return CALL;
    }
  });
}

/** The anonymous rmap walk of folio_referenced(): the next VMA of the anon_vma that covers the
 *  page's index gets page_referenced_one() (resume point 3), and then anon_vma_unlock_read(). */
function anonNext(k: Kernel, x: Ctx, f: { av: number; vi: number; page: number }, index: number): number {
  const vmas = pgOf(k)!.vmas;
  for (let i = f.vi + 1; i < vmas.length; i++) {
    const v = vmas[i];
    if (v.anonVma !== f.av || index >= v.npages) continue;
    f.vi = i;
    referencedOne(k, x, i, index, f.page);
    return callAgain(3);
  }
  k.call(x, H.up_read).a = f.av + AV_RWSEM; // anon_vma_unlock_read()
  return CALL;
}

function referencedOne(k: Kernel, x: Ctx, vma: number, i: number, page: number) {
  const c = k.call(x, H.page_referenced_one);
  c.vma = vma;
  c.i = i;
  c.page = page;
}

/** Push page_vma_mapped_walk(); the caller reads k.ret(x, H.page_vma_mapped_walk). */
function mappedWalk(k: Kernel, x: Ctx, vma: number, i: number, page: number) {
  const c = k.call(x, H.page_vma_mapped_walk);
  c.vma = vma;
  c.i = i;
  c.page = page;
}

/** Push __remove_mapping(); the caller reads k.ret(x, H.__remove_mapping).ret. */
function removeMapping(k: Kernel, x: Ctx, file: number, i: number, page: number, expected: number) {
  const c = k.call(x, H.__remove_mapping);
  c.file = file;
  c.i = i;
  c.page = page;
  c.expected = expected;
}

/** Lost write: a clean page leaves the page cache with data the disk does not have. */
function checkEvicted(k: Kernel, x: Ctx, file: PgFile, i: number, page: number) {
  const data = k.peek(pageData(k, page));
  const disk = k.peek(inoDisk(file, i));
  if (data === disk) return;
  const how = staleWrite(k, page);
  k.violate('lost-write', `${pageName(k, page)} left the page cache clean with data ${data} while ${file.name}'s disk holds ${disk}${how ? `: ${how} after the page had been cleaned` : ''}`, x);
}


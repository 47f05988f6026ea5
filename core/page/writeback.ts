// Cleaning and dropping file pages, v6.1: writeback (write_cache_pages() in mm/page-writeback.c,
// what msync(MS_SYNC) and the flusher run), folio_clear_dirty_for_io() -> folio_mkclean() ->
// page_mkclean_one() (mm/rmap.c: an rmap walk that takes each mapping's page-table lock), page
// cache eviction (posix_fadvise(POSIX_FADV_DONTNEED) -> invalidate_mapping_pages() ->
// mapping_evict_folio() in mm/truncate.c) and reclaim (shrink_page_list() in mm/vmscan.c with
// folio_referenced() and try_to_unmap()). The lost-write oracle watches a page leave the page
// cache: a clean page whose data differs from the disk takes that data with it.
import type { StepRegistry, Frame } from '../hooks.ts';
import { H, type Kernel, type Ctx } from '../kernel.ts';
import { BLOCK } from '../kernel/sched.ts';
import { PH } from './hooks.ts';
import {
  pgOf, pageInfo, pfnToPage, entryPfn, present, pteWrite, pteDirty, ptLo, ld64, inoPage, inoDisk,
  inoMmapRwsem, pageName, rcuReadLock, rcuReadUnlock, AV_ROOT, AV_RWSEM, _PAGE_RW, _PAGE_DIRTY, _PAGE_ACCESSED,
  PG_REFCOUNT, PG_MAPCOUNT, PG_DIRTY, PG_WRITEBACK, PG_PRIVATE, PG_MAPPING, pageData,
  type PgFile, type PgVma,
} from './state.ts';
import { loadEntry } from './pgtable.ts';
import { ptl_lock, ptl_unlock, lock_page, trylock_page, unlock_page, folio_try_get, put_page, free_page, down_read, up_read } from './mm.ts';

type Gen<R = void> = Generator<number, R, unknown>;

export function registerWriteback(r: StepRegistry) {
  // int write_cache_pages(mapping, wbc, writepage, data); f: { file, sync }
  r.add('write_cache_pages', 'for_each_dirty_folio', function* (k, x, f) {
    const file: PgFile = f.file;
    for (let i = 0; i < file.npages; i++) {
      const page = k.ld(x, inoPage(file, i));
      yield 0;
      if (!page || !(yield* folio_try_get(k, x, page))) continue;
      yield* lock_page(k, x, page);
      // "continue_unlock": truncated, evicted, or someone else cleaned it
      const ok = k.ld(x, page + PG_MAPPING) === file.ino && k.ld(x, page + PG_DIRTY) !== 0;
      yield 0;
      if (ok && k.ld(x, page + PG_WRITEBACK)) {
        if (f.sync) { x.wait = () => k.m.mem[page + PG_WRITEBACK] === 0; yield BLOCK; } // folio_wait_writeback()
        else { yield* unlock_page(k, x, page); yield* put_page(k, x, page); continue; }
      }
      let cleared = false;
      if (ok) {
        const cf = { page, ret: false };
        yield k.invoke(PH.folio_clear_dirty_for_io, cf);
        cleared = cf.ret;
      }
      if (!cleared) { yield* unlock_page(k, x, page); yield* put_page(k, x, page); continue; }
      yield* writepage(k, x, file, i, page);
      yield* put_page(k, x, page);
    }
  });

  // bool folio_clear_dirty_for_io(struct folio *folio): "if (folio_mkclean(folio))
  // folio_mark_dirty(folio); ... if (folio_test_clear_dirty(folio)) { ... ret = true; }"
  r.add('folio_clear_dirty_for_io', 'folio_mkclean', function* (k, _x, f) {
    const mf = { page: f.page, cleaned: 0 };
    yield k.invoke(PH.folio_mkclean, mf);
    if (mf.cleaned) yield k.invoke(PH.set_page_dirty, { page: f.page });
  });
  r.add('folio_clear_dirty_for_io', 'folio_test_clear_dirty', function* (k, x, f) {
    f.ret = k.cmpxchg(x, f.page + PG_DIRTY, 1, 0) === 1;
    yield 0;
  });

  // int folio_mkclean(struct folio *folio): "if (!folio_mapped(folio)) return 0;" then the walk
  r.add('folio_mkclean', 'folio_mapped', function* (k, x, f) {
    const mc = k.ld(x, f.page + PG_MAPCOUNT);
    yield 0;
    if (mc < 0) f.ret_early = true;
  });
  // rmap_walk_file(): i_mmap_lock_read(); vma_interval_tree_foreach(...) rwc->rmap_one(...)
  r.add('folio_mkclean', 'rmap_walk_file', function* (k, x, f) {
    yield* rmapWalkFile(k, x, f.page, function* (v, i) {
      const pf = { vma: v, i, page: f.page, cleaned: 0 };
      yield k.invoke(PH.page_mkclean_one, pf);
      f.cleaned += pf.cleaned;
    });
  });

  // page_mkclean_one() -> page_vma_mkclean_one() with PVMW_SYNC (the PTL is always taken)
  r.add('page_mkclean_one', 'page_vma_mapped_walk', function* (k, x, f) {
    if (!(yield* mappedWalk(k, x, f))) f.ret_early = true;
  });
  //   if (!pte_dirty(*pte) && !pte_write(*pte)) continue;
  //   entry = ptep_clear_flush(vma, address, pte); entry = pte_wrprotect(entry);
  //   entry = pte_mkclean(entry); set_pte_at(vma->vm_mm, address, pte, entry); ret = 1;
  r.add('page_mkclean_one', 'page_vma_mkclean_one', function* (k, _x, f) {
    if (!pteDirty(f.pte) && !pteWrite(f.pte)) return;
    const pc: Frame = { vma: f.vma, i: f.i, full: false };
    yield k.invoke(PH.ptep_get_and_clear, pc); // ptep_clear_flush(): ... then flush_tlb_page()
    yield k.invoke(H.flush_tlb_mm_range, { mm: f.vma.mm, freed_tables: false, full: false });
    const e = { lo: pc.ret.lo & ~(_PAGE_RW | _PAGE_DIRTY), hi: pc.ret.hi };
    yield k.invoke(PH.set_pte_at, { a: f.vma.pt + ptLo(f.i), e });
    f.cleaned = 1;
  });
  r.add('page_mkclean_one', 'pte_unmap_unlock', function* (k, x, f) {
    yield* ptl_unlock(k, x, f.vma);
  });

  // posix_fadvise(POSIX_FADV_DONTNEED) -> generic_fadvise() -> invalidate_mapping_pagevec(); f: { file }
  r.add('invalidate_mapping_pages', 'invalidate_mapping_pagevec', function* (k, x, f) {
    const file: PgFile = f.file;
    for (let i = 0; i < file.npages; i++) {
      const page = k.ld(x, inoPage(file, i));
      yield 0;
      if (!page || !(yield* folio_try_get(k, x, page))) continue;
      if (!(yield* trylock_page(k, x, page))) { yield* put_page(k, x, page); continue; }
      if (k.ld(x, page + PG_MAPPING) === file.ino) yield k.invoke(PH.mapping_evict_folio, { page, file, i });
      yield* unlock_page(k, x, page);
      yield* put_page(k, x, page);
    }
  });

  // long mapping_evict_folio(struct address_space *mapping, struct folio *folio)
  r.add('mapping_evict_folio', 'folio_test_dirty', function* (k, x, f) {
    const busy = k.ld(x, f.page + PG_DIRTY) || k.ld(x, f.page + PG_WRITEBACK);
    yield 0;
    if (busy) f.ret_early = true;
  });
  //   "The refcount will be elevated if any page in the folio is mapped" (the page cache's
  //   reference and ours; buffer heads hold none in the model)
  r.add('mapping_evict_folio', 'folio_ref_count', function* (k, x, f) {
    const rc = k.ld(x, f.page + PG_REFCOUNT);
    yield 0;
    if (rc > 2) f.ret_early = true;
  });
  r.add('mapping_evict_folio', 'filemap_release_folio', function* (k, x, f) {
    yield* releaseBuffers(k, x, f.page);
  });
  // remove_mapping() -> __remove_mapping(): freeze the refcount, re-check dirty, delete from the
  // page cache; then folio_ref_unfreeze(folio, 1): our reference frees it.
  r.add('mapping_evict_folio', 'remove_mapping', function* (k, x, f) {
    if (!(yield* removeMapping(k, x, f.file, f.i, f.page, 2))) return;
    k.st(x, f.page + PG_REFCOUNT, 1);
    yield 0;
  });

  // unsigned int shrink_page_list(...) for one isolated page (kswapd holds a reference); f: { page }
  r.add('shrink_page_list', 'folio_trylock', function* (k, x, f) {
    if (!(yield* trylock_page(k, x, f.page))) f.ret_early = true;
  });
  r.add('shrink_page_list', 'folio_test_writeback', function* (k, x, f) {
    const wb = k.ld(x, f.page + PG_WRITEBACK);
    yield 0;
    if (wb) yield* keep(k, x, f);
  });
  // folio_check_references() -> folio_referenced(): a referenced page is activated, not reclaimed
  r.add('shrink_page_list', 'folio_check_references', function* (k, x, f) {
    const rf = { page: f.page, referenced: 0 };
    yield k.invoke(PH.folio_referenced, rf);
    if (rf.referenced) yield* keep(k, x, f);
  });
  //   if (folio_mapped(folio)) { ... try_to_unmap(folio, flags); if (folio_mapped(folio)) goto activate_locked; }
  r.add('shrink_page_list', 'try_to_unmap', function* (k, x, f) {
    if (k.ld(x, f.page + PG_MAPCOUNT) < 0) { yield 0; return; }
    yield 0;
    yield k.invoke(PH.try_to_unmap, { page: f.page });
    const mapped = k.ld(x, f.page + PG_MAPCOUNT) >= 0;
    yield 0;
    if (mapped) yield* keep(k, x, f);
  });
  //   if (folio_test_dirty(folio)) { ... switch (pageout(folio, mapping, &plug)) ... }
  r.add('shrink_page_list', 'pageout', function* (k, x, f) {
    const info = pageInfo(k, f.page);
    const dirty = k.ld(x, f.page + PG_DIRTY);
    yield 0;
    if (!dirty) return;
    if (!info.file) { yield* keep(k, x, f); return; } // (swap-out is not modelled)
    const cf = { page: f.page, ret: false };
    yield k.invoke(PH.folio_clear_dirty_for_io, cf);
    if (cf.ret) yield* writepage(k, x, info.file, info.index, f.page); // unlocks the page
    else yield* unlock_page(k, x, f.page);
    f.ret_early = true; // written back; a later scan may free it
  });
  r.add('shrink_page_list', 'filemap_release_folio', function* (k, x, f) {
    yield* releaseBuffers(k, x, f.page);
  });
  // __remove_mapping(mapping, folio, true, ...): expect the page cache's and kswapd's references
  r.add('shrink_page_list', '__remove_mapping', function* (k, x, f) {
    const info = pageInfo(k, f.page);
    if (!info.file || !(yield* removeMapping(k, x, info.file, info.index, f.page, 2))) { yield* keep(k, x, f); return; }
    yield* unlock_page(k, x, f.page);
    free_page(k, x, f.page); // the refcount is frozen at 0: free_unref_page_list()
    f.freed = true;
    yield 0;
  });

  // int folio_referenced(folio, is_locked, memcg, vm_flags) -> rmap walk of page_referenced_one()
  r.add('folio_referenced', 'rmap_walk', function* (k, x, f) {
    const mc = k.ld(x, f.page + PG_MAPCOUNT);
    yield 0;
    if (mc < 0) return; // "if (!pra.mapcount) return 0;"
    const one = function* (v: PgVma, i: number): Gen {
      const w = { vma: v, i, page: f.page, pte: null as unknown };
      if (!(yield* mappedWalk(k, x, w))) return;
      // ptep_clear_flush_young_notify(): test and clear the accessed bit (x86 does not flush)
      const a = v.pt + ptLo(i);
      const lo = k.ld(x, a);
      if (lo & _PAGE_ACCESSED) { k.st(x, a, lo & ~_PAGE_ACCESSED); f.referenced++; }
      yield 0;
      yield* ptl_unlock(k, x, v);
    };
    if (pageInfo(k, f.page).file) { yield* rmapWalkFile(k, x, f.page, one); return; }
    // rmap_walk_anon(folio, rwc, false) -> folio_lock_anon_vma_read(folio, rwc)
    const av = yield* folioLockAnonVmaRead(k, x, f.page);
    if (av === -1) { f.referenced++; return; } // contended (rwc->try_lock): "the folio is busy"
    if (!av) return;
    const index = pageInfo(k, f.page).index;
    for (const v of pgOf(k)!.vmas) if (v.anonVma === av && index < v.npages) yield* one(v, index);
    yield* up_read(k, x, av + AV_RWSEM); // anon_vma_unlock_read()
  });

  // bool try_to_unmap(folio, flags) -> rmap walk of try_to_unmap_one(): clear and flush the PTE,
  // move its dirty bit to the page, page_remove_rmap(), drop the mapping's reference.
  r.add('try_to_unmap', 'rmap_walk', function* (k, x, f) {
    yield* rmapWalkFile(k, x, f.page, function* (v, i) {
      const w = { vma: v, i, page: f.page, pte: null as unknown };
      if (!(yield* mappedWalk(k, x, w))) return;
      const pc: Frame = { vma: v, i, full: false };
      yield k.invoke(PH.ptep_get_and_clear, pc);
      yield k.invoke(H.flush_tlb_mm_range, { mm: v.mm, freed_tables: false, full: false });
      if (pteDirty(pc.ret)) yield k.invoke(PH.set_page_dirty, { page: f.page });
      yield k.invoke(PH.page_remove_rmap, { page: f.page, vma: v });
      yield* put_page(k, x, f.page);
      yield* ptl_unlock(k, x, v);
    });
  });
}

/** struct anon_vma *folio_lock_anon_vma_read(struct folio *folio, struct rmap_walk_control *rwc)
 *  (kswapd's try_lock flavour): the anon_vma read-locked, 0 (none / no longer mapped) or -1
 *  (contended). "folio_mapped() plays a key role in establishing the continued validity of an
 *  anon_vma" (Hugh Dickins, seed L4686-4711): the anon_vma is dereferenced only while the folio
 *  is mapped, under rcu_read_lock() (anon_vmas are SLAB_TYPESAFE_BY_RCU). */
function* folioLockAnonVmaRead(k: Kernel, x: Ctx, page: number): Gen<number> {
  rcuReadLock(k, x.cpu);
  let ret = 0;
  const anonMapping = k.ld(x, page + PG_MAPPING); // READ_ONCE(folio->mapping)
  yield 0;
  if (anonMapping && k.ld(x, page + PG_MAPCOUNT) >= 0) { // if (!folio_mapped(folio)) goto out;
    yield 0;
    const root = k.ld(x, anonMapping + AV_ROOT); // root_anon_vma = READ_ONCE(anon_vma->root);
    yield 0;
    const rw = k.ld(x, root + AV_RWSEM); // down_read_trylock(&root_anon_vma->rwsem)
    if (rw >= 0 && k.cmpxchg(x, root + AV_RWSEM, rw, rw + 1) === rw) {
      yield 0;
      // "If the folio is still mapped, then this anon_vma is still its anon_vma, and holding the
      //  mutex ensures that it will not go away, see anon_vma_free()."
      if (k.ld(x, page + PG_MAPCOUNT) >= 0) ret = anonMapping;
      else yield* up_read(k, x, root + AV_RWSEM);
      yield 0;
    } else {
      yield 0;
      ret = -1; // if (rwc && rwc->try_lock) { anon_vma = NULL; rwc->contended = true; goto out; }
    }
  } else yield 0;
  rcuReadUnlock(k, x);
  return ret;
}

/** rmap_walk_file(): i_mmap_lock_read(); for each VMA mapping the page's index; unlock. */
function* rmapWalkFile(k: Kernel, x: Ctx, page: number, one: (v: PgVma, i: number) => Gen): Gen {
  const info = pageInfo(k, page);
  const file = info.file;
  if (!file) return;
  yield* down_read(k, x, inoMmapRwsem(file));
  for (const v of file.i_mmap.slice()) if (info.index < v.npages) yield* one(v, info.index);
  yield* up_read(k, x, inoMmapRwsem(file));
}

/** page_vma_mapped_walk() with PVMW_SYNC: take the PTL; true (locked, f.pte set) if the PTE maps
 *  the page. */
function* mappedWalk(k: Kernel, x: Ctx, f: { vma: PgVma; i: number; page: number; pte: unknown }): Gen<boolean> {
  const v = f.vma;
  const pmd = ld64(k, x, v.pmd);
  yield 0;
  if (!present(pmd) || pgOf(k)!.tables.get(entryPfn(pmd)) !== v) return false;
  yield* ptl_lock(k, x, v);
  const pte = loadEntry(k, x, v.pt + ptLo(f.i), 'pte');
  if (!present(pte) || pfnToPage(k, entryPfn(pte)) !== f.page) {
    yield* ptl_unlock(k, x, v);
    return false;
  }
  f.pte = pte;
  return true;
}

/** ext4_writepage(): set_page_writeback(); unlock_page(); the I/O; end_page_writeback(). */
function* writepage(k: Kernel, x: Ctx, file: PgFile, i: number, page: number): Gen {
  k.st(x, page + PG_WRITEBACK, 1);
  yield 0;
  yield* unlock_page(k, x, page);
  const d = k.ld(x, pageData(k, page)); // the device reads the page
  yield 0;
  k.st(x, inoDisk(file, i), d);
  if (k.tracing) k.tr(x, `write ${pageName(k, page)} to disk: ${d}`);
  k.count('pages_written');
  yield 0;
  k.st(x, page + PG_WRITEBACK, 0);
  yield 0;
}

/** filemap_release_folio() -> try_to_free_buffers() on a clean page. */
function* releaseBuffers(k: Kernel, x: Ctx, page: number): Gen {
  if (!k.ld(x, page + PG_PRIVATE)) { yield 0; return; }
  k.st(x, page + PG_PRIVATE, 0);
  yield 0;
}

/** __remove_mapping(): folio_ref_freeze(folio, expected), the dirty re-check, and
 *  __filemap_remove_folio(). The page leaves the page cache here: the lost-write oracle. */
function* removeMapping(k: Kernel, x: Ctx, file: PgFile, i: number, page: number, expected: number): Gen<boolean> {
  if (k.cmpxchg(x, page + PG_REFCOUNT, expected, 0) !== expected) { yield 0; return false; }
  yield 0;
  if (k.ld(x, page + PG_DIRTY)) { k.st(x, page + PG_REFCOUNT, expected); yield 0; return false; }
  k.st(x, inoPage(file, i), 0);
  k.st(x, page + PG_MAPPING, 0);
  if (k.tracing) k.tr(x, `delete ${pageName(k, page)} from the page cache`);
  checkEvicted(k, x, file, i, page);
  yield 0;
  return true;
}

/** Lost write: a clean page leaves the page cache with data the disk does not have. */
function checkEvicted(k: Kernel, x: Ctx, file: PgFile, i: number, page: number) {
  const data = k.peek(pageData(k, page));
  const disk = k.peek(inoDisk(file, i));
  if (data === disk) return;
  const how = pgOf(k)!.staleWrites.get(page);
  k.violate('lost-write', `${pageName(k, page)} left the page cache clean with data ${data} while ${file.name}'s disk holds ${disk}${how ? `: ${how} after the page had been cleaned` : ''}`, x);
}

function* keep(k: Kernel, x: Ctx, f: { page: number; ret_early?: boolean }): Gen {
  yield* unlock_page(k, x, f.page);
  f.ret_early = true;
}

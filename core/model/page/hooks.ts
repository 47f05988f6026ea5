// The kernel functions of the page-level model (v6.1 names; mm/memory.c, mm/mmu_gather.c,
// mm/rmap.c, mm/filemap.c, mm/page-writeback.c, mm/truncate.c, mm/vmscan.c, mm/gup.c,
// include/linux/pgtable.h) and their frames. Functions added by a series are declared by the
// patch that adds them.
//
// Frames refer to a mapping (`vma`) and a file (`file`) by their index in the scenario's setup
// (PgVma.idx, PgFile.idx: core/model/page/state.ts), to the mmu_gather by a pointer to it in the
// zapping task's frames (`tlb`: k.at(x, H.mmu_gather, f.tlb), k.callOn(x, H.tlb_..., f.tlb)).
import { fns, frameExt, helperFns, alias, struct, int, ptr, bool, str, task, fnid, entry } from '../fns.ts';

/** The mmu_gather's page batches (the local batch and the ones tlb_next_batch() adds) hold at most
 *  this many page pointers in all; the freed page tables at most MAX_VMAS. */
export const GATHER_CAP = 64;
export const GATHER_BATCHES = GATHER_CAP + 2;
const words = (n: number, prefix: string) => {
  const o: Record<string, typeof int> = {};
  for (let i = 0; i < n; i++) o[`${prefix}${i}`] = int;
  return o;
};
// Word arrays embedded in struct mmu_gather (their fields are read by index through the struct's
// pointer: zap.ts), so they are not part of the typed KernelFns.
fns({
  /** batch->encoded_pages[] of every batch, batch j at batchBase(j) */
  mmu_gather_pages: words(GATHER_CAP, 'encoded_pages_'),
  /** batch->nr of every batch, the local one first */
  mmu_gather_batch_nr: words(GATHER_BATCHES, 'nr_'),
  /** the VMAs whose PTE pages wait for tlb_table_flush(), in the order queued */
  mmu_gather_tables: words(32, 'vma_'),
});

export const PAGE_FNS = fns({
  // page-table primitives (arch-overridable)
  set_pte_at: { a: ptr, e: entry },
  ptep_get_and_clear: { vma: int, i: int, full: bool, ret: entry },
  set_pmd: { a: ptr, e: entry },
  pmd_clear: { a: ptr },
  pmdp_get_and_clear: { a: ptr, ret: entry },
  pmd_read_atomic: { a: ptr, ret: entry },
  ptep_get_lockless: { a: ptr, ret: entry },
  // unmapping: unmap_vmas -> unmap_page_range -> zap_pmd_range -> zap_pte_range
  unmap_page_range: { tlb: ptr, vma: int },
  zap_pte_range: { tlb: ptr, vma: int, addr: int, end: int, force_flush: int, ptent: entry },
  zap_pmd_range: { tlb: ptr, vma: int, zf: struct('zap_pte_range') },
  /** z: zap_pte_range's frame (its force_flush) */
  zap_present_pte: { tlb: ptr, vma: int, i: int, z: ptr, ptent: entry, page: ptr, delay_rmap: int, stop: bool },
  free_pgd_range: { tlb: ptr, vma: int },
  // mmu_gather page batching
  __tlb_remove_page_size: { tlb: ptr, page: ptr, flags: int, ret: bool },
  tlb_next_batch: { tlb: ptr, ret: bool },
  tlb_batch_pages_flush: alias('mmu_gather'),
  /** pages: a pointer to the batch's page pointers (in the mmu_gather) */
  free_pages_and_swap_cache: { pages: ptr, nr: int, i: int },
  release_pages: { pages: ptr, nr: int, i: int },
  // rmap and the dirty bit
  page_add_file_rmap: { page: ptr },
  page_remove_rmap: { page: ptr, vma: int, last: bool },
  set_page_dirty: { page: ptr, ret: bool },
  folio_mkclean: { page: ptr, cleaned: int, mc: int, mask: int, vi: int },
  page_mkclean_one: { vma: int, i: int, page: ptr, cleaned: int, pte: entry },
  folio_referenced: { page: ptr, referenced: int, mc: int, mask: int, vi: int, av: ptr },
  try_to_unmap: { page: ptr, mask: int, vi: int },
  // page faults: struct vm_fault, which the fault handlers share
  vm_fault: {
    vma: int, i: int, write: bool, tsk: task, orig: entry, fn: fnid, page: ptr, raced: bool,
    /** filemap_get_folio()'s candidate page; finish_fault()'s PTE flags; block_page_mkwrite()'s result */
    cand: ptr, wflags: int, mkwrite: bool,
  },
  handle_mm_fault: alias('vm_fault'),
  filemap_fault: alias('vm_fault'),
  do_shared_fault: alias('vm_fault'),
  do_read_fault: alias('vm_fault'),
  do_wp_page: alias('vm_fault'),
  do_anonymous_page: alias('vm_fault'),
  // writeback, page cache eviction, reclaim
  write_cache_pages: { file: int, sync: bool, i: int, page: ptr, ok: bool },
  folio_clear_dirty_for_io: { page: ptr, ret: bool },
  invalidate_mapping_pages: { file: int, i: int, page: ptr },
  mapping_evict_folio: { page: ptr, file: int, i: int, tmp: int },
  shrink_page_list: { page: ptr, freed: bool, tmp: int },
  unlink_file_vma: { vma: int },
  unlink_anon_vmas: { vma: int },
  // lockless page-table walks: the walk's state, shared by its levels
  get_user_pages_fast: {
    vma: int, i: int, write: bool, page: ptr, irqs_were_off: bool, pmd: entry, ptep: ptr, pte: entry, grabbed: ptr,
    /** recheck's reads */
    pmd2: entry, pte2: entry,
  },
  gup_pmd_range: alias('get_user_pages_fast'),
  gup_pte_range: alias('get_user_pages_fast'),
});

/** What used to be generator helpers inlined into their callers (yield* spin_lock(...)): their
 *  accesses are traced as the calling step's. */
export const PAGE_HELPERS = helperFns({
  spin_lock: { a: ptr },
  /** pte_unmap_unlock(): the mapcount oracle's check, then spin_unlock(ptl) */
  ptl_unlock: { vma: int },
  lock_page: { page: ptr },
  trylock_page: { page: ptr, ret: bool },
  unlock_page: { page: ptr },
  folio_try_get: { page: ptr, ret: bool },
  get_page: { page: ptr },
  put_page: { page: ptr },
  down_read: { a: ptr },
  up_read: { a: ptr },
  down_write: { a: ptr },
  up_write: { a: ptr },
  /** READ_ONCE() of a 64-bit entry (split: two 32-bit loads) */
  read_once64: { a: ptr, split: bool, what: str, ret: entry },
  /** the CONFIG_GUP_GET_PTE_LOW_HIGH read loop */
  low_high_loop: { a: ptr, lo: int, hi: int, lo2: int, ret: entry },
  /** finish_fault() -> do_set_pte() (vmf->wflags: the PTE's write bits) */
  finish_fault: alias('vm_fault'),
  /** block_page_mkwrite() (vmf->mkwrite: false when the page got truncated) */
  block_page_mkwrite: alias('vm_fault'),
  /** ext4_writepage() */
  writepage: { file: int, i: int, page: ptr, d: int },
  /** __remove_mapping()'s freeze, re-check and page cache deletion */
  __remove_mapping: { file: int, i: int, page: ptr, expected: int, ret: bool },
  folio_lock_anon_vma_read: { page: ptr, ret: int, mapping: ptr, root: ptr },
  /** page_vma_mapped_walk() with PVMW_SYNC: ret, and the PTL held when true */
  page_vma_mapped_walk: { vma: int, i: int, page: ptr, pte: entry, ret: bool },
  page_referenced_one: { vma: int, i: int, page: ptr, referenced: int },
  try_to_unmap_one: { vma: int, i: int, page: ptr, pte: entry },
});

/** The page model's fields of struct mmu_gather (the locals of the tlb_* functions whose frame is
 *  the struct go here too). */
export const PAGE_GATHER = frameExt({
  mmu_gather: {
    /** the active batch (0: the local one) and how many batches there are */
    active: int, nbatch: int, batch_count: int,
    batch_nr: struct('mmu_gather_batch_nr'), pages: struct('mmu_gather_pages'),
    /** the count of page-table pages queued to free (arches/lib.ts registerRcuTableFree reads
     *  it), and their VMAs */
    pt_free: int, pt_free_vma: struct('mmu_gather_tables'),
    /** unmap_vmas()' and free_pgtables()' VMA loops; tlb_batch_pages_flush()'s batch and count */
    vma_i: int, pgd_vma_i: int, flush_batch: int, flush_nr: int,
  },
});

declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof PAGE_FNS>, Readonly<typeof PAGE_HELPERS> {}
  interface FrameExts { page: typeof PAGE_GATHER }
}


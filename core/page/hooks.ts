// The kernel functions of the page-level model (v6.1 names; mm/memory.c, mm/mmu_gather.c,
// mm/rmap.c, mm/filemap.c, mm/page-writeback.c, mm/truncate.c, mm/vmscan.c, mm/gup.c,
// include/linux/pgtable.h). Functions added by a series are defined by the patch that adds them.
import { defineHooks } from '../hooks.ts';

export const PH = defineHooks([
  // page-table primitives (arch-overridable)
  'set_pte_at', 'ptep_get_and_clear', 'set_pmd', 'pmd_clear', 'pmdp_get_and_clear', 'pmd_read_atomic',
  'ptep_get_lockless',
  // unmapping: unmap_vmas -> unmap_page_range -> zap_pmd_range -> zap_pte_range
  'unmap_page_range', 'zap_pmd_range', 'zap_pte_range', 'zap_present_pte', 'free_pgd_range',
  // mmu_gather page batching
  '__tlb_remove_page_size', 'tlb_next_batch', 'tlb_batch_pages_flush', 'free_pages_and_swap_cache',
  'release_pages',
  // rmap and the dirty bit
  'page_add_file_rmap', 'page_remove_rmap', 'set_page_dirty', 'folio_mkclean', 'page_mkclean_one',
  'folio_referenced', 'try_to_unmap',
  // page faults
  'handle_mm_fault', 'filemap_fault', 'do_shared_fault', 'do_read_fault', 'do_wp_page',
  'do_anonymous_page',
  // writeback, page cache eviction, reclaim
  'write_cache_pages', 'folio_clear_dirty_for_io', 'invalidate_mapping_pages', 'mapping_evict_folio',
  'shrink_page_list', 'unlink_file_vma', 'unlink_anon_vmas',
  // lockless page-table walks
  'get_user_pages_fast', 'gup_pmd_range', 'gup_pte_range',
]);

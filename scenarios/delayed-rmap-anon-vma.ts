// Hugh Dickins's report on Linus's second attempt (seeds/002_a22f6d6eeee8c674.txt L4636-4720):
// "BUG NULL dereference (address 8) in down_read_trylock() in rmap_walk_anon(), while kswapd was
// doing a folio_referenced()". A thread munmaps an anonymous mapping while kswapd scans the page
// on the LRU. folio_lock_anon_vma_read() trusts the anon_vma only while the page is mapped;
// delayed-rmap-v2 kept the page mapped (mapcount) until tlb_finish_mmu(), after free_pgtables()
// had freed the anon_vma.
import { defineScenario, pages } from '../core/model/index.ts';

export default defineScenario({
  name: 'delayed-rmap-anon-vma',
  description: 'P.unmap munmaps a populated anonymous mapping while kswapd tries to reclaim its page (folio_referenced -> folio_lock_anon_vma_read)',
  cpus: { default: 2, min: 2, max: 4 },
  strategy: 'random',
  budget: 1500,
  setup(b) {
    const pg = pages(b);
    b.process('P');
    pg.mmap('a', { mm: 'P', pages: 1, populate: 'write' });
    b.thread('P.unmap', { mm: 'P', cpu: 0, prog: [{ op: 'munmap' }] });
    b.kthread('kswapd0', { cpu: 1, prog: [{ op: 'reclaim', map: 'a' }, { op: 'reclaim', map: 'a' }, { op: 'reclaim', map: 'a' }] });
  },
  expect: [
    { config: '--arch x86', verdict: 'clean', why: 'page_remove_rmap() in zap_pte_range(): the page is unmapped before free_pgtables() frees the anon_vma' },
    { config: '--arch x86 --apply delayed-rmap', verdict: 'clean', why: 'the final series delays only dirty file pages' },
    { config: '--arch x86 --apply delayed-rmap-v2', verdict: 'sometimes', oracle: 'kasan', why: 'the page stays mapped until tlb_finish_mmu(), after unlink_anon_vmas() freed the anon_vma folio_lock_anon_vma_read() then reads' },
  ],
});

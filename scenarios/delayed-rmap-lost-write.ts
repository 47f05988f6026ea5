// Nadav Amit's race (seeds/002_a22f6d6eeee8c674.txt L1592-1760): one thread keeps writing to a
// dirty MAP_SHARED file page while another thread of the same process zaps it (MADV_DONTNEED, or
// munmap with `--set zap=munmap`: the PoC's remap thread), and another process writes the file
// back and drops its clean pages (the PoC's flusher: msync(MS_SYNC) then POSIX_FADV_DONTNEED).
// Before delayed-rmap/04, zap_pte_range() drops the page's rmap before the TLB flush: the flusher
// then cleans the page without taking the page-table lock, and writes through the writer's stale,
// writable+dirty TLB entry are lost.
import { defineScenario, pages } from '../core/model/index.ts';

export default defineScenario({
  name: 'delayed-rmap-lost-write',
  description: 'P.writer keeps writing a dirty shared file page while P.zapper MADV_DONTNEEDs (zap=munmap: munmaps) it and W writes the file back and drops it (msync, fadvise DONTNEED; cleaner=reclaim: kswapd)',
  cpus: { default: 3, min: 3, max: 4 },
  params: { zap: 'madvise_dontneed', cleaner: 'writeback' },
  options: [
    { name: 'pages', type: 'int', min: 1, max: 512, default: '4', help: 'pages of the shared file (page 0 is the checked one)' },
    { name: 'cleaner', type: 'enum', values: ['writeback', 'reclaim'], default: 'writeback', help: 'who cleans the page: writeback (a second process msyncs and drops the page cache, the PoC\'s flushing_process) or reclaim (kswapd)' },
    { name: 'zap', type: 'enum', values: ['madvise_dontneed', 'munmap'], default: 'madvise_dontneed', help: 'how the remap thread zaps the mapping' },
  ],
  strategy: 'random',
  budget: 1500,
  setup(b) {
    const pg = pages(b);
    // "We got 3 threads that use 2MB range": page 0 is the checked one; the zap of the others
    // ("Dirties pages in 2MB range (just to make the race more likely)") widens the window.
    pg.file('F', { pages: Number(b.param('pages', '4')) });
    b.process('P');
    pg.mmap('p', { mm: 'P', file: 'F', populate: 'write' }); // MAP_SHARED|MAP_POPULATE, dirtied
    const cleaner = b.param('cleaner', 'writeback');
    if (cleaner === 'writeback') {
      b.process('W'); // the PoC's child process: its own mapping of F, never faulted in
      pg.mmap('w', { mm: 'W', file: 'F' });
    }
    const zap = b.param('zap', 'madvise_dontneed');
    if (zap !== 'madvise_dontneed' && zap !== 'munmap') throw new Error(`zap must be madvise_dontneed or munmap, not '${zap}'`);
    // checking_thread: "*ul_p = cnt; if (*ul_p != cnt) FAILED"
    b.thread('P.writer', {
      mm: 'P', cpu: 1,
      prog: [{ op: 'user_write', map: 'p', val: 1 }, { op: 'sleep' }, { op: 'user_write', map: 'p', val: 2 }, { op: 'user_read', map: 'p' }],
    });
    // remap_thread
    b.thread('P.zapper', { mm: 'P', cpu: 0, prog: [{ op: zap }] });
    if (cleaner === 'writeback') {
      // flushing_process: "msync(p, PAGE_SIZE, MS_SYNC); posix_fadvise(fd, 0, PAGE_SIZE, POSIX_FADV_DONTNEED);"
      b.thread('W.flusher', {
        mm: 'W', cpu: 2,
        prog: [
          { op: 'msync', map: 'w' }, { op: 'fadvise_dontneed', file: 'F' },
          { op: 'msync', map: 'w' }, { op: 'fadvise_dontneed', file: 'F' },
        ],
      });
    } else if (cleaner === 'reclaim') {
      // the other cleaner (reference/delayed-rmap.md §1.6): kswapd finds the page on the LRU,
      // sees it unmapped and dirty, pages it out, and frees it on a later pass
      b.kthread('kswapd0', { cpu: 2, prog: [{ op: 'reclaim', map: 'p' }, { op: 'reclaim', map: 'p' }, { op: 'reclaim', map: 'p' }] });
    } else throw new Error(`cleaner must be writeback or reclaim, not '${cleaner}'`);
  },
  expect: [
    { config: '--arch x86', verdict: 'sometimes', oracle: 'lost-write', why: 'page_remove_rmap() before the TLB flush: folio_mkclean() skips the unmapped page while P.writer still writes through its TLB entry' },
    { config: '--arch x86 --set zap=munmap', verdict: 'sometimes', oracle: 'lost-write', why: 'munmap() zaps the same way (the PoC\'s MAP_FIXED remap)' },
    { config: '--arch x86 --apply delayed-rmap:1-3', verdict: 'sometimes', oracle: 'lost-write', why: '01-03 only prepare the encoded page pointers' },
    { config: '--arch x86 --apply delayed-rmap:1-4', verdict: 'clean', why: 'the rmap stays until after the flush, under the page-table lock: folio_mkclean() waits for the zap' },
    { config: '--arch x86 --apply delayed-rmap:1-4 --set zap=munmap', verdict: 'clean' },
    { config: '--arch x86 --apply delayed-rmap', verdict: 'clean', why: 'the v6.2 follow-up only changes how many batches may hold delayed rmaps' },
    { config: '--arch x86 --set cleaner=reclaim', verdict: 'sometimes', oracle: 'lost-write', why: 'kswapd sees the page unmapped and dirty, pageout() cleans it, the stale writes after that are dropped' },
    { config: '--arch x86 --apply delayed-rmap:1-4 --set cleaner=reclaim', verdict: 'clean' },
    { config: '--arch x86 --apply delayed-rmap --drop-step tlb_flush_rmaps.local_and_active_batch', verdict: 'sometimes', oracle: 'mapcount', why: 'delayed rmaps that are never removed: the page is freed mapped (bad_page)' },
    { config: '--arch x86 --apply delayed-rmap-v1 --set cleaner=reclaim', verdict: 'sometimes', oracle: 'warn', why: 'Nadav (L2005-2030): reclaim may release the buffers of the unmapped, clean page before the deferred set_page_dirty()' },
    { config: '--arch x86 --apply delayed-rmap-v1', verdict: 'sometimes', oracle: 'warn', why: 'Linus\'s v1 marks the page dirty after the flush, on a page writeback has cleaned meanwhile: ext4_dirty_folio() warns, as Nadav saw (L2725-2800)' },
    { config: '--arch x86 --apply delayed-rmap-v2', verdict: 'clean', why: 'v2 fixed the PoC ("I ran the tests with the patches and there are no failures", L3184)' },
    { config: '--arch s390', verdict: 'clean', why: 'IPTE: clearing the PTE flushes every TLB before page_remove_rmap()' },
    { config: '--arch s390 --apply delayed-rmap', verdict: 'clean' },
  ],
});

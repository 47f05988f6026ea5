// Linus Torvalds's second attempt (2022-10-30/31, the mmu_gather-race-fix branch; queued in
// mm-unstable, then dropped): delay the mapcount decrement of every zapped page to the batch free.
// It fixed Nadav's PoC ("I ran the tests with the patches and there are no failures", L3184) but
// Hugh Dickins found the anon_vma use-after-free (seeds/002_a22f6d6eeee8c674.txt L4636-4720).
import type { SeriesDef } from '../../core/model/index.ts';
import p01 from './01-introduce-simplified-page-remove-rmap.ts';
import p02 from './02-inline-simpler-page-remove-file-rmap.ts';
import p03 from './03-re-unify-page-zap-rmap.ts';
import p04 from './04-delay-rmap-removal-until-after-tlb-flush.ts';

export const delayedRmapV2: SeriesDef = {
  id: 'delayed-rmap-v2',
  title: 'mm: delay rmap removal until after TLB flush (rejected v2)',
  author: 'Linus Torvalds',
  date: '2022-10-31',
  base: '6.1.0',
  patches: [p01, p02, p03, p04],
};

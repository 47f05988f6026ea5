// Linus Torvalds's first attempt at Nadav Amit's race (2022-10-29): defer set_page_dirty() to the
// batch free, after the TLB flush. Rejected: "folio_mkclean() serializes with folio_mark_dirty
// using rmap and the page table lock" (seeds/002_a22f6d6eeee8c674.txt L2837-2838). Two patches,
// attachments of L2043-2071; modelled from the thread's description of them.
import type { SeriesDef } from '../../core/model/index.ts';
import p01 from './01-zap-page-range-narrow-down-page-variable-scope.ts';
import p02 from './02-flush-tlb-before-marking-page-dirty.ts';

export const delayedRmapV1: SeriesDef = {
  id: 'delayed-rmap-v1',
  title: 'mm: make sure to flush TLB before marking page dirty (rejected v1)',
  author: 'Linus Torvalds',
  date: '2022-10-29',
  base: '6.1.0',
  patches: [p01, p02],
};

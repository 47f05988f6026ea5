// Ryan Roberts, "[PATCH v1 0/4] Fix lazy mmu mode", 2025-03-02
// (20250302145555.3236789-1-ryan.roberts@arm.com), on v6.14-rc; v2 split 01 in two and was merged
// for v6.15 (691ee97e1a9d, ad449d856bd7, a1d416bf9faf, eb61ad14c459, c36549ff8d84;
// seeds-001-003-004.md §1.5). Seed: seeds/001_452a225ad1e82ef5.txt (David Hildenbrand's review of
// 1/4 and Ryan's answer). The v6.14 code the patches change is core/model/baseline/lazy_mmu.ts.
import type { SeriesDef } from '../../core/model/index.ts';
import p01 from './01-mm-fix-lazy-mmu-docs-and-usage.ts';
import p02 from './02-sparc-mm-disable-preemption-in-lazy-mmu-mode.ts';
import p03 from './03-sparc-mm-avoid-calling-arch-enter-leave-lazy-mmu-in-set-ptes.ts';
import p04 from './04-revert-x86-xen-allow-nesting-of-same-lazy-mode.ts';

export const lazyMmu: SeriesDef = {
  id: 'lazy-mmu',
  title: 'Fix lazy mmu mode',
  author: 'Ryan Roberts',
  date: '2025-03-02',
  base: '6.14.0',
  patches: [p01, p02, p03, p04],
};

// Linus Torvalds, "mm: delay rmap removal until after TLB flush" (v3, 2022-11-08, on v6.1-rc4),
// plus its v6.2 follow-up. Seed: seeds/002_a22f6d6eeee8c674.txt (cover L5365-5447, patches
// L5450-6070). Nadav Amit's race, which it fixes, is scenarios/delayed-rmap-lost-write.ts.
import type { SeriesDef } from '../../core/model/index.ts';
import p01 from './01-introduce-encoded-page-pointers.ts';
import p02 from './02-release-pages-encoded.ts';
import p03 from './03-mmu-gather-encoded-pages.ts';
import p04 from './04-delay-page-remove-rmap.ts';
import p05 from './05-allow-more-than-one-batch-of-delayed-rmaps.ts';

export const delayedRmap: SeriesDef = {
  id: 'delayed-rmap',
  title: 'mm: delay rmap removal until after TLB flush',
  author: 'Linus Torvalds',
  date: '2022-11-08',
  base: '6.1.0',
  patches: [p01, p02, p03, p04, p05],
};

// Registered series, in the order `list` prints them. Each series folder holds one module per
// patch and an index.ts with the series metadata.
import type { SeriesDef } from '../core/model/index.ts';
import { lazyMm } from './lazy-mm/index.ts';
import { shootLazies } from './shoot-lazies/index.ts';
import { lazierTlb } from './lazier-tlb/index.ts';
import { lazyMmu } from './lazy-mmu/index.ts';
import { delayedRmap } from './delayed-rmap/index.ts';
import { paeLockless } from './pae-lockless/index.ts';
import { delayedRmapV1 } from './delayed-rmap-v1/index.ts';
import { delayedRmapV2 } from './delayed-rmap-v2/index.ts';

export const SERIES: SeriesDef[] = [
  lazyMm,
  shootLazies,
  lazierTlb,
  lazyMmu,
  delayedRmap,
  delayedRmapV1,
  delayedRmapV2,
  paeLockless,
];

// Registered series, in the order `list` prints them. Each series folder holds one module per
// patch and an index.ts with the series metadata.
import type { SeriesDef } from '../core/series/types.ts';
import { lazyMm } from './lazy-mm/index.ts';

export const SERIES: SeriesDef[] = [
  lazyMm,
];

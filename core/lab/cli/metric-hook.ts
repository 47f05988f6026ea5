// The timing simulator plugs metric bisection in here (lazymm bisect ... --metric NAME).
import type { Parsed } from './common.ts';

export const METRIC_BISECT: { run: ((p: Parsed) => Promise<number>) | null } = { run: null };

// Further benches register here (bisect, page-level, timing) so `npm run bench NAME` can pick one.
import { TIMING_BENCHES } from './timing-benches.ts';
import { PAGE_BENCHES } from './page-benches.ts';
import { BISECT_BENCHES } from './bisect-benches.ts';
import { redesignBench } from './redesign.ts';
import { fuzzBench } from './fuzz-bench.ts';
import { robustBench } from './robust-bench.ts';
import { VERIFY_BENCHES } from './verify-benches.ts';
import { startupBench } from './startup.ts';
import { PARALLEL_BENCHES } from './parallel-benches.ts';
export interface Bench { name: string; run(): Promise<void> }
export const BENCHES: Bench[] = [
  ...BISECT_BENCHES, ...TIMING_BENCHES, ...PAGE_BENCHES, ...VERIFY_BENCHES,
  // --jobs 2 against --jobs 1: random, exhaustive, bisect (docs/scale-out.md)
  ...PARALLEL_BENCHES,
  // the declared-state model against the commit before it, both measured in this run
  { name: 'redesign', run: () => redesignBench(3) },
  // the command line under the fuzz grammar: cases/s and failures (must be 0)
  { name: 'fuzz', run: fuzzBench },
  // the hot path before and after issue 15's watchdog marks and step checks, in one process
  { name: 'robust', run: () => robustBench(9) },
  // CPU time of --help and list scenarios, build vs sources; end to end explore --strategy verify
  { name: 'startup', run: () => startupBench(5) },
];

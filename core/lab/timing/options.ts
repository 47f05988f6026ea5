// The options measure.ts reads: the measured window of a timing run.
import type { OptionDecl } from '../../model/index.ts';

/** The measurement window (a workload's params set its own). */
export const MEASURE_OPTIONS: OptionDecl[] = [
  { name: 'timing_warmup_ns', type: 'int', min: 0, max: 1e12, default: '30000 (or the machine\'s)', help: 'timing runs: virtual warm-up before measuring' },
  { name: 'timing_duration_ns', type: 'int', min: 1, max: 1e12, default: '200000', help: 'timing runs: the measured virtual window' },
];


// The trace corpus: what `lazymm run <scenario> <config> --seed N` printed at commit aec4cbe (the
// commit before the declared-state redesign), for every built-in scenario, every configuration in
// its `expect`, and seeds 1..20. test/corpus.test.ts replays each entry on today's model and
// compares trace, violations, schedule and counters byte for byte. Recorded by
// test/corpus/record.ts (see there); stored brotli-compressed.
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CorpusEntry {
  scenario: string;
  config: string;
  seed: number;
  steps: number;
  schedule: string;
  violations: { oracle: string; message: string; cpu: number; step: string }[];
  counters: Record<string, number>;
  trace: string[];
}

export function loadCorpus(file = 'traces-aec4cbe.json.br'): CorpusEntry[] {
  const p = path.join(path.dirname(fileURLToPath(import.meta.url)), file);
  return JSON.parse(zlib.brotliDecompressSync(fs.readFileSync(p)).toString('utf8')) as CorpusEntry[];
}

// npm run bench fuzz: the fuzz test's grammar (test/fuzz/grammar.ts) for longer, with another seed:
// cases per second, exit codes, and failures (which must be 0). FUZZ_CASES=N, FUZZ_SEED=S,
// FUZZ_VERBOSE=1 prints every case.
import fc from 'fast-check';
import { caseArb } from '../fuzz/grammar.ts';
import { FuzzRunner, describe } from '../fuzz/run.ts';

export async function fuzzBench() {
  const n = Number(process.env.FUZZ_CASES ?? 1000);
  const seed = Number(process.env.FUZZ_SEED ?? 1515);
  const verbose = process.env.FUZZ_VERBOSE === '1';
  const cases = fc.sample(caseArb, { seed, numRuns: n });
  const runner = new FuzzRunner(1500);
  const codes = new Map<number, number>();
  const failures: string[] = [];
  let stalls = 0;
  const t0 = performance.now();
  try {
    for (const c of cases) {
      const v = await runner.run(c);
      codes.set(v.result.code, (codes.get(v.result.code) ?? 0) + 1);
      if (v.result.stalled) stalls++;
      if (!v.ok) failures.push(describe(v));
      if (verbose) console.log(`${v.ok ? 'ok  ' : 'FAIL'} ${v.result.code} ${Math.round(v.result.ms)} ms  ${v.argv.join(' ').slice(0, 160)}  ${v.result.err.trim().split('\n')[0]?.slice(0, 200) ?? ''}`);
    }
  } finally {
    await runner.close();
  }
  const s = (performance.now() - t0) / 1000;
  const dist = [...codes.entries()].sort((a, b) => a[0] - b[0]).map(([c, k]) => `exit ${c}: ${k}`).join(', ');
  console.log(`fuzz: ${cases.length} cases (seed ${seed}) in ${s.toFixed(1)} s = ${(cases.length / s).toFixed(1)} cases/s; ${dist}; ${stalls} stopped by the watchdog; failures: ${failures.length}`);
  for (const f of failures) console.log(`  FAIL ${f}`);
  if (failures.length) process.exitCode = 1;
}

// The command line under a grammar of bad inputs (test/fuzz/grammar.ts): a fixed seed, a few hundred
// cases through the supervised CLI (one model thread, reused). `npm run bench fuzz` runs more.
import { describe, it, afterAll } from 'vitest';
import fc from 'fast-check';
import { caseArb } from './fuzz/grammar.ts';
import { FuzzRunner, describe as show } from './fuzz/run.ts';

const SEED = 15;
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);

describe('fuzz: bad argument vectors and user modules', () => {
  const runner = new FuzzRunner(1500);
  afterAll(() => runner.close());
  it(`${RUNS} cases, seed ${SEED}: exit 0/1/2/125/130, one stderr line on 2, no stack, no hang, no stray file`, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const v = await runner.run(c);
        if (!v.ok) throw new Error(show(v));
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }, 900_000);
});

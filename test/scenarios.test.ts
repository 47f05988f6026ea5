// Every scenario's stated expectations, checked through the explorer (no scripted schedules).
// 'never' is checked by the exhaustive search, which must complete: the configuration is verified
// over its whole state space; 'sometimes' by the scenario's own search (it must find a violation,
// of the stated oracle); 'clean' by the scenario's strategy and budget (state spaces the exhaustive
// search does not finish within the test suite's time). A stated oracle is searched for as
// `explore --oracle NAME` does: an execution that reports something else first (a dangling
// pointer before the use-after-free it leads to) does not end the search.
import { describe, it, expect } from 'vitest';
import { SCENARIOS } from '../scenarios/index.ts';
import { exploreWith } from './helpers.ts';

const VERIFY_STATES = 400_000;

for (const sc of SCENARIOS) {
  describe(`scenario ${sc.name}`, () => {
    for (const e of sc.expect ?? []) {
      it(`${e.config || '(defaults)'} -> ${e.verdict}${e.oracle ? ` (${e.oracle})` : ''}`, async () => {
        if (e.verdict === 'never') {
          const r = await exploreWith(sc, e.config, { strategy: 'verify', budget: VERIFY_STATES });
          expect(r.violations.map((v) => `${v.oracle}: ${v.message}`)).toEqual([]);
          expect(r.coverage.kind, `the exhaustive search finished (${r.verify?.states} states)`).toBe('verified');
          return;
        }
        const r = await exploreWith(sc, e.config, e.verdict === 'clean' ? {} : { oracle: e.oracle });
        if (e.verdict === 'clean') expect(r.violations.map((v) => `${v.oracle}: ${v.message}`)).toEqual([]);
        else {
          expect(r.violations.length).toBeGreaterThan(0);
          if (e.oracle) expect(r.violations.map((v) => v.oracle)).toContain(e.oracle);
        }
      }, 300_000);
    }
  });
}

// Every scenario's stated expectations, checked through the explorer (no scripted schedules).
import { describe, it, expect } from 'vitest';
import { SCENARIOS } from '../scenarios/index.ts';
import { exploreWith } from './helpers.ts';

for (const sc of SCENARIOS) {
  describe(`scenario ${sc.name}`, () => {
    for (const e of sc.expect ?? []) {
      it(`${e.config || '(defaults)'} -> ${e.verdict}${e.oracle ? ` (${e.oracle})` : ''}`, async () => {
        const r = await exploreWith(sc, e.config);
        if (e.verdict === 'clean') expect(r.violations.map((v) => `${v.oracle}: ${v.message}`)).toEqual([]);
        else {
          expect(r.violations.length).toBeGreaterThan(0);
          if (e.oracle) expect(r.violations.map((v) => v.oracle)).toContain(e.oracle);
        }
      });
    }
  });
}

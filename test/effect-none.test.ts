// Every patch marked `effect: none` must leave traces identical: the same scenarios, arches and
// seeds give byte-identical traces with the series applied up to the patch and up to the one before.
import { describe, it, expect } from 'vitest';
import { allSeries } from '../core/lab/series.ts';
import { ARCHES } from '../arches/index.ts';
import { SCENARIOS } from '../scenarios/index.ts';
import { resolveConfig, buildKernel, emptyWords } from '../core/lab/config.ts';
import { runOnce } from '../core/model/engine.ts';
import { Rng } from '../core/model/drivers/explore.ts';
import { renderTrace } from '../core/model/trace.ts';
import { UntestableError } from '../core/lab/errors.ts';
import type { ScenarioDef } from '../core/model/index.ts';
import semver from 'semver';

/** `kernel`: the series' base, for both sides (without any of the series' patches, a configuration
 *  would otherwise be the arch's default kernel). */
async function traces(sc: ScenarioDef, arch: string, kernel: string, patches: string[], seeds: number[]): Promise<string[] | null> {
  const w = { ...emptyWords(), arch, kernel, apply: patches, force: true };
  let r;
  try { r = await resolveConfig(w, sc); } catch (e) { if (e instanceof UntestableError) return null; throw e; }
  const k = buildKernel(r);
  return seeds.map((s) => {
    const rng = new Rng(s);
    const res = runOnce(k, sc, { choose: (_e, n) => (n === 1 ? 0 : rng.below(n)) }, { maxSteps: sc.maxSteps ?? 20000, trace: true });
    return renderTrace(k, k.trace).join('\n') + `\n${JSON.stringify(res.violations)}`;
  });
}

for (const s of allSeries()) {
  if (!s.patches.some((x) => x.effect === 'none')) continue; // vitest rejects an empty describe
  describe(`effect: none in ${s.id}`, () => {
    for (const p of s.patches.filter((x) => x.effect === 'none')) {
      it(`${p.id} leaves traces identical`, async () => {
        const before = s.patches.filter((x) => x.index < p.index).map((x) => x.id);
        const after = before.concat(p.id);
        let compared = 0;
        for (const a of ARCHES) {
          if (!semver.satisfies(s.base, a.kernels)) continue;
          for (const sc of SCENARIOS) {
            const base = semver.coerce(s.base)!.version;
            const t0 = await traces(sc, a.name, base, before, [1, 2, 3]);
            const t1 = await traces(sc, a.name, base, after, [1, 2, 3]);
            if (!t0 || !t1) continue;
            expect(t1).toEqual(t0);
            compared++;
          }
        }
        expect(compared).toBeGreaterThan(0);
      });
    }
  });
}

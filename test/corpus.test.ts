// Behaviour preserved: every entry of the trace corpus (recorded at aec4cbe, the commit before the
// declared-state model: every built-in scenario, every configuration in its expect, seeds 1..20
// of `lazymm run --seed N`) replays to the same trace, violations, schedule and counters; and the
// explorer (dfs, random, pct) finds the same schedules, counts and minimized traces.
// Differences are listed in README.md ("Behaviour changes"), each a bug the old representation hid.
import { describe, it, expect } from 'vitest';
import { loadCorpus, type CorpusEntry } from './corpus/load.ts';
import { SCENARIOS } from '../scenarios/index.ts';
import { parseConfigString, resolveConfig, buildKernel } from '../core/lab/config.ts';
import { runOnce, encodeSchedule } from '../core/model/engine.ts';
import { explore, Rng } from '../core/model/drivers/explore.ts';
import { renderTrace } from '../core/model/trace.ts';
import type { Kernel } from '../core/model/index.ts';

/** Entries whose expected output changed on purpose (scenario|config|seed -> why). */
export const CHANGED: Record<string, string> = {};

const kernels = new Map<string, Kernel>();
async function kernel(scenario: string, config: string): Promise<Kernel> {
  const key = `${scenario}|${config}`;
  let k = kernels.get(key);
  if (!k) {
    const sc = SCENARIOS.find((s) => s.name === scenario)!;
    k = buildKernel(await resolveConfig(parseConfigString(config), sc));
    kernels.set(key, k);
  }
  return k;
}

const runs = loadCorpus();
const byConfig = new Map<string, CorpusEntry[]>();
for (const e of runs) {
  const key = `${e.scenario}|${e.config}`;
  byConfig.set(key, [...(byConfig.get(key) ?? []), e]);
}

describe('trace corpus (run --seed 1..20)', () => {
  for (const [key, entries] of byConfig) {
    it(key, async () => {
      const [scenario, config] = key.split('|');
      const sc = SCENARIOS.find((s) => s.name === scenario)!;
      const k = await kernel(scenario, config);
      for (const e of entries) {
        if (CHANGED[`${key}|${e.seed}`]) continue;
        const rng = new Rng(e.seed);
        const r = runOnce(k, sc, { choose: (_e, n) => (n === 1 ? 0 : rng.below(n)) }, { maxSteps: sc.maxSteps ?? 20000, trace: true });
        const got = {
          trace: renderTrace(k, k.trace), steps: r.steps, schedule: encodeSchedule(r.events),
          violations: r.violations.map((v) => ({ oracle: v.oracle, message: v.message, cpu: v.cpu, step: v.step })), counters: { ...k.counters },
        };
        const want = { trace: e.trace, steps: e.steps, schedule: e.schedule, violations: e.violations, counters: e.counters };
        expect(got, `seed ${e.seed}`).toEqual(want);
      }
    });
  }
});

interface ExploreEntry { scenario: string; config: string; strategy: 'dfs' | 'random' | 'pct'; budget: number; schedulesExplored: number; steps: number; complete: boolean; violations: unknown[]; trace: string[]; counters: Record<string, number> }

describe('explore corpus (dfs 3000, random and pct 500 schedules)', () => {
  const entries = loadCorpus('explore-aec4cbe.json.br') as unknown as ExploreEntry[];
  for (const e of entries) {
    const key = `${e.scenario}|${e.config}|${e.strategy}`;
    if (CHANGED[key]) continue;
    it(key, async () => {
      const sc = SCENARIOS.find((s) => s.name === e.scenario)!;
      const k = await kernel(e.scenario, e.config);
      const r = explore(k, sc, { strategy: e.strategy, budget: e.budget, seed: 1, maxSteps: sc.maxSteps ?? 20000, seeding: 'stream' });
      const got = {
        schedulesExplored: r.schedulesExplored, steps: r.steps, complete: r.complete, trace: r.trace, counters: r.counters,
        violations: r.violations.map((v) => ({ oracle: v.oracle, message: v.message, cpu: v.cpu, step: v.step, schedule: v.schedule })),
      };
      if (e.strategy !== 'dfs') {
        expect(got).toEqual({ schedulesExplored: e.schedulesExplored, steps: e.steps, complete: e.complete, trace: e.trace, counters: e.counters, violations: e.violations });
        return;
      }
      // DFS prunes with the footprints, which are now precise (README, "Behaviour changes"): it
      // walks a different, smaller set of schedules, so only the verdict must be the same: the same
      // oracles fire, and a search the old footprints exhausted is still exhausted, in no more schedules.
      const oracles = (vs: { oracle: string }[]) => [...new Set(vs.map((v) => v.oracle))].sort();
      expect(oracles(got.violations)).toEqual(oracles(e.violations as { oracle: string }[]));
      if (e.complete) {
        expect(got.complete).toBe(true);
        expect(got.schedulesExplored).toBeLessThanOrEqual(e.schedulesExplored);
      }
    });
  }
});

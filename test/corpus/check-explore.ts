// Compares the explorer (dfs budget 3000, random and pct budget 500, seed 1) with the explore
// corpus recorded at aec4cbe: schedules explored, steps, completeness, violations with their
// minimized schedules, the minimized trace, counters.
//   npx tsx test/corpus/check-explore.ts [REGEX over "scenario config strategy"]
import { loadCorpus } from './load.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import { parseConfigString, resolveConfig, buildKernel } from '../../core/lab/config.ts';
import { explore } from '../../core/model/drivers/explore.ts';

interface ExploreEntry { scenario: string; config: string; strategy: 'dfs' | 'random' | 'pct'; budget: number; schedulesExplored: number; steps: number; complete: boolean; violations: unknown[]; trace: string[]; counters: Record<string, number> }
const filter = new RegExp(process.argv[2] ?? '.');
let ok = 0, bad = 0, err = 0;
for (const e of loadCorpus('explore-aec4cbe.json.br') as unknown as ExploreEntry[]) {
  if (!filter.test(`${e.scenario} ${e.config} ${e.strategy}`)) continue;
  const sc = SCENARIOS.find((s) => s.name === e.scenario)!;
  try {
    const k = buildKernel(await resolveConfig(parseConfigString(e.config), sc));
    const r = explore(k, sc, { strategy: e.strategy, budget: e.budget, seed: 1, maxSteps: sc.maxSteps ?? 20000, seeding: 'stream' });
    const got = { schedulesExplored: r.schedulesExplored, steps: r.steps, complete: r.complete, violations: r.violations.map((v) => ({ oracle: v.oracle, message: v.message, cpu: v.cpu, step: v.step, schedule: v.schedule })), trace: r.trace, counters: r.counters };
    const want = { schedulesExplored: e.schedulesExplored, steps: e.steps, complete: e.complete, violations: e.violations, trace: e.trace, counters: e.counters };
    if (JSON.stringify(got) === JSON.stringify(want)) ok++;
    else {
      bad++;
      console.log(`DIFF ${e.scenario} [${e.config}] ${e.strategy}: want ${e.schedulesExplored} schedules ${e.steps} steps complete=${e.complete} ${JSON.stringify(e.violations).slice(0, 200)}; got ${r.schedulesExplored} ${r.steps} complete=${r.complete} ${JSON.stringify(got.violations).slice(0, 200)}`);
    }
  } catch (x) {
    err++;
    if (err <= 5) console.log(`ERR ${e.scenario} [${e.config}] ${e.strategy}: ${(x as Error).message.split('\n')[0]}`);
  }
}
console.log(`ok ${ok} diff ${bad} error ${err}`);

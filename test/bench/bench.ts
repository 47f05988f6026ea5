// npm run bench: throughput figures (not asserted anywhere: performance lives here, not in tests).
import { parseConfigString, resolveConfig, buildKernel } from '../../core/lab/config.ts';
import { explore } from '../../core/model/drivers/explore.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import { BENCHES } from './benches.ts';

async function exploreBench(name: string, config: string, strategy: 'dfs' | 'random', budget: number) {
  const sc = SCENARIOS.find((s) => s.name === name)!;
  const k = buildKernel(await resolveConfig(parseConfigString(config), sc));
  explore(k, sc, { strategy, budget: Math.min(500, budget), seed: 1, maxSteps: 20000 }); // warm-up
  const t0 = performance.now();
  const r = explore(k, sc, { strategy, budget, seed: 1, maxSteps: 20000 });
  const s = (performance.now() - t0) / 1000;
  console.log(`explore ${name} [${config}] ${strategy}: ${r.schedulesExplored} schedules, ${r.steps} steps in ${s.toFixed(2)} s = ${Math.round(r.schedulesExplored / s)} schedules/s, ${Math.round(r.steps / s)} steps/s${r.violations.length ? ' (stopped at a violation)' : ''}`);
}

const only = process.argv[2];
if (!only || only === 'explore') {
  await exploreBench('lazy-exit', '--arch x86', 'dfs', 20000);
  await exploreBench('lazy-exit', '--arch x86', 'random', 20000);
}
for (const b of BENCHES) if (!only || only === b.name) await b.run();

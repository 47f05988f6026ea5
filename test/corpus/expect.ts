// Checks scenarios' stated expectations through the explorer, like test/scenarios.test.ts, without
// vitest: npx tsx test/corpus/expect.ts [REGEX over "scenario config"]
import { SCENARIOS } from '../../scenarios/index.ts';
import { parseConfigString, resolveConfig, buildKernel } from '../../core/lab/config.ts';
import { explore } from '../../core/model/drivers/explore.ts';

const filter = new RegExp(process.argv[2] ?? '.');
let ok = 0, bad = 0;
for (const sc of SCENARIOS) {
  for (const e of sc.expect ?? []) {
    if (!filter.test(`${sc.name} ${e.config}`)) continue;
    const t0 = performance.now();
    try {
      const k = buildKernel(await resolveConfig(parseConfigString(e.config), sc));
      const r = explore(k, sc, { strategy: sc.strategy ?? 'dfs', budget: sc.budget ?? 3000, seed: 1, maxSteps: sc.maxSteps ?? 20000 });
      const oracles = r.violations.map((v) => v.oracle);
      const pass = e.verdict === 'clean' || e.verdict === 'never' ? r.violations.length === 0 : r.violations.length > 0 && (!e.oracle || oracles.includes(e.oracle));
      if (pass) ok++; else bad++;
      console.log(`${pass ? 'ok  ' : 'FAIL'} ${sc.name} [${e.config}] want ${e.verdict}${e.oracle ? ` (${e.oracle})` : ''}, got ${r.violations.length ? r.violations.map((v) => `[${v.oracle}] ${v.message}`).join('; ') : 'clean'} (${r.schedulesExplored} schedules, ${((performance.now() - t0) / 1000).toFixed(2)} s)`);
    } catch (x) {
      bad++;
      console.log(`ERR  ${sc.name} [${e.config}]: ${(x as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
    }
  }
}
console.log(`ok ${ok} failed ${bad}`);

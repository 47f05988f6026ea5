// Bisect wall time over the 23 lazy-mm patches (explore budget per configuration as the CLI uses).
import type { Bench } from './benches.ts';
import { bisect } from '../../core/lab/bisect.ts';
import { parseConfigString } from '../../core/lab/config.ts';
import { SCENARIOS } from '../../scenarios/index.ts';

async function timeBisect(name: string, config: string) {
  const sc = SCENARIOS.find((s) => s.name === name)!;
  const t0 = performance.now();
  const r = await bisect(sc, 'lazy-mm', parseConfigString(config), {
    strategy: sc.strategy ?? 'dfs', budget: sc.budget ?? 5000, seed: 1, maxSteps: sc.maxSteps ?? 20000,
  });
  const s = (performance.now() - t0) / 1000;
  const what = r.result ? `${r.result.first.id} (${r.result.direction})` : r.range ? `between ${r.range.from} and ${r.range.to}` : 'no change';
  console.log(`bisect ${name} --series lazy-mm [${config}]: ${what}, ${r.steps.length} configurations in ${s.toFixed(2)} s`);
}

export const BISECT_BENCHES: Bench[] = [{
  name: 'bisect',
  async run() {
    await timeBisect('lazy-flush-exit', '--arch x86');
    await timeBisect('membarrier-kthread', '--arch x86');
    await timeBisect('exit-mm-leak', '--arch x86');
    await timeBisect('lazy-switch-exit', '--arch x86');
  },
}];

// Page-level benches: how fast the explorer finds Nadav Amit's lost write on the baseline (the
// figure the project aims to keep under 2 s), and the cost of a clean configuration's budget.
import { parseConfigString, resolveConfig, buildKernel } from '../../core/lab/config.ts';
import { explore, Rng } from '../../core/model/drivers/explore.ts';
import { runOnce } from '../../core/model/engine.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import type { Bench } from './benches.ts';

async function kernelFor(name: string, config: string) {
  const sc = SCENARIOS.find((s) => s.name === name)!;
  return { sc, k: buildKernel(await resolveConfig(parseConfigString(config), sc)) };
}

/** Random schedules until the first violation, for several seeds: time and schedules to it, and
 *  the whole `explore` (which also minimizes the schedule and traces it). */
async function timeToFirst(name: string, config: string, oracle: string) {
  const { sc, k } = await kernelFor(name, config);
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
  const firsts: number[] = [];
  for (const seed of seeds) {
    const rng = new Rng(seed);
    const t0 = performance.now();
    let n = 0;
    let hit = '';
    while (n < 5000 && !hit) {
      n++;
      const r = runOnce(k, sc, { choose: (_e, m) => (m === 1 ? 0 : rng.below(m)) }, { maxSteps: sc.maxSteps ?? 20000 });
      if (r.violations.length) hit = r.violations[0].oracle;
    }
    const ms = performance.now() - t0;
    firsts.push(ms);
    const t1 = performance.now();
    const e = explore(k, sc, { strategy: 'random', budget: sc.budget ?? 3000, seed, maxSteps: sc.maxSteps ?? 20000 });
    const ems = performance.now() - t1;
    console.log(`first ${oracle} in ${name} [${config}] seed ${seed}: ${hit === oracle ? 'found' : `NOT found (${hit || 'nothing'})`} after ${n} schedules, ${ms.toFixed(0)} ms; explore with minimization: ${ems.toFixed(0)} ms (${e.schedulesExplored} schedules)`);
  }
  firsts.sort((a, b) => a - b);
  console.log(`time to the first ${oracle} in ${name} [${config}]: median ${firsts[firsts.length >> 1].toFixed(0)} ms, max ${firsts[firsts.length - 1].toFixed(0)} ms over ${seeds.length} seeds (target: under 2000 ms)`);
}

async function cleanBudget(name: string, config: string) {
  const { sc, k } = await kernelFor(name, config);
  const t0 = performance.now();
  const r = explore(k, sc, { strategy: sc.strategy ?? 'random', budget: sc.budget ?? 3000, seed: 1, maxSteps: sc.maxSteps ?? 20000 });
  const s = (performance.now() - t0) / 1000;
  console.log(`explore ${name} [${config}]: ${r.violations.length ? 'VIOLATION' : 'clean'} in ${r.schedulesExplored} schedules, ${r.steps} steps, ${s.toFixed(2)} s = ${Math.round(r.steps / s)} steps/s`);
}

export const PAGE_BENCHES: Bench[] = [
  {
    name: 'page',
    async run() {
      await timeToFirst('delayed-rmap-lost-write', '--arch x86', 'lost-write');
      await timeToFirst('pae-gup-fast-torn', '--arch x86-pae', 'torn-read');
      await cleanBudget('delayed-rmap-lost-write', '--arch x86 --apply delayed-rmap');
      await cleanBudget('delayed-rmap-lost-write', '--arch s390');
    },
  },
];

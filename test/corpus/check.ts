// Compares today's model with the corpus: npx tsx test/corpus/check.ts [REGEX over "scenario config"] [scenario|config|seed]
// prints the first differing trace lines (all of them for one entry).
import { loadCorpus } from './load.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import { parseConfigString, resolveConfig, buildKernel } from '../../core/lab/config.ts';
import { runOnce, encodeSchedule } from '../../core/model/engine.ts';
import { Rng } from '../../core/model/drivers/explore.ts';
import { renderTrace } from '../../core/model/trace.ts';

const filter = new RegExp(process.argv[2] ?? '.');
const only = process.argv[3];
const corpus = loadCorpus();
let ok = 0, bad = 0, err = 0;
const kernels = new Map();
for (const e of corpus) {
  if (!filter.test(`${e.scenario} ${e.config}`)) continue;
  if (only && `${e.scenario}|${e.config}|${e.seed}` !== only) continue;
  const sc = SCENARIOS.find((s) => s.name === e.scenario)!;
  try {
    const key = e.scenario + '|' + e.config;
    let k = kernels.get(key);
    if (!k) { k = buildKernel(await resolveConfig(parseConfigString(e.config), sc)); kernels.set(key, k); }
    const rng = new Rng(e.seed);
    const r = runOnce(k, sc, { choose: (_e, n) => (n === 1 ? 0 : rng.below(n)) }, { maxSteps: sc.maxSteps ?? 20000, trace: true });
    const trace = renderTrace(k, k.trace);
    const got = { steps: r.steps, schedule: encodeSchedule(r.events), violations: r.violations.map((v) => ({ oracle: v.oracle, message: v.message, cpu: v.cpu, step: v.step })), counters: { ...k.counters } };
    const want = { steps: e.steps, schedule: e.schedule, violations: e.violations, counters: e.counters };
    const same = JSON.stringify(got) === JSON.stringify(want) && JSON.stringify(trace) === JSON.stringify(e.trace);
    if (same) ok++;
    else {
      bad++;
      if (bad <= 3 || only) {
        console.log(`DIFF ${e.scenario} [${e.config}] seed ${e.seed}`);
        for (let i = 0; i < Math.max(trace.length, e.trace.length); i++) if (trace[i] !== e.trace[i]) { console.log(' want:', e.trace[i]); console.log(' got: ', trace[i]); if (!only) break; }
        if (JSON.stringify(got) !== JSON.stringify(want)) { console.log(' want', JSON.stringify(want).slice(0, 600)); console.log(' got ', JSON.stringify(got).slice(0, 600)); }
      }
    }
  } catch (x) {
    err++;
    if (err <= 3) console.log(`ERR ${e.scenario} [${e.config}] seed ${e.seed}: ${(x as Error).stack?.split('\n').slice(0, 4).join(' | ')}`);
  }
}
console.log(`ok ${ok} diff ${bad} error ${err}`);

// Records the trace corpus: for every built-in scenario, every configuration in its `expect`, and
// seeds 1..20 of `lazymm run --seed N`, the rendered trace, the violations, the schedule and the
// counters:  npx tsx test/corpus/record.ts > corpus.json, then brotli-compress it (load.ts).
// The committed corpus (traces-aec4cbe.json.br) was recorded with this script at aec4cbe, on that
// commit's API (core/config.ts, core/engine.ts, core/explore.ts, core/trace.ts: the same calls).
import { SCENARIOS } from '../../scenarios/index.ts';
import { parseConfigString, resolveConfig, buildKernel } from '../../core/lab/config.ts';
import { runOnce, encodeSchedule } from '../../core/model/engine.ts';
import { Rng } from '../../core/model/drivers/explore.ts';
import { renderTrace } from '../../core/model/trace.ts';

const out: unknown[] = [];
for (const sc of SCENARIOS) {
  for (const e of sc.expect ?? []) {
    let k;
    try { k = buildKernel(await resolveConfig(parseConfigString(e.config), sc)); }
    catch (err) { out.push({ scenario: sc.name, config: e.config, error: (err as Error).message }); continue; }
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Rng(seed);
      const r = runOnce(k, sc, { choose: (_e, n) => (n === 1 ? 0 : rng.below(n)) }, { maxSteps: sc.maxSteps ?? 20000, trace: true });
      out.push({
        scenario: sc.name, config: e.config, seed, steps: r.steps, schedule: encodeSchedule(r.events),
        violations: r.violations.map((v) => ({ oracle: v.oracle, message: v.message, cpu: v.cpu, step: v.step })),
        counters: { ...k.counters }, trace: renderTrace(k, k.trace),
      });
    }
  }
}
process.stdout.write(JSON.stringify(out));

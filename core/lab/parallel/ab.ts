// ab on a runner: every timing run (point x side x seed) is a task; the runs are put back in seed
// order per side and point, so the statistics are the serial ones.
import { resolveTimed, measuredFrom } from '../timing/measure.ts';
import type { Resolved } from '../config.ts';
import { pointOf, type AbPoint } from '../timing/ab.ts';
import type { ConfigWords } from '../config.ts';
import type { ScenarioDef } from '../../model/index.ts';
import type { TimedRun } from '../../model/drivers/timing/driver.ts';
import type { Runner } from './runner.ts';
import type { AbRunTask } from './tasks.ts';

export async function abPointsOn(runner: Runner, workload: string, sc: ScenarioDef, wa: ConfigWords, wb: ConfigWords, cpus: number[], runs: number, seed: number, onRun?: (done: number, total: number) => void): Promise<AbPoint[]> {
  // bad configurations are reported before any run, as the serial ab does
  const resolved: [Resolved, Resolved][] = [];
  for (const n of cpus) resolved.push([await resolveTimed({ ...wa, cpus: n }, sc), await resolveTimed({ ...wb, cpus: n }, sc)]);
  const tasks: AbRunTask[] = [];
  for (const n of cpus)
    for (const words of [wa, wb])
      for (let i = 0; i < runs; i++) tasks.push({ kind: 'ab-run', workload, words, cpus: n, seed: seed + i });
  const t0 = performance.now();
  const out: TimedRun[] = [];
  await runner.ordered(tasks, (_i, r) => { out.push(r); onRun?.(out.length, tasks.length); return true; });
  const secs = (performance.now() - t0) / 1000;
  return cpus.map((n, j) => {
    const at = j * 2 * runs;
    const ma = measuredFrom(resolved[j][0], out.slice(at, at + runs), secs / cpus.length / 2);
    const mb = measuredFrom(resolved[j][1], out.slice(at + runs, at + 2 * runs), secs / cpus.length / 2);
    return pointOf(n, ma, mb);
  });
}

// ab on a runner: every timing run (point x side x seed) is a task; the runs are put back in seed
// order per side and point, so the statistics are the serial ones. Points go CPUs first, then
// threads (-t), as the serial loop takes them.
import { measuredFrom } from '../timing/measure.ts';
import { abSides, pointOf, type AbPoint } from '../timing/ab.ts';
import type { ConfigWords, Resolved } from '../config.ts';
import type { ScenarioDef } from '../../model/index.ts';
import type { TimedRun } from '../../model/drivers/timing/driver.ts';
import type { Runner } from './current.ts';
import type { AbRunTask } from './tasks.ts';

export async function abPointsOn(runner: Runner, workload: string, sc: ScenarioDef, wa: ConfigWords, wb: ConfigWords, cpus: (number | undefined)[], threads: (number | undefined)[], runs: number, seed: number, onRun?: (done: number, total: number) => void): Promise<AbPoint[]> {
  // bad configurations are reported before any run, as the serial ab does
  const sides: { ra: Resolved; rb: Resolved; a: ConfigWords; b: ConfigWords; t: number | undefined }[] = [];
  for (const n of cpus) for (const t of threads) sides.push({ ...(await abSides(sc, wa, wb, n, t)), t });
  const tasks: AbRunTask[] = [];
  for (const s of sides)
    for (const [words, r] of [[s.a, s.ra], [s.b, s.rb]] as const)
      for (let i = 0; i < runs; i++) tasks.push({ kind: 'ab-run', workload, words, cpus: r.cfg.cpus, seed: seed + i });
  const t0 = performance.now();
  const out: TimedRun[] = [];
  await runner.ordered(tasks, (_i, r) => { out.push(r); onRun?.(out.length, tasks.length); return true; });
  const secs = (performance.now() - t0) / 1000 / sides.length / 2;
  return sides.map((s, j) => {
    const at = j * 2 * runs;
    const ma = measuredFrom(s.ra, out.slice(at, at + runs), secs);
    const mb = measuredFrom(s.rb, out.slice(at + runs, at + 2 * runs), secs);
    return pointOf(sc, ma, mb, seed, s.t);
  });
}

// Timing-driver benches (npm run bench timing-switches | timing-ab192): figures, not assertions.
import type { Bench } from './benches.ts';
import { parseConfigString } from '../../core/config.ts';
import { resolveTimed, measure } from '../../core/timing/measure.ts';
import { abPoint } from '../../core/timing/ab.ts';
import { ARCHES } from '../../arches/index.ts';
import { contextSwitchThreads } from '../../scenarios/perf/index.ts';

async function switchesPerWallSecond(cpus: number, virtualNs: number) {
  const sc = contextSwitchThreads;
  const words = parseConfigString(`--arch x86 --cpus ${cpus} --set timing_duration_ns=${virtualNs}`);
  const r = await resolveTimed(words, sc);
  measure(await resolveTimed(parseConfigString(`--arch x86 --cpus ${cpus} --set timing_duration_ns=${virtualNs / 10}`), sc), sc, 1, 99); // warm-up (JIT)
  const t0 = performance.now();
  const m = measure(r, sc, 1, 1);
  const s = (performance.now() - t0) / 1000;
  const run = m.runs[0];
  const sw = run.counters.context_switches ?? 0;
  console.log(`timing context-switch x86 ${cpus} CPUs: ${run.events} events, ${sw} simulated context switches (measured window) in ${s.toFixed(2)} s wall = ${Math.round(sw / s)} simulated switches per wall second, ${Math.round(run.events / s)} events/s`);
}

async function ab192(label: string, a: string, b: string) {
  const t0 = performance.now();
  const pt = await abPoint(contextSwitchThreads, parseConfigString(a), parseConfigString(b), 192, 3, 1);
  const s = (performance.now() - t0) / 1000;
  const m = pt.metrics.find((x) => x.name === 'context_switches_per_s')!;
  console.log(`timing ab context-switch 192 CPUs ${label}: a ${m.a.mean.toExponential(3)} b ${m.b.mean.toExponential(3)} switches/s, b/a ${(m.b.mean / m.a.mean).toFixed(1)}x, 3+3 runs in ${s.toFixed(1)} s wall`);
}

export const TIMING_BENCHES: Bench[] = [
  {
    name: 'timing-switches',
    async run() {
      await switchesPerWallSecond(2, 20_000_000);
      await switchesPerWallSecond(192, 2_000_000);
    },
  },
  {
    name: 'timing-ab192',
    async run() {
      await ab192('x86 baseline vs lazy-mm', '--arch x86', '--arch x86 --apply lazy-mm');
      if (ARCHES.some((x) => x.name === 'powerpc')) await ab192('powerpc refcount vs shoot-lazies', '--arch powerpc', '--arch powerpc --apply shoot-lazies');
      else console.log('timing ab powerpc: arch powerpc is not registered in arches/index.ts yet (skipped)');
    },
  },
];

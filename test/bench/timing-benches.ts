// Timing-driver benches (npm run bench timing-switches | timing-ab192): figures, not assertions.
// timing-switches runs the default x86 machine (epyc-9654-2s) at 2 and at 384 CPUs.
import type { Bench } from './benches.ts';
import { parseConfigString } from '../../core/lab/config.ts';
import { resolveTimed, measure } from '../../core/lab/timing/measure.ts';
import { abPoint } from '../../core/lab/timing/ab.ts';
import { ARCHES } from '../../arches/index.ts';
import { contextSwitchThreads } from '../../scenarios/perf/index.ts';

/** Simulated context switches per wall second: the median of 3 timed runs (the 2-core machine is
 *  shared and noisy), after a warm-up run for the JIT. */
async function switchesPerWallSecond(cpus: number, virtualNs: number) {
  const sc = contextSwitchThreads;
  const r = await resolveTimed(parseConfigString(`--arch x86 --cpus ${cpus} --set timing_duration_ns=${virtualNs}`), sc);
  measure(await resolveTimed(parseConfigString(`--arch x86 --cpus ${cpus} --set timing_duration_ns=${virtualNs / 10}`), sc), sc, 1, 99); // warm-up (JIT)
  const rates: number[] = [], cpuRates: number[] = [];
  let sw = 0, events = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    const m = measure(r, sc, 1, 1);
    const s = (performance.now() - t0) / 1000;
    const cu = process.cpuUsage(c0);
    sw = m.runs[0].counters.context_switches ?? 0;
    events = m.runs[0].events;
    rates.push(sw / s);
    cpuRates.push(sw / ((cu.user + cu.system) / 1e6));
  }
  rates.sort((a, b) => a - b);
  cpuRates.sort((a, b) => a - b);
  // per CPU second too: on a shared machine the wall time includes waiting for a core
  console.log(`timing context-switch x86 ${cpus} CPUs (${r.cfg.params.machine ?? 'default machine'}): ${sw} simulated context switches (measured window), ${(events / sw).toFixed(1)} engine events each; median of 3: ${Math.round(rates[1])} simulated switches per wall second (range ${Math.round(rates[0])}-${Math.round(rates[2])}), ${Math.round(cpuRates[1])} per CPU second of this process; target 1000000`);
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
      await switchesPerWallSecond(2, 50_000_000);
      await switchesPerWallSecond(384, 2_000_000);
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

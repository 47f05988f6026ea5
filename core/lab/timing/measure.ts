// Measuring a configuration on a workload: N seeded timing runs, each reduced to named metrics.
import { resolveConfig, type ConfigWords, type Resolved } from '../config.ts';
import { UsageError } from '../errors.ts';
import { Kernel, type ScenarioDef } from '../../model/index.ts';
import { runTimed, type TimedRun } from '../../model/drivers/timing/driver.ts';
import { mean, stddev } from './stats.ts';
import { profileFor } from '../../model/drivers/timing/profile.ts';

export const MAX_TIMING_CPUS = 1024;

// the window's options (timing_warmup_ns, timing_duration_ns) are declared in ./options.ts

export interface Metric { name: string; unit: string; value: number }

/** Which way is better, for the LKP-style direction words. */
export function higherIsBetter(name: string): boolean | null {
  if (/(^context_switches_per_s$|^ops_per_s$|^mm_freed_per_s$)/.test(name)) return true;
  if (/(rmw|transfers|ipi|cpus_scanned|mmu_switches|flushes|ns_per)/.test(name)) return false;
  return null;
}

/** Resolve a configuration for the timing driver. --cpus is the machine's size; without it, the
 *  machine profile's (384 CPUs for the default x86 machine). */
export async function resolveTimed(words: ConfigWords, sc: ScenarioDef): Promise<Resolved> {
  if (words.cpus === undefined) {
    const probe = await resolveConfig({ ...words, cpus: 1 }, sc, { maxCpus: MAX_TIMING_CPUS });
    words = { ...words, cpus: profileFor(probe.cfg.arch.name, probe.cfg.params).nominalCpus };
  }
  return resolveConfig(words, sc, { maxCpus: MAX_TIMING_CPUS });
}

export function buildTimingKernel(r: Resolved): Kernel {
  try {
    return new Kernel(r.cfg);
  } catch (e) {
    if (e instanceof Error) throw new UsageError(`building the kernel failed: ${e.message}`);
    throw e;
  }
}

/** A run's metrics, in a fixed order (headline first). Rates are per virtual second. */
export function metricsOf(run: TimedRun): Metric[] {
  const c = run.counters;
  const s = run.seconds || 1e-9;
  const get = (k: string) => c[k] ?? 0;
  const out: Metric[] = [];
  const rate = (name: string, v: number, unit = '1/s') => out.push({ name, unit, value: v / s });
  rate('context_switches_per_s', get('context_switches'), 'switches/s');
  rate('ops_per_s', get('iterations'), 'ops/s');
  let mmRmw = 0, mmXfer = 0, initRmw = 0, initXfer = 0;
  for (const l of run.lines) {
    if (l.kind !== 'mm_struct.mm_count') continue;
    if (l.name.startsWith('init_mm.')) { initRmw += l.rmw; initXfer += l.transfers; } else { mmRmw += l.rmw; mmXfer += l.transfers; }
  }
  rate('mm_count.rmw_per_s', mmRmw);
  rate('mm_count.transfers_per_s', mmXfer);
  out.push({ name: 'mm_count.rmw_per_switch', unit: 'rmw', value: get('context_switches') ? mmRmw / get('context_switches') : 0 });
  rate('init_mm.mm_count.rmw_per_s', initRmw);
  rate('init_mm.mm_count.transfers_per_s', initXfer);
  rate('line_transfers_per_s', get('line_transfers'));
  rate('atomics_per_s', get('atomics'));
  rate('ipis_per_s', get('ipis'));
  for (const k of Object.keys(c).sort()) if (k.startsWith('ipi.')) rate(`${k}_per_s`, c[k]);
  rate('wakeups_remote_per_s', get('wakeups_remote'));
  const mmputs = get('calls.__mmput');
  rate('mmput_last_per_s', mmputs);
  out.push({ name: 'exit_scan.cpus_scanned_per_exit', unit: 'cpus', value: mmputs ? get('exit_scan.cpus_scanned') / mmputs : 0 });
  rate('exit_scan.cpus_scanned_per_s', get('exit_scan.cpus_scanned'));
  rate('mm_freed_per_s', get('mm_freed'));
  rate('mmu_switches_per_s', get('cr3_writes') + get('mtspr_pid')); // x86 CR3 writes, powerpc mtspr PID
  rate('tlb_flushes_per_s', get('tlb_flushes') + get('tlbiel') + get('tlbie'));
  rate('flush_unlazy_per_s', get('flush_unlazy'));
  for (const k of Object.keys(c)) if (k.startsWith('idle.')) rate(`${k}_entries_per_s`, c[k]); // cpuidle states, profile order
  return out;
}

export interface Measured {
  config: Resolved;
  runs: TimedRun[];
  /** metric name -> unit and one value per run */
  metrics: Map<string, { unit: string; values: number[] }>;
  seconds: number; // wall time
}

export function measure(r: Resolved, sc: ScenarioDef, runs: number, seed: number, onRun?: (i: number) => void): Measured {
  return measureUntil(r, sc, runs, seed, onRun, () => false)!;
}

/** The timing window of a configuration: warm-up, then the measured duration (virtual ns). */
export function timingWindow(k: Kernel): { warm: number; dur: number } {
  const warm = Math.max(Number(k.param('timing_warmup_ns', '30000')), profileFor(k.arch.name, k.params).warmupNs);
  const dur = Number(k.param('timing_duration_ns', '200000'));
  if (!(warm >= 0) || !(dur > 0)) throw new UsageError('timing_warmup_ns must be >= 0 and timing_duration_ns > 0');
  return { warm, dur };
}

/** `runs` seeded timing runs; null if `stop` said so before one of them. */
export function measureUntil(r: Resolved, sc: ScenarioDef, runs: number, seed: number, onRun: ((i: number) => void) | undefined, stop: () => boolean): Measured | null {
  const k = buildTimingKernel(r);
  const { warm, dur } = timingWindow(k);
  const t0 = performance.now();
  const out: TimedRun[] = [];
  for (let i = 0; i < runs; i++) {
    if (stop()) return null;
    out.push(runTimed(k, sc, { seed: seed + i, warmupNs: warm, durationNs: dur }));
    onRun?.(i);
  }
  return measuredFrom(r, out, (performance.now() - t0) / 1000);
}

/** Runs (in seed order) to their metrics: the runs may come from workers or shards. */
export function measuredFrom(r: Resolved, runs: TimedRun[], seconds: number): Measured {
  const metrics = new Map<string, { unit: string; values: number[] }>();
  runs.forEach((run, i) => {
    for (const m of metricsOf(run)) {
      let e = metrics.get(m.name);
      if (!e) { e = { unit: m.unit, values: new Array(i).fill(0) }; metrics.set(m.name, e); }
      e.values.push(m.value);
    }
    for (const e of metrics.values()) while (e.values.length < i + 1) e.values.push(0);
  });
  return { config: r, runs, metrics, seconds };
}

export function summary(values: number[]) {
  return { mean: mean(values), stddev: stddev(values), n: values.length };
}

/** The lines with the most RMWs (then transfers), summed over runs. */
export function hotLines(m: Measured, top = 5) {
  const acc = new Map<string, { name: string; rmw: number; transfers: number }>();
  let secs = 0;
  for (const run of m.runs) {
    secs += run.seconds;
    for (const l of run.lines) {
      const e = acc.get(l.name) ?? { name: l.name, rmw: 0, transfers: 0 };
      e.rmw += l.rmw;
      e.transfers += l.transfers;
      acc.set(l.name, e);
    }
  }
  const s = secs || 1e-9;
  return [...acc.values()]
    .sort((a, b) => b.rmw - a.rmw || b.transfers - a.transfers || (a.name < b.name ? -1 : 1))
    .slice(0, top)
    .map((e) => ({ line: e.name, rmw_per_s: e.rmw / s, transfers_per_s: e.transfers / s }));
}

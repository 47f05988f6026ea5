// The timing driver, A/B and metric bisect: contracts and determinism on small, short runs.
// (Throughput figures live in `npm run bench timing-switches|timing-ab192`, not here.)
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli } from './helpers.ts';
import { parseConfigString } from '../core/lab/config.ts';
import { resolveTimed, measure } from '../core/lab/timing/measure.ts';
import { parseCpuList } from '../core/lab/timing/ab.ts';
import { welch, mean, stddev } from '../core/lab/timing/stats.ts';
import { findWorkload, WORKLOADS } from '../scenarios/perf/index.ts';
import { buildKernel, resolveConfig } from '../core/lab/config.ts';
import { startRun } from '../core/model/engine.ts';
import { PROFILES } from '../core/model/drivers/timing/profile.ts';

const SHORT = '--set timing_warmup_ns=5000 --set timing_duration_ns=20000';

async function metrics(workload: string, config: string, runs = 1, seed = 1) {
  const sc = findWorkload(workload)!;
  const m = measure(await resolveTimed(parseConfigString(`${SHORT} ${config}`), sc), sc, runs, seed);
  return { m, get: (name: string) => m.metrics.get(name)!.values };
}

describe('timing driver', () => {
  it('is deterministic: same config and seed, same numbers', async () => {
    const a = await metrics('context-switch', '--arch x86 --cpus 4', 2, 7);
    const b = await metrics('context-switch', '--arch x86 --cpus 4', 2, 7);
    expect([...a.m.metrics.entries()]).toEqual([...b.m.metrics.entries()]);
    expect(a.get('context_switches_per_s')[0]).toBeGreaterThan(0);
  });

  it('seeds are the variance: different seeds give different (close) numbers', async () => {
    const { get } = await metrics('context-switch', '--arch x86 --cpus 4 --set timing_duration_ns=300000', 3, 1);
    const v = get('context_switches_per_s');
    expect(new Set(v).size).toBeGreaterThan(1);
    expect(stddev(v) / mean(v)).toBeLessThan(0.1);
  });

  it('baseline context switching does one mm_count RMW per switch, on one line', async () => {
    const { get, m } = await metrics('context-switch', '--arch x86 --cpus 4');
    expect(get('mm_count.rmw_per_switch')[0]).toBeGreaterThan(0.9);
    expect(get('mm_count.rmw_per_switch')[0]).toBeLessThan(1.1);
    expect(m.runs[0].violation).toBeNull();
  });

  it('--set cost.NAME=VALUE overrides a profile weight (and a bad value is refused)', async () => {
    const base = (await metrics('context-switch', '--arch x86 --cpus 2 --set timing_jitter=0')).get('context_switches_per_s')[0];
    const slow = (await metrics('context-switch', '--arch x86 --cpus 2 --set timing_jitter=0 --set cost.op.pipe_write=5000')).get('context_switches_per_s')[0];
    expect(slow).toBeLessThan(base * 0.7);
    // a count-valued weight too (the contended LL/SC retry of the POWER8 profile)
    const xfers = async (v: string) => (await metrics('context-switch', `--arch powerpc --cpus 16 --set cost.rmw_contended_extra_xfers=${v}`)).get('mm_count.transfers_per_s')[0];
    expect(await xfers('3')).not.toBe(await xfers('0'));
    expect((await cli('ab', 'context-switch', '--a', '--arch x86 --set cost.rmw=-1', '--b', '--arch x86', '--cpus', '2')).code).toBe(2);
  });

  it('v5.16 reads mm->membarrier_state on every kernel->user switch; lazy-mm/02 keeps the read on x86 only', async () => {
    // membarrier_mm_sync_core_before_usermode()'s atomic_read() shares mm_count's line in v5.16;
    // 02 deletes it and adds sync_core_if_membarrier_enabled() to x86's switch_mm_irqs_off().
    // (x86-2s: the v5.16 layout; the default EPYC profile has mm_count on a line of its own.)
    const perSwitch = async (config: string) => {
      const { m } = await metrics('context-switch', `--cpus 8 ${config}`);
      return m.runs[0].lines.find((l) => l.name === 'P.mm_count')!.loads / m.runs[0].counters.context_switches;
    };
    expect(await perSwitch('--arch x86 --set machine=x86-2s')).toBeGreaterThan(0.4);
    expect(await perSwitch('--arch powerpc')).toBeGreaterThan(0.4);
    expect(await perSwitch('--arch x86 --set machine=x86-2s --apply lazy-mm:1-2')).toBeGreaterThan(0.4);
    // v6.6+ layout: the read no longer touches mm_count's line
    expect(await perSwitch('--arch x86')).toBe(0);
    expect(await perSwitch('--arch powerpc --apply lazy-mm:1-2')).toBe(0);
  });

  it('runs past 32 CPUs without false oracle reports (CPU lists, not 32-bit masks)', async () => {
    const { m } = await metrics('tlb-flush', '--arch x86 --cpus 40');
    expect(m.runs[0].violation).toBeNull();
    expect(m.metrics.get('tlb_flushes_per_s')!.values[0]).toBeGreaterThan(0);
  });

  it('every workload runs on x86 without a violation', async () => {
    for (const w of WORKLOADS) {
      const { m } = await metrics(w.name, '--arch x86 --cpus 4 --set timing_warmup_ns=2000 --set timing_duration_ns=60000');
      expect(m.runs[0].violation, w.name).toBeNull();
      expect(m.runs[0].events, w.name).toBeGreaterThan(10);
    }
  });
});

describe('workload size apart from machine size (--threads, will-it-scale -t)', () => {
  const placement = async (workload: string, config: string) => {
    const sc = findWorkload(workload)!;
    const k = buildKernel(await resolveConfig(parseConfigString(config), sc));
    startRun(k, sc, false);
    return k.tasks.slice(0, k.taskCount()).filter((t) => /^[TA]\d/.test(t.name)).map((t) => t.cpu);
  };

  it('places one task per core first, then the SMT siblings, then overcommits', async () => {
    // epyc-9654-2s: siblings are adjacent CPUs (cpu = core * 2 + thread); 8 CPUs = 4 cores
    expect(await placement('tlb-flush', '--arch x86 --cpus 8 --threads 6')).toEqual([0, 2, 4, 6, 1, 3]);
    expect(await placement('tlb-flush', '--arch x86 --cpus 8 -t 10')).toEqual([0, 2, 4, 6, 1, 3, 5, 7, 0, 2]);
    // a pair of context-switch takes its core's two siblings
    expect(await placement('context-switch', '--arch x86 --cpus 8 --threads 2')).toEqual([0, 2]);
    // no --threads: the machine full, as before
    expect((await placement('tlb-flush', '--arch x86 --cpus 8')).length).toBe(8);
  });

  it('overcommit runs task to task; --threads is refused where nothing reads it', async () => {
    const { m, get } = await metrics('context-switch', '--arch x86 --cpus 4 --threads 8');
    expect(m.runs[0].violation).toBeNull();
    expect(get('context_switches_per_s')[0]).toBeGreaterThan(0);
    // 4 pairs per core: most switches go from a task to another without the idle task
    expect(get('mm_count.rmw_per_switch')[0]).toBeLessThan(0.5);
    const r = await cli('run', 'lazy-exit', '--threads', '4');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/threads/);
  });

  it('ab prints the published figure beside the model at a declared -t, and sweeps threads', async () => {
    const one = await cli('ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86 --apply lazy-mm', '--cpus', '8', '-t', '2', '--runs', '1', '--json', ...SHORT.split(' '));
    expect(one.code).toBe(0);
    const j = JSON.parse(one.out);
    expect(j.threads).toBe(2);
    expect(j.published[0]).toMatchObject({ metric: 'ops_per_s', published_pct: 0.4, machine: 'epyc-9654-2s' });
    expect(typeof j.published[0].model_pct).toBe('number');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-ab-t-'));
    const sw = await cli('ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86 --apply lazy-mm', '--cpus', '8', '--threads', '1,2,3', '--runs', '1', '--out', dir, ...SHORT.split(' '));
    expect(sw.code).toBe(0);
    expect(sw.out).toMatch(/^ +threads +a %stddev/m);
    expect(sw.out).toMatch(/model vs published/);
    expect(sw.out).toMatch(/^ +3 +[+-]\d+\.\d% +\+0\.2% +[+-]\d+\.\d$/m);
    expect(fs.readdirSync(dir).some((f) => f.includes('threads1-3x3'))).toBe(true);
    const js = JSON.parse((await cli('ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86', '--cpus', '8', '--threads', '1,2', '--runs', '1', '--out', dir, '--json', ...SHORT.split(' '))).out);
    expect(js.points.map((x: { threads: number; cpus: number }) => [x.threads, x.cpus])).toEqual([[1, 8], [2, 8]]);
    expect(js.points[1].published[0].published_pct).toBe(0.4);
    expect((await cli('ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86', '--cpus', '4,8', '--threads', '1,2')).code).toBe(2);
  });

  it('docs/calibration.md lists every weight of every profile, and each profile has at most one [cal]', () => {
    const doc = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '../docs/calibration.md'), 'utf8');
    for (const p of PROFILES) {
      const at = doc.indexOf(`### ${p.name}`);
      expect(at, p.name).toBeGreaterThan(0);
      const sec = doc.slice(at, doc.indexOf('\n### ', at + 1) > 0 ? doc.indexOf('\n### ', at + 1) : doc.indexOf('\n## ', at));
      for (const [name, w] of Object.entries(p.w)) {
        const label = /^\[(\w+)\]/.exec(w.src)?.[1];
        expect(label, `${p.name} ${name} has a label`).toMatch(/^(seed|kernel|pub|est|cal)$/);
        expect(sec, `${p.name} ${name}`).toMatch(new RegExp(`\\| \`${name.replace(/\./g, '\\.')}\` \\| ${w.v}\\D.*\\| \\[${label}\\] \\|`));
      }
      expect(Object.values(p.w).filter((w) => w.src.startsWith('[cal]')).length, p.name).toBeLessThanOrEqual(1);
    }
  });
});

describe('lazymm ab', () => {
  it('prints the LKP table and carries the JSON contract', async () => {
    const r = await cli('ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86 --set timing_jitter=0.1', '--cpus', '4', '--runs', '3', '--json', ...SHORT.split(' '));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.command).toBe('ab');
    const m = j.metrics.find((x: { name: string }) => x.name === 'context_switches_per_s');
    expect(m.unit).toBe('switches/s');
    expect(m.a.n).toBe(3);
    expect(typeof m.a.mean).toBe('number');
    expect(typeof m.b.stddev).toBe('number');
    expect(typeof m.change_pct).toBe('number');
    const t = await cli('ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86', '--cpus', '2', '--runs', '2', ...SHORT.split(' '));
    expect(t.out).toMatch(/%stddev\s+%change/);
    expect(t.out).toMatch(/\+0\.0%.*context_switches_per_s/);
  });

  it('a CPU list sweeps: one summary table, a text plot, files named after the configurations', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-ab-'));
    const r = await cli('ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86 --set timing_jitter=0.1', '--cpus', '1,2,...,4', '--runs', '2', '--out', dir, ...SHORT.split(' '));
    expect(r.code).toBe(0);
    const base = path.join(dir, 'lazymm-ab-context-switch_x86-vs-x86+timing_jitter=0.1_timing_warmup_ns=5000+timing_duration_ns=20000_cpus1-4x3_2runs');
    const csv = fs.readFileSync(`${base}.csv`, 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^cpus,metric/);
    expect(csv).toMatch(/^4,context_switches_per_s/m);
    expect(fs.readFileSync(`${base}.svg`, 'utf8')).toMatch(/^<svg/);
    expect(fs.readFileSync(`${base}.txt`, 'utf8')).toMatch(/^simulated by the lazymm timing model/m);
    expect(r.out).toContain(`wrote ${base}.csv, ${base}.svg and ${base}.txt`);
    // one table for the sweep (one header), its rows keyed by the CPU count
    expect(r.out.match(/%stddev +%change/g)).toHaveLength(1);
    expect(r.out).toMatch(/^ +cpus +a %stddev +%change +b %stddev +runs +sig +metric$/m);
    for (const n of [1, 2, 4]) expect(r.out).toMatch(new RegExp(`^ +${n} +\\S+ .* context_switches_per_s \\[switches/s\\]`, 'm'));
    expect(r.out).not.toMatch(/^\d+ CPUs:$/m);
    expect(r.out).toMatch(/context_switches_per_s b\/a: \S+x@1 \S+x@2 \S+x@4$/m);
    // another sweep into the same directory does not overwrite it
    const r2 = await cli('ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86 --apply lazy-mm', '--cpus', '1,2,...,4', '--runs', '2', '--out', dir, ...SHORT.split(' '));
    expect(r2.code).toBe(0);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.svg'))).toHaveLength(2);
    expect(fs.readFileSync(`${base}.csv`, 'utf8')).toBe(csv);
  });

  it('refuses bad input with exit 2', async () => {
    expect((await cli('ab', 'no-such-workload', '--a', '--arch x86', '--b', '--arch x86')).code).toBe(2);
    expect((await cli('ab', 'context-switch', '--a', '--arch x86')).code).toBe(2);
    expect((await cli('ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86', '--cpus', '0,x')).code).toBe(2);
  });
});

describe('metric bisect', () => {
  it('bisect --metric works in a fresh process (the timing simulator loads without ab)', () => {
    const bin = path.join(path.dirname(new URL(import.meta.url).pathname), '../bin/lazymm.mjs');
    const r = spawnSync(process.execPath, [bin, 'bisect', 'context-switch', '--series', 'lazy-mm', '--arch', 'x86', '--cpus', '2', '-t', '1', '--metric', 'context_switches_per_s', '--runs', '1', '--json', ...SHORT.split(' ')], { encoding: 'utf8', env: { ...process.env, LAZYMM_FROM_SOURCES: '1' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).series).toBe('lazy-mm');
  }, 60_000);

  it('plugs into lazymm bisect --metric and keeps the bisect JSON contract', async () => {
    const r = await cli('bisect', 'context-switch', '--series', 'lazy-mm', '--arch', 'x86', '--cpus', '2', '--metric', 'context_switches_per_s', '--runs', '2', '--json', ...SHORT.split(' '));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.series).toBe('lazy-mm');
    expect(j.steps.length).toBeGreaterThanOrEqual(2);
    for (const s of j.steps) expect(['good', 'bad', 'skip']).toContain(s.verdict);
    expect(j.threshold.value).toBeGreaterThan(0);
    expect('result' in j).toBe(true);
  });
});

describe('helpers', () => {
  it('expands CPU lists', () => {
    expect(parseCpuList('1,2,4,...,192')).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 192]);
    expect(parseCpuList('8,16,...,48')).toEqual([8, 16, 32, 48]);
    expect(parseCpuList('4,8,12,...,20')).toEqual([4, 8, 12, 16, 20]);
    expect(parseCpuList('192')).toEqual([192]);
  });

  it('Welch t-test tells clear differences from noise', () => {
    expect(welch([10, 11, 10.5], [20, 21, 20.5]).p).toBeLessThan(0.01);
    expect(welch([10, 11, 10.5], [10.2, 10.9, 10.6]).p).toBeGreaterThan(0.3);
    expect(welch([5, 5, 5], [6, 6, 6]).p).toBe(0);
  });
});

describe('ab says what its oracles saw', () => {
  it('a sample of timing runs, and the report of a side whose kernel broke', async () => {
    const r = await cli('ab', 'lazy-exit', '--a', '--arch x86', '--b', '--arch x86 --drop-step context_switch.mmgrab_lazy', '--cpus', '3', '--runs', '2', '--json');
    expect(r.code).toBe(0);
    const js = JSON.parse(r.out);
    expect(js.oracles.a).toEqual({ coverage: { kind: 'sampled', states: null, transitions: null, schedules: 2, bound: null, strategy: 'timing', seed: 1 }, violations: [] });
    expect(js.oracles.b.violations.length).toBe(2);
    expect(js.oracles.b.violations[0]).toMatchObject({ seed: 1, oracle: 'lifetime' });
    const text = await cli('ab', 'lazy-exit', '--a', '--arch x86', '--b', '--arch x86 --drop-step context_switch.mmgrab_lazy', '--cpus', '3', '--runs', '2');
    expect(text.out).toContain('a: no violation: sampled: 2 schedules of timing, seed 1');
    expect(text.out).toMatch(/b: VIOLATION in 2 of 2 timing runs; seed 1: \[lifetime\]/);
  });
});

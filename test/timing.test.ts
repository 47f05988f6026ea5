// The timing driver, A/B and metric bisect: contracts and determinism on small, short runs.
// (Throughput figures live in `npm run bench timing-switches|timing-ab192`, not here.)
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from './helpers.ts';
import { parseConfigString } from '../core/lab/config.ts';
import { resolveTimed, measure } from '../core/lab/timing/measure.ts';
import { parseCpuList } from '../core/lab/timing/ab.ts';
import { welch, mean, stddev } from '../core/lab/timing/stats.ts';
import { findWorkload, WORKLOADS } from '../scenarios/perf/index.ts';

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
    const perSwitch = async (config: string) => {
      const { m } = await metrics('context-switch', `--cpus 8 ${config}`);
      return m.runs[0].lines.find((l) => l.name === 'P.mm_count')!.loads / m.runs[0].counters.context_switches;
    };
    expect(await perSwitch('--arch x86')).toBeGreaterThan(0.4);
    expect(await perSwitch('--arch powerpc')).toBeGreaterThan(0.4);
    expect(await perSwitch('--arch x86 --apply lazy-mm:1-2')).toBeGreaterThan(0.4);
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

// Issue 15 through the real command line: the watchdog stops code that never returns and names it
// (exit 2); SIGINT/SIGTERM keep what was done (valid JSON with interrupted: true, a sweep's CSV
// keeps its finished points, exit 130/143); a closed stdout ends quietly with the verdict's exit
// code; concurrent sweeps in one folder keep all their results.
import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WorkerPool } from '../core/lab/cli/supervise.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const F = 'test/fixtures/bad';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-robust-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Done { code: number | null; signal: NodeJS.Signals | null; out: string; err: string; ms: number }

/** bin/lazymm.mjs as a user runs it; `during` may signal it or close its stdout. */
function lazymm(args: string[], during?: (c: ReturnType<typeof spawn>) => void): Promise<Done> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [path.join(ROOT, 'bin/lazymm.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (err += d));
    c.on('close', (code, signal) => resolve({ code, signal, out, err, ms: Date.now() - t0 }));
    during?.(c);
  });
}

const oneLine = (err: string) => err.trim().split('\n');
const AB_FAST = ['--set', 'timing_duration_ns=4000', '--set', 'timing_warmup_ns=1000'];

describe('the watchdog: code that never returns is stopped and named, exit 2', () => {
  const pool = new WorkerPool(1000);
  afterAll(() => pool.close());
  const cases: [string, string[], RegExp][] = [
    ['a plugin step, in run', ['run', 'lazy-exit', '--apply', `${F}/step-loops-plugin.ts`], /^lazymm: step context_switch\.mmgrab_lazy \(user\/loops\) on cpu\d did not return within 1 s \(stopped by the watchdog/],
    ['a plugin step, in explore', ['explore', 'lazy-exit', '--apply', `${F}/step-loops-plugin.ts`, '--budget', '100'], /step context_switch\.mmgrab_lazy \(user\/loops\) on cpu\d did not return within 1 s/],
    ['a plugin step, in ab', ['ab', 'context-switch', '--a', '--arch x86', '--b', `--arch x86 --apply ${F}/step-loops-plugin.ts`, '--runs', '1', '--cpus', '2', ...AB_FAST], /step context_switch\.mmgrab_lazy \(user\/loops\) on cpu\d did not return within 1 s/],
    ['a scenario\'s setup()', ['explore', `${F}/setup-loops.ts`, '--budget', '10'], /^lazymm: scenario setup-loops: setup\(\) did not return within 1 s/],
    ['a plugin\'s apply()', ['run', 'lazy-exit', '--apply', `${F}/apply-loops-plugin.ts`], /^lazymm: plugin user\/apply-loops: apply\(\) did not return within 1 s/],
    // loading includes compiling the module: 3x the limit, at least 15 s
    ['a module\'s top level', ['run', `${F}/toplevel-loops.ts`], /^lazymm: scenario module .*toplevel-loops\.ts did not finish loading within 15 s/],
  ];
  for (const [what, argv, re] of cases) {
    it(what, async () => {
      const r = await pool.run(argv);
      expect(r.stalled).toBe(true);
      expect(r.code).toBe(2);
      expect(oneLine(r.err)).toHaveLength(1);
      expect(r.err).toMatch(re);
      expect(r.ms).toBeLessThan(45_000);
    }, 120_000);
  }
  it('the next verb runs in a fresh model thread', async () => {
    const r = await pool.run(['run', 'lazy-exit', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).steps).toBeGreaterThan(0);
  }, 120_000);
});

describe('interruption keeps what was done', () => {
  it('SIGINT 5 s into explore --budget 10000000 --json: valid JSON, interrupted: true, the count, exit 130', async () => {
    const r = await lazymm(['explore', 'lazy-exit', '--strategy', 'random', '--budget', '10000000', '--json'], (c) => setTimeout(() => c.kill('SIGINT'), 5000));
    expect(r.err).toBe('');
    expect(r.code).toBe(130);
    const j = JSON.parse(r.out);
    expect(j.interrupted).toBe(true);
    expect(j.coverage.kind).toBe('interrupted');
    expect(Number.isInteger(j.schedulesExplored)).toBe(true);
    expect(j.schedulesExplored).toBe(j.coverage.schedules);
    expect(j.schedulesExplored).toBeLessThan(10_000_000);
    expect(j.violations).toEqual([]);
  }, 180_000);

  it('SIGTERM during a sweep: the finished points stay in its CSV, exit 143', async () => {
    const out = path.join(tmp, 'sweep-term');
    const args = ['ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86 --apply shoot-lazies', '--cpus', '1,2,4,8,16,32,64,128,256,512,1024', '--runs', '2', '--out', out];
    const r = await lazymm(args, (c) => {
      // once the first point is in the CSV, stop the sweep
      const poll = setInterval(() => {
        if (fs.existsSync(out) && fs.readdirSync(out).some((f) => f.endsWith('.csv'))) { clearInterval(poll); c.kill('SIGTERM'); }
      }, 50);
      c.on('close', () => clearInterval(poll));
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(143);
    expect(r.out).toMatch(/interrupted: \d+ of 11 points finished \(a partial result\)/);
    const csv = fs.readdirSync(out).filter((f) => f.endsWith('.csv'));
    expect(csv).toHaveLength(1);
    const rows = fs.readFileSync(path.join(out, csv[0]), 'utf8').trim().split('\n').slice(1);
    const points = new Set(rows.map((l) => l.split(',')[0]));
    expect(points.size).toBeGreaterThanOrEqual(1);
    expect(points.size).toBeLessThan(11);
    expect(r.out).toContain(`wrote ${path.join(out, csv[0])}`);
  }, 300_000);

  it('a closed stdout (lazymm run ... | head -1) ends quietly with the verdict\'s exit code', async () => {
    const close = (c: ReturnType<typeof spawn>) => c.stdout!.destroy();
    const clean = await lazymm(['run', 'lazy-exit'], close);
    expect(clean).toMatchObject({ code: 0, err: '' });
    const uaf = await lazymm(['run', 'lazy-exit', '--drop-step', 'context_switch.mmgrab_lazy', '--seed', '3'], close);
    const ref = await lazymm(['run', 'lazy-exit', '--drop-step', 'context_switch.mmgrab_lazy', '--seed', '3', '--json']);
    expect(uaf.err).toBe('');
    expect(uaf.code).toBe(ref.code);
    expect(JSON.parse(ref.out).violations.length ? 1 : 0).toBe(ref.code);
  }, 180_000);
});

describe('concurrent runs keep all their results', () => {
  it('three ab sweeps in one folder at once: three files, each named for its configuration', async () => {
    const out = path.join(tmp, 'sweeps');
    const sweep = (b: string) => lazymm(['ab', 'context-switch', '--a', '--arch x86', '--b', b, '--cpus', '1,2', '--runs', '1', ...AB_FAST, '--out', out, '--json']);
    const rs = await Promise.all(['--arch x86 --apply shoot-lazies', '--arch x86 --apply lazy-mm', '--arch x86 --apply lazy-mm:1-3'].map(sweep));
    const files = rs.map((r) => {
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.out).files as { csv: string; svg: string; txt: string };
    });
    expect(new Set(files.map((f) => f.csv)).size).toBe(3);
    for (const f of files) {
      const rows = fs.readFileSync(f.csv, 'utf8').trim().split('\n');
      expect(rows[0]).toMatch(/^cpus,metric/);
      expect(new Set(rows.slice(1).map((l) => l.split(',')[0]))).toEqual(new Set(['1', '2']));
      expect(fs.readFileSync(f.svg, 'utf8')).toMatch(/^<svg/);
    }
    expect(fs.readdirSync(out).sort()).toEqual(files.flatMap((f) => [f.csv, f.svg, f.txt].map((x) => path.basename(x))).sort());
  }, 300_000);
});

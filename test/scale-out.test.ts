// The recipes of docs/scale-out.md, simulated here: n processes run docs/scale-out/shard.sh with
// the shard number where the scheduler puts it (Kubernetes Indexed Job: JOB_COMPLETION_INDEX;
// Slurm array: SLURM_ARRAY_TASK_ID), then lazymm merge; the merged output is the serial run's.
// A shard killed before it finishes leaves no partial result: merge fails (exit 2) naming it.
// And the breadth-first exhaustive search over worker threads (it needs the CLI's own process:
// its threads exchange states, which needs the same module layout as bin/lazymm.mjs gives them).
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { untimed } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const LAZYMM = `${process.execPath} ${path.join(ROOT, 'bin/lazymm.mjs')}`;
const SHARD = path.join(ROOT, 'docs/scale-out/shard.sh');
const ENV = { ...process.env, LAZYMM, LAZYMM_JOBS: '1' };

function lazymm(args: string[], env: NodeJS.ProcessEnv = ENV) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/lazymm.mjs'), ...args], { cwd: ROOT, env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Start shard k of n the way a scheduler would: its number in the scheduler's variable. */
function startShard(kind: 'k8s' | 'slurm', k: number, n: number, out: string, args: string[]) {
  const env = { ...ENV, ...(kind === 'k8s' ? { JOB_COMPLETION_INDEX: String(k - 1) } : { SLURM_ARRAY_TASK_ID: String(k), SLURM_ARRAY_TASK_COUNT: String(n) }) };
  const p = spawn('sh', [SHARD, String(n), out, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += String(d); });
  const done = new Promise<{ code: number | null; err: string }>((resolve) => p.on('close', (code) => resolve({ code, err })));
  return { p, done };
}

let dir = '';
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-scale-')); });

describe('the Kubernetes and Slurm recipes, simulated (n processes, then merge)', () => {
  const ARGS = ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'dfs', '--budget', '600'];
  let serial = '';
  beforeAll(() => {
    const r = lazymm([...ARGS, '--jobs', '1']);
    expect(r.code).toBe(0);
    serial = r.out;
  }, 120_000);

  for (const kind of ['k8s', 'slurm'] as const) {
    it(`${kind}: 3 shards side by side, merged`, async () => {
      const out = path.join(dir, kind);
      const shards = [1, 2, 3].map((k) => startShard(kind, k, 3, out, ARGS));
      for (const s of shards) expect((await s.done).code).toBe(0);
      expect(fs.readdirSync(out).sort()).toEqual(['part-1-of-3.json', 'part-2-of-3.json', 'part-3-of-3.json']);
      const m = lazymm(['merge', ...fs.readdirSync(out).map((f) => path.join(out, f))]);
      expect(m.err).toBe('');
      expect(m.code).toBe(0);
      expect(untimed(m.out)).toBe(untimed(serial));
    }, 300_000);
  }

  it('a killed shard: merge exits 2 and names it', async () => {
    const out = path.join(dir, 'killed');
    const args = ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'random', '--budget', '3000'];
    const a = startShard('k8s', 1, 3, out, args), b = startShard('k8s', 2, 3, out, args), c = startShard('k8s', 3, 3, out, args);
    // shard 2 is killed while it runs (node is still starting: well before it can finish)
    await new Promise((r) => setTimeout(r, 300));
    b.p.kill('SIGKILL');
    expect((await a.done).code).toBe(0);
    expect((await c.done).code).toBe(0);
    expect((await b.done).code).not.toBe(0);
    const m = lazymm(['merge', ...fs.readdirSync(out).filter((f) => f.endsWith('.json')).map((f) => path.join(out, f))]);
    expect(m.code).toBe(2);
    expect(m.err).toContain('missing shard 2/3');
  }, 300_000);
});

describe('docs/scale-out.md', () => {
  it('shows the recipes as they are in docs/scale-out/', () => {
    const md = fs.readFileSync(path.join(ROOT, 'docs/scale-out.md'), 'utf8');
    for (const f of ['github-matrix.yml', 'k8s-indexed-job.yaml', 'slurm-matrix.sh', 'shard.sh'])
      expect(md, f).toContain(fs.readFileSync(path.join(ROOT, 'docs/scale-out', f), 'utf8').trimEnd());
  });
});

describe('explore --strategy verify --search bfs over worker threads', () => {
  it('prints with --jobs 2 and 3 what it prints with --jobs 1 (memory aside)', () => {
    for (const config of [['kthread-use-mm', '--arch', 'x86'], ['lazy-drop-irq', '--arch', 'x86', '--apply', 'lazy-mm']]) {
      const args = ['explore', ...config, '--strategy', 'verify', '--search', 'bfs', '--json'];
      const mem = (s: string) => untimed(s).replace(/"bytes": \d+/, '"bytes": M');
      const one = lazymm([...args, '--jobs', '1']);
      expect(one.code).toBeLessThan(2);
      for (const j of ['2', '3']) {
        const r = lazymm([...args, '--jobs', j]);
        expect(r.err).toBe('');
        expect(r.code).toBe(one.code);
        expect(mem(r.out)).toBe(mem(one.out));
      }
    }
  }, 300_000);
});

// npm run bench robust: the engine's hot path before issue 15 (main as it was merged: 70dc642) and
// now, in one process:
// both trees' drivers are imported side by side (the old one exported with `git archive` into a
// temporary folder) and measured in alternating rounds, so machine noise hits both; medians.
//   - DFS schedules/s on lazy-exit (x86, preemption bound 2)
//   - random schedules/s on lazy-exit (x86): one run per schedule, setup() included
// Issue 15 added, per event, a few stores for the watchdog and a try/catch that names a faulting
// step; per step invocation one store and a check that the step returned a number.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROBUST_BEFORE = '70dc642'; // main just before issue 15 landed
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Side {
  name: string;
  run(strategy: 'dfs' | 'random', budget: number): number; // schedules/s
}

async function load(dir: string, name: string): Promise<Side> {
  const u = (p: string) => pathToFileURL(path.join(dir, p)).href;
  const { parseConfigString, resolveConfig, buildKernel } = await import(u('core/lab/config.ts'));
  const { explore } = await import(u('core/model/drivers/explore.ts'));
  const { SCENARIOS } = await import(u('scenarios/index.ts'));
  const sc = SCENARIOS.find((s: { name: string }) => s.name === 'lazy-exit');
  const k = buildKernel(await resolveConfig(parseConfigString('--arch x86'), sc));
  return {
    name,
    run(strategy, budget) {
      // CPU time of this process, not wall time: the machine may be shared
      const t0 = process.cpuUsage();
      const r = explore(k, sc, { strategy, budget, seed: 1, maxSteps: 20000, preemptionBound: 2 });
      const t = process.cpuUsage(t0);
      return r.schedulesExplored / ((t.user + t.system) / 1e6);
    },
  };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

export async function robustBench(rounds = 5) {
  const old = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-before-15-'));
  try {
    execSync(`git -C ${JSON.stringify(root)} archive ${ROBUST_BEFORE} | tar -x -C ${JSON.stringify(old)}`);
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(old, 'node_modules'), 'dir');
    const sides = [await load(old, `before (${ROBUST_BEFORE})`), await load(root, 'now')];
    for (const s of sides) { s.run('dfs', 2000); s.run('random', 1000); } // warm-up (JIT)
    const res = new Map<string, { dfs: number[]; random: number[] }>(sides.map((s) => [s.name, { dfs: [], random: [] }]));
    for (let r = 0; r < rounds; r++) {
      for (const s of r % 2 ? [...sides].reverse() : sides) {
        res.get(s.name)!.dfs.push(s.run('dfs', 20000));
        res.get(s.name)!.random.push(s.run('random', 10000));
      }
    }
    const [b, a] = sides.map((s) => res.get(s.name)!);
    for (const what of ['dfs', 'random'] as const) {
      const mb = median(b[what]), ma = median(a[what]);
      console.log(`lazy-exit ${what}: before ${Math.round(mb)} schedules/s, now ${Math.round(ma)} schedules/s: now/before = ${(ma / mb).toFixed(3)} (medians of ${rounds} alternating rounds, CPU time; before ${b[what].map(Math.round).join(' ')}; now ${a[what].map(Math.round).join(' ')})`);
    }
  } finally {
    fs.rmSync(old, { recursive: true, force: true });
  }
}

// npm run bench redesign: the declared-state model against the commit before it (aec4cbe), both
// measured in this run. The old commit is checked out in a temporary git worktree and measured by
// a small script written there (it uses the old API); the new side runs the same measurement on
// today's API. Rounds alternate old/new so machine noise hits both; the figures are medians.
//   - DFS schedules/s on lazy-exit (x86, preemption bound 2, 20000 schedules)
//   - ns per simulated context switch (context-switch, x86, 2 and 192 CPUs), on the machine both
//     commits have (x86-2s: the old default; the new default for x86 is the EPYC profile, whose
//     idle states and SMT model do more per switch, so it is printed apart, new side only)
// LAZYMM_BEFORE_DIR=/path: an existing checkout of the old commit (with node_modules) instead of
// a temporary worktree; LAZYMM_BENCH_ROUNDS=N rounds (default 3). Both wall and CPU time per switch
// are printed: on a shared machine the CPU time is the steadier figure.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BEFORE = 'aec4cbe';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The measurement, as source text for either API (`api` picks the import paths). */
function script(api: 'old' | 'new'): string {
  const imp = api === 'old'
    ? `import { parseConfigString, resolveConfig, buildKernel } from './core/config.ts';
import { explore } from './core/explore.ts';
import { resolveTimed, measure } from './core/timing/measure.ts';`
    : `import { parseConfigString, resolveConfig, buildKernel } from './core/lab/config.ts';
import { explore } from './core/model/drivers/explore.ts';
import { resolveTimed, measure } from './core/lab/timing/measure.ts';`;
  return `${imp}
import { SCENARIOS } from './scenarios/index.ts';
import { contextSwitchThreads } from './scenarios/perf/index.ts';
const what = process.argv[2];
const out = {};
if (what === 'dfs') {
  const sc = SCENARIOS.find((s) => s.name === 'lazy-exit');
  const k = buildKernel(await resolveConfig(parseConfigString('--arch x86'), sc));
  explore(k, sc, { strategy: 'dfs', budget: 2000, seed: 1, maxSteps: 20000 });
  const t0 = performance.now();
  const r = explore(k, sc, { strategy: 'dfs', budget: 20000, seed: 1, maxSteps: 20000, preemptionBound: 2 });
  const s = (performance.now() - t0) / 1000;
  out.schedules = r.schedulesExplored; out.seconds = s; out.rate = r.schedulesExplored / s;
} else {
  const cpus = Number(process.argv[3]);
  const machine = process.argv[4] ? ' --set machine=' + process.argv[4] : '';
  const dur = cpus > 8 ? 5_000_000 : 50_000_000;
  const sc = contextSwitchThreads;
  measure(await resolveTimed(parseConfigString('--arch x86 --cpus ' + cpus + machine + ' --set timing_duration_ns=' + dur / 10), sc), sc, 1, 99);
  const r = await resolveTimed(parseConfigString('--arch x86 --cpus ' + cpus + machine + ' --set timing_duration_ns=' + dur), sc);
  const t0 = performance.now(), c0 = process.cpuUsage();
  const m = measure(r, sc, 1, 1);
  const s = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  out.switches = m.runs[0].counters.context_switches; out.seconds = s; out.nsPerSwitch = s * 1e9 / out.switches;
  // CPU time of this process: on a loaded machine, wall time also counts the waits for a core
  out.cpuNsPerSwitch = (cu.user + cu.system) * 1e3 / out.switches;
}
process.stdout.write(JSON.stringify(out));
`;
}

function worktree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-before-'));
  execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', dir, BEFORE], { stdio: 'ignore' });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function runSide(dir: string, file: string, args: string[]): Record<string, number> {
  const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
  return JSON.parse(execFileSync(tsx, [file, ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
}

const median = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

export async function redesignBench(rounds = Number(process.env.LAZYMM_BENCH_ROUNDS ?? 3)) {
  const given = process.env.LAZYMM_BEFORE_DIR;
  const dir = given ? path.resolve(given) : worktree();
  const oldFile = '.bench-redesign.ts';
  const newFile = path.join(root, '.tmp-bench-redesign.ts');
  fs.writeFileSync(path.join(dir, oldFile), script('old'));
  fs.writeFileSync(newFile, script('new'));
  try {
    const measureBoth = (args: string[], key: string) => {
      const o: number[] = [], n: number[] = [];
      for (let i = 0; i < rounds; i++) {
        o.push(runSide(dir, oldFile, args)[key]);
        n.push(runSide(root, newFile, args)[key]);
      }
      return { old: median(o), new: median(n), oldAll: o, newAll: n };
    };
    const dfs = measureBoth(['dfs'], 'rate');
    console.log(`redesign: DFS lazy-exit (x86, bound 2, 20000 schedules): before ${BEFORE} ${Math.round(dfs.old)} schedules/s, now ${Math.round(dfs.new)} schedules/s: ${(dfs.new / dfs.old).toFixed(2)}x (medians of ${rounds}; before ${dfs.oldAll.map(Math.round).join(', ')}; now ${dfs.newAll.map(Math.round).join(', ')})`);
    for (const cpus of [2, 192]) {
      for (const key of ['nsPerSwitch', 'cpuNsPerSwitch']) {
        const t = measureBoth(['timing', String(cpus), 'x86-2s'], key);
        const what = key === 'nsPerSwitch' ? 'wall' : 'CPU';
        console.log(`redesign: timing context-switch x86 (machine x86-2s) ${cpus} CPUs: before ${Math.round(t.old)} ns (${what}) per simulated switch, now ${Math.round(t.new)} ns: ${(t.old / t.new).toFixed(2)}x lower (medians of ${rounds}; before ${t.oldAll.map(Math.round).join(', ')}; now ${t.newAll.map(Math.round).join(', ')})`);
      }
      const e: number[] = [];
      for (let i = 0; i < rounds; i++) e.push(runSide(root, newFile, ['timing', String(cpus)]).nsPerSwitch);
      console.log(`redesign: timing context-switch x86 (default machine, epyc-9654-2s) ${cpus} CPUs, now only: ${Math.round(median(e))} ns per simulated switch`);
    }
  } finally {
    fs.rmSync(newFile, { force: true });
    fs.rmSync(path.join(dir, oldFile), { force: true });
    if (!given) execFileSync('git', ['-C', root, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
  }
}

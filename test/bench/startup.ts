// npm run bench startup: CPU time of `lazymm --help` and `lazymm list scenarios` (targets: 0.3 s and
// 0.5 s), from the build (dist/, when fresh) and from the TypeScript sources (tsx) for comparison,
// and the wall time of one end-to-end `lazymm explore lazy-exit --arch x86 --strategy verify`.
// CPU is the child's own (process.cpuUsage() at exit, all its threads), median of N runs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'lazymm.mjs');
const REPORT = `data:text/javascript,import fs from 'node:fs'; process.on('exit', () => { const u = process.cpuUsage(); fs.writeFileSync(process.env.LAZYMM_CPU_OUT, String((u.user + u.system) / 1e6)); });`;

function run(args: string[], env: Record<string, string>): { cpu: number; wall: number; status: number | null } {
  const out = path.join(os.tmpdir(), `lazymm-cpu-${process.pid}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', REPORT, BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env, LAZYMM_CPU_OUT: out } });
  const wall = (performance.now() - t0) / 1000;
  const cpu = Number(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  return { cpu, wall, status: r.status };
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function startupBench(n = 5) {
  // what `npm ci` leaves: a fresh build (made here if the sources changed since the last one)
  const fromSources = () => spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' }).stdout.includes('sources');
  let note = 'the build';
  if (fromSources()) {
    spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'ignore' });
    note = fromSources() ? 'the sources: no build could be made' : 'the build (rebuilt now: it was stale)';
  }
  console.log(`startup (${os.loadavg()[0].toFixed(1)} load average on ${os.cpus().length} cores; bin runs ${note}; median of ${n})`);
  for (const [label, args, target] of [['--help', ['--help'], 0.3], ['list scenarios', ['list', 'scenarios'], 0.5]] as const) {
    const dist = Array.from({ length: n }, () => run([...args], {}));
    const src = Array.from({ length: n }, () => run([...args], { LAZYMM_FROM_SOURCES: '1' }));
    const d = median(dist.map((x) => x.cpu)), s = median(src.map((x) => x.cpu));
    console.log(`  lazymm ${label.padEnd(16)} ${d.toFixed(3)} s CPU (wall ${median(dist.map((x) => x.wall)).toFixed(2)} s)  target ${target} s: ${d <= target ? 'met' : 'NOT met'};  from the sources ${s.toFixed(3)} s CPU (${(s / d).toFixed(1)}x)`);
  }
  const e2e = run(['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'verify'], {});
  console.log(`  lazymm explore lazy-exit --arch x86 --strategy verify: ${e2e.wall.toFixed(2)} s end to end (${e2e.cpu.toFixed(2)} s CPU), exit ${e2e.status}`);
}

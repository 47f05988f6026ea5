// npm run bench parallel: --jobs 2 against --jobs 1, end to end as a user runs the CLI, measured
// in this run, alternately (1, 2, 1, 2, ...), median of N: schedules/s of a random search,
// states/s of the exhaustive search (--search bfs; the depth-first search on one thread beside it,
// which is what --jobs 1 runs by default), configurations/s of a bisect. Each pair's outputs are
// compared (timings aside): they must be the same. The CPU time of each run (all its threads) and
// the load average are printed too: on a shared machine --jobs 2 has two cores only when nobody
// else wants them, and CPU per unit of work shows what the threads cost apart from that.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from './benches.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'lazymm.mjs');
const REPORT = `data:text/javascript,import fs from 'node:fs'; process.on('exit', () => { const u = process.cpuUsage(); fs.writeFileSync(process.env.LAZYMM_CPU_OUT, String((u.user + u.system) / 1e6)); });`;

interface Run { wall: number; cpu: number; out: string; code: number | null }

function lazymm(args: string[]): Run {
  const cpuOut = path.join(os.tmpdir(), `lazymm-par-cpu-${process.pid}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', REPORT, BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LAZYMM_CPU_OUT: cpuOut }, maxBuffer: 1 << 28 });
  const wall = (performance.now() - t0) / 1000;
  const cpu = Number(fs.readFileSync(cpuOut, 'utf8'));
  fs.rmSync(cpuOut, { force: true });
  return { wall, cpu, out: r.stdout, code: r.status };
}

/** What may differ between --jobs 1 and --jobs 2: timings, and the memory of visited sets. */
const untimed = (s: string) => s.replace(/"seconds": [-0-9.e]+/g, '"seconds": T').replace(/"bytes": \d+/g, '"bytes": M');
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Case {
  what: string;
  unit: string;
  args: string[];
  /** units of work in a run's JSON output */
  work: (j: Record<string, unknown>) => number;
  /** a serial reference measured in the same rounds (not part of the --jobs ratio) */
  reference?: { what: string; args: string[] };
}

const CASES: Case[] = [
  {
    what: 'random search', unit: 'schedules',
    args: ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'random', '--budget', '6000', '--json'],
    work: (j) => j.schedulesExplored as number,
  },
  {
    what: 'exhaustive search (--search bfs)', unit: 'states',
    args: ['explore', 'lazy-drop-irq', '--arch', 'x86', '--apply', 'lazy-mm', '--strategy', 'verify', '--search', 'bfs', '--json'],
    work: (j) => (j.verify as { states: number }).states,
    reference: { what: 'the depth-first exhaustive search (--search dfs, one thread)', args: ['explore', 'lazy-drop-irq', '--arch', 'x86', '--apply', 'lazy-mm', '--strategy', 'verify', '--json'] },
  },
  {
    what: 'bisect', unit: 'configurations',
    args: ['bisect', 'exit-mm-leak', '--series', 'lazy-mm', '--arch', 'x86', '--json'],
    work: (j) => (j.steps as unknown[]).length,
  },
];

export async function parallelBench(rounds = 3) {
  const cores = os.availableParallelism();
  console.log(`parallel: --jobs 2 against --jobs 1, alternately, median of ${rounds}; ${cores} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} before`);
  for (const c of CASES) {
    const one: Run[] = [], two: Run[] = [], ref: Run[] = [];
    for (let i = 0; i < rounds; i++) {
      one.push(lazymm([...c.args, '--jobs', '1']));
      two.push(lazymm([...c.args, '--jobs', '2']));
      if (c.reference) ref.push(lazymm([...c.reference.args, '--jobs', '1']));
    }
    const same = [...one, ...two].every((r) => untimed(r.out) === untimed(one[0].out) && r.code === one[0].code);
    const work = c.work(JSON.parse(one[0].out) as Record<string, unknown>);
    const w1 = median(one.map((r) => r.wall)), w2 = median(two.map((r) => r.wall));
    const c1 = median(one.map((r) => r.cpu)), c2 = median(two.map((r) => r.cpu));
    console.log(`  ${c.what}: lazymm ${c.args.join(' ')}`);
    console.log(`    --jobs 1: ${work} ${c.unit} in ${w1.toFixed(2)} s = ${Math.round(work / w1)} ${c.unit}/s (${c1.toFixed(2)} s CPU)`);
    console.log(`    --jobs 2: ${work} ${c.unit} in ${w2.toFixed(2)} s = ${Math.round(work / w2)} ${c.unit}/s (${c2.toFixed(2)} s CPU)`);
    console.log(`    speedup ${(w1 / w2).toFixed(2)}x (target 1.7x on two free cores); CPU per ${c.unit.replace(/s$/, '')} ${(c2 / c1).toFixed(2)}x; outputs ${same ? 'identical' : 'DIFFER'}; walls ${one.map((r) => r.wall.toFixed(1)).join('/')} and ${two.map((r) => r.wall.toFixed(1)).join('/')} s`);
    if (c.reference) {
      const wr = median(ref.map((r) => r.wall));
      const wref = c.work(JSON.parse(ref[0].out) as Record<string, unknown>);
      console.log(`    beside it, ${c.reference.what}: ${wref} ${c.unit} in ${wr.toFixed(2)} s = ${Math.round(wref / wr)} ${c.unit}/s; --search bfs --jobs 2 is ${(wr / w2).toFixed(2)}x its speed`);
    }
  }
  console.log(`  load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} after`);
}

export const PARALLEL_BENCHES: Bench[] = [{ name: 'parallel', run: () => parallelBench(3) }];

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

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Case {
  what: string;
  unit: string;
  args: string[];
  /** units of work, and the seconds of the search itself, from a run's text output */
  parse: (out: string) => { work: number; secs: number };
  /** a serial reference measured in the same rounds (not part of the --jobs ratio) */
  reference?: { what: string; args: string[] };
}

/** explore's last lines: "N schedules, S steps, T s" or "N states stored, ..., T s" */
const exploreFigures = (unit: string) => (out: string) => {
  const m = new RegExp(`(\\d+) ${unit}[^\\n]*?, ([0-9.]+) s\\b`).exec(out);
  if (!m) throw new Error(`bench: no figures in:\n${out}`);
  return { work: Number(m[1]), secs: Number(m[2]) };
};

const CASES: Case[] = [
  {
    what: 'random search', unit: 'schedules',
    args: ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'random', '--budget', '30000'],
    parse: exploreFigures('schedules'),
  },
  {
    what: 'exhaustive search (--search bfs)', unit: 'states',
    args: ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'verify', '--search', 'bfs'],
    parse: exploreFigures('states stored'),
    reference: { what: 'the depth-first exhaustive search (--search dfs, one thread)', args: ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'verify'] },
  },
  {
    what: 'bisect', unit: 'configurations',
    args: ['bisect', 'exit-mm-leak', '--series', 'lazy-mm', '--arch', 'x86'],
    parse: (out) => {
      const m = /(\d+) configurations in ([0-9.]+) s/.exec(out);
      if (!m) throw new Error(`bench: no figures in:\n${out}`);
      return { work: Number(m[1]), secs: Number(m[2]) };
    },
  },
];

const untimedText = (s: string) => s.replace(/\d+(\.\d+)? s\b/g, 'T s').replace(/\d+\.\d MiB/g, 'M MiB');

export async function parallelBench(rounds = 3) {
  const cores = os.availableParallelism();
  console.log(`parallel: --jobs 2 against --jobs 1, alternately, median of ${rounds}; ${cores} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} before`);
  console.log('  (search: the seconds the command reports for its search, workers started included; end to end: the whole process, start-up and kernel build included)');
  for (const c of CASES) {
    const one: Run[] = [], two: Run[] = [], ref: Run[] = [];
    for (let i = 0; i < rounds; i++) {
      one.push(lazymm([...c.args, '--jobs', '1']));
      two.push(lazymm([...c.args, '--jobs', '2']));
      if (c.reference) ref.push(lazymm([...c.reference.args, '--jobs', '1']));
    }
    const same = [...one, ...two].every((r) => untimedText(r.out) === untimedText(one[0].out) && r.code === one[0].code);
    const { work } = c.parse(one[0].out);
    const s1 = median(one.map((r) => c.parse(r.out).secs)), s2 = median(two.map((r) => c.parse(r.out).secs));
    const w1 = median(one.map((r) => r.wall)), w2 = median(two.map((r) => r.wall));
    const c1 = median(one.map((r) => r.cpu)), c2 = median(two.map((r) => r.cpu));
    const per = c.unit.replace(/s$/, '');
    console.log(`  ${c.what}: lazymm ${c.args.join(' ')}`);
    for (const [j, s, w, cpu] of [[1, s1, w1, c1], [2, s2, w2, c2]] as const)
      console.log(`    --jobs ${j}: ${work} ${c.unit}, search ${s.toFixed(2)} s = ${Math.round(work / s)} ${c.unit}/s; end to end ${w.toFixed(2)} s, ${cpu.toFixed(2)} s CPU`);
    console.log(`    speedup ${(s1 / s2).toFixed(2)}x search, ${(w1 / w2).toFixed(2)}x end to end (target 1.7x); CPU per ${per} at --jobs 2 ${(c2 / c1).toFixed(2)}x that of --jobs 1; outputs ${same ? 'identical' : 'DIFFER'}`);
    if (c.reference) {
      const sr = median(ref.map((r) => c.parse(r.out).secs));
      console.log(`    beside it, ${c.reference.what}: search ${sr.toFixed(2)} s = ${Math.round(c.parse(ref[0].out).work / sr)} ${c.unit}/s; --search bfs --jobs 2 runs at ${(sr / s2).toFixed(2)}x its speed`);
    }
  }
  console.log(`  load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} after`);
}

export const PARALLEL_BENCHES: Bench[] = [{ name: 'parallel', run: () => parallelBench(3) }];

// --jobs N and --shard k/n, taken off the command line of the verbs that run tasks
// (explore, bisect, ab, verify, matrix) before the verb parses the rest.
import os from 'node:os';
import { UsageError } from '../errors.ts';
import { LocalRunner, PoolRunner, ShardRunner, ShardDone, withRunner, type Runner, type ShardSpec } from './runner.ts';
import { cmdMerge } from './merge.ts';
import { workerSetup } from './pool.ts';

export const PARALLEL_VERBS = new Set(['explore', 'bisect', 'ab', 'verify', 'matrix']);

/** The default of --jobs: LAZYMM_JOBS, else the number of cores. */
export function defaultJobs(): number {
  const env = process.env.LAZYMM_JOBS;
  if (env !== undefined && env !== '') return parseJobs(env, 'LAZYMM_JOBS');
  return Math.max(1, os.availableParallelism());
}

function parseJobs(v: string, what: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${what} takes a positive integer, not '${v}'`);
  return Number(v);
}

export function parseShard(v: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]))
    throw new UsageError(`--shard takes k/n with 1 <= k <= n (e.g. --shard 2/4), not '${v}'`);
  return { k: Number(m[1]), n: Number(m[2]) };
}

export interface ParallelFlags { argv: string[]; jobs: number; shard: ShardSpec | null }

export function takeParallelFlags(argv: string[]): ParallelFlags {
  const rest: string[] = [];
  let jobs: number | null = null, shard: ShardSpec | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (name !== '--jobs' && name !== '--shard') { rest.push(a); continue; }
    const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new UsageError(`${name} needs a value`);
    if (name === '--jobs') {
      if (jobs !== null) throw new UsageError('--jobs given twice');
      jobs = parseJobs(v, '--jobs');
    } else {
      if (shard !== null) throw new UsageError('--shard given twice');
      shard = parseShard(v);
    }
  }
  return { argv: rest, jobs: jobs ?? defaultJobs(), shard };
}

/** The runner a verb's tasks go to. `verbArgv` (verb first) is what a shard records for merge. */
export function runnerFor(f: ParallelFlags, verbArgv: string[]): Runner {
  if (f.shard) return new ShardRunner(f.shard, verbArgv, f.jobs);
  return f.jobs > 1 ? new PoolRunner(f.jobs) : new LocalRunner();
}

/** main() for the verbs that run tasks, and for merge: take --jobs/--shard off, run the verb with
 *  its runner; a shard prints its partial result (exit 0: the verdict is merge's). */
export async function runParallel(argv: string[], main: (argv: string[], r: Runner) => Promise<number>): Promise<number> {
  const [verb, ...rest] = argv;
  workerSetup.verb = verb;
  if (verb === 'merge') return cmdMerge(rest, (a, r) => withRunner(r, () => main(a, r)));
  const f = takeParallelFlags(rest);
  const cmd = [verb, ...f.argv];
  try {
    const r = runnerFor(f, cmd);
    return await withRunner(r, () => main(cmd, r));
  } catch (e) {
    if (!(e instanceof ShardDone)) throw e;
    process.stdout.write(e.partial);
    return 0;
  }
}

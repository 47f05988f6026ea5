// The lazymm command line. The contract (verbs, flags, exit codes, JSON fields) is in README.md.
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { UsageError, UntestableError } from '../errors.ts';
import { RunawayError, ScheduleError } from '../../model/engine.ts';
import { cmdList } from './list.ts';
import { cmdRun, cmdExplore } from './run.ts';
import { cmdBisect } from './bisect.ts';
import { cmdNewArch } from './new-arch.ts';
import { cmdAb } from './ab.ts';
import { cmdVerify } from './verify.ts';
import { cmdMatrix } from './matrix.ts';
import { PARALLEL_VERBS, runParallel } from '../parallel/flags.ts';
import type { Runner } from '../parallel/runner.ts';

const USAGE = `usage:
  lazymm list    patches|series|arches|scenarios|hooks [config] [--json]
  lazymm run     <scenario> [config] [--seed N | --schedule S] [--json] [--trace FILE]
  lazymm explore <scenario> [config] [--strategy random|pct|dfs|verify] [--budget N] [--seed N] [--json]
  lazymm verify  [SCENARIO|REGEX ...] [--budget STATES] [--json]
  lazymm bisect  <scenario> --series ID [config] [--budget N] [--metric NAME] [--json]
  lazymm ab      <scenario> --a CONFIG --b CONFIG [--cpus LIST] [--runs N] [--json]
  lazymm matrix  [SCENARIO|REGEX ...] [--arch LIST] [--series LIST] [--mode verify|sample] [--json]
  lazymm merge   [--json] PARTIAL...      (the outputs of --shard k/n, k = 1..n)
  lazymm new-arch <name>
explore, bisect, ab, verify, matrix: --jobs N (default: the number of cores) --shard k/n
config: --arch NAME --cpus N --apply SPEC --without ID --set NAME=VALUE --drop-step NAME --force`;

/** `runner`: where the verb's tasks run, once --jobs/--shard are taken off (core/lab/parallel). */
export async function main(argv: string[], runner?: Runner): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    if (!runner && (verb === 'merge' || PARALLEL_VERBS.has(verb))) return await runParallel(argv, main);
    switch (verb) {
      case 'list': return await cmdList(rest);
      case 'run': return await cmdRun(rest);
      case 'explore': return await cmdExplore(rest);
      case 'bisect': return await cmdBisect(rest);
      case 'ab': return await cmdAb(rest);
      case 'verify': return await cmdVerify(rest);
      case 'matrix': return await cmdMatrix(rest);
      case 'new-arch': return await cmdNewArch(rest);
      case undefined:
      case '-h':
      case '--help':
        process.stdout.write(USAGE + '\n');
        return verb === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${verb}' (try: lazymm --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScheduleError || e instanceof RunawayError) {
      process.stderr.write(`lazymm: ${e.message}\n`);
      return 2;
    }
    if (e instanceof UntestableError) {
      process.stderr.write(`lazymm: cannot test: ${e.message}\n`);
      return 125;
    }
    throw e;
  }
}

// Run when executed directly (bin/lazymm.mjs imports this module and calls main()).
if (isMainThread && process.argv[1] && /core[\\/]lab[\\/]cli[\\/]main\.ts$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}

export function writeOut(s: string) {
  fs.writeSync(1, s);
}

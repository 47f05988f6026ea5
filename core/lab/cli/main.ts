// The lazymm command line. The contract (verbs, flags, exit codes, JSON fields) is in README.md.
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { UsageError } from '../errors.ts';
import { report } from './boundary.ts';
import { takeGlobals } from './globals.ts';
import { resetUserCode } from '../user-code.ts';
import { cmdList } from './list.ts';
import { cmdRun, cmdExplore } from './run.ts';
import { cmdBisect } from './bisect.ts';
import { cmdNewArch } from './new-arch.ts';
import { cmdAb } from './ab.ts';
import { cmdVerify } from './verify.ts';

const USAGE = `usage:
  lazymm list    patches|series|arches|scenarios|hooks [config] [--json]
  lazymm run     <scenario> [config] [--seed N | --schedule S] [--json] [--trace FILE]
  lazymm explore <scenario> [config] [--strategy random|pct|dfs|verify] [--budget N] [--seed N] [--json]
  lazymm verify  [SCENARIO|REGEX ...] [--budget STATES] [--json]
  lazymm bisect  <scenario> --series ID [config] [--budget N] [--metric NAME] [--json]
  lazymm ab      <scenario> --a CONFIG --b CONFIG [--cpus LIST] [--runs N] [--json]
  lazymm new-arch <name>
config: --arch NAME --cpus N --apply SPEC --without ID --set NAME=VALUE --drop-step NAME --force`;

export async function main(argv0: string[]): Promise<number> {
  let debug = argv0.includes('--debug');
  try {
    const g = takeGlobals(argv0);
    debug = g.debug;
    resetUserCode();
    const [verb, ...rest] = g.argv;
    switch (verb) {
      case 'list': return await cmdList(rest);
      case 'run': return await cmdRun(rest);
      case 'explore': return await cmdExplore(rest);
      case 'bisect': return await cmdBisect(rest);
      case 'ab': return await cmdAb(rest);
      case 'verify': return await cmdVerify(rest);
      case 'new-arch': return await cmdNewArch(rest);
      case undefined:
      case '-h':
      case '--help':
        process.stdout.write(USAGE + '\n');
        if (verb === undefined) throw new UsageError('missing command (usage above)');
        return 0;
      default:
        throw new UsageError(`unknown command '${verb}' (try: lazymm --help)`);
    }
  } catch (e) {
    return report(e, debug); // one line and exit 2, 125 or 3 (cli/boundary.ts)
  }
}

// Run when executed directly (`tsx core/lab/cli/main.ts`, npm run lazymm): supervised, as
// bin/lazymm.mjs runs it.
if (isMainThread && process.argv[1] && /core[\\/]lab[\\/]cli[\\/]main\.ts$/.test(process.argv[1])) {
  const { startCli } = await import('./supervise.ts');
  startCli(process.argv.slice(2));
}

export function writeOut(s: string) {
  fs.writeSync(1, s);
}

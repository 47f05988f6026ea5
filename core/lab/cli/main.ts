// The lazymm command line. The contract (verbs, flags, exit codes, JSON fields) is in README.md;
// the verbs and their flags are declared in verbs.ts. Only the verb that runs is loaded. main()
// runs in the model thread (worker.ts) under the supervisor (supervise.ts: watchdog, signals); every
// error that leaves a verb goes through one boundary (boundary.ts): exit 2, 125 or 3, one line.
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { UsageError } from '../../model/errors.ts';
import { VERBS, findVerb, CONFIG_FLAGS, GLOBAL_FLAGS, PARALLEL_VERB_NAMES, type VerbSpec, type FlagSpec } from './verbs.ts';
import type { Runner } from '../parallel/current.ts';
import { parseVerbArgs } from './args.ts';
import { takeGlobals } from './globals.ts';
import { ROOT_URL, COMPILED } from '../paths.ts';

export function usage(): string {
  const w = Math.max(...VERBS.map((v) => v.name.length));
  return [
    'usage:',
    ...VERBS.filter((v) => v.name !== 'help').map((v) => `  lazymm ${v.synopsis}`),
    `config: ${CONFIG_FLAGS.map((f) => `--${f.name}${f.arg ? ` ${f.arg}` : ''}`).join(' ')}`,
    '',
    'verbs:',
    ...VERBS.map((v) => `  ${v.name.padEnd(w)}  ${v.summary}`),
    '',
    'lazymm help VERB (or lazymm VERB --help) shows a verb\'s flags and examples; lazymm --version.',
    `every verb: ${GLOBAL_FLAGS.map((f) => `--${f.name}${f.arg ? ` ${f.arg}` : ''}`).join(' ')} (lazymm VERB --help)`,
    'exit codes: 0 no violation, 1 a violation was found, 2 bad usage or input (or the user\'s code failed),',
    '  3 internal error (--debug shows the stack), 125 untestable configuration, 130/143 interrupted.',
  ].join('\n');
}

function flagLine(f: FlagSpec): string {
  const left = `--${f.name}${f.arg ? ` ${f.arg}` : ''}`;
  const extra = [
    f.choices ? `one of ${f.choices.join(', ')}` : '',
    f.type === 'int' ? (f.max !== undefined && f.max < Number.MAX_SAFE_INTEGER ? `${f.min ?? 0}..${f.max}` : `>= ${f.min ?? 0}`) : '',
    f.repeatable ? 'repeatable' : '',
  ].filter(Boolean).join('; ');
  return `  ${left.padEnd(24)} ${f.help}${extra ? ` [${extra}]` : ''}`;
}

export function verbHelp(v: VerbSpec): string {
  const own = v.flags.filter((f) => !CONFIG_FLAGS.includes(f));
  const cfg = v.flags.filter((f) => CONFIG_FLAGS.includes(f));
  const out = [`usage: lazymm ${v.synopsis}`, '', `${v.summary.charAt(0).toUpperCase()}${v.summary.slice(1)}.`];
  if (v.details) out.push(v.details);
  if (own.length) out.push('', 'flags:', ...own.map(flagLine));
  if (cfg.length) out.push('', 'config (which kernel to build):', ...cfg.map(flagLine));
  out.push('', 'every verb:', ...GLOBAL_FLAGS.map(flagLine));
  out.push('  --help, -h'.padEnd(27) + 'this help');
  if (v.examples.length) out.push('', 'examples:', ...v.examples.map((e) => `  ${e}`));
  return out.join('\n');
}

export function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('package.json', ROOT_URL), 'utf8')) as { version: string };
  return `lazymm ${pkg.version}${COMPILED ? '' : ' (from the sources)'}`;
}

const PARALLEL = new Set<string>(PARALLEL_VERB_NAMES);

/** `runner`: where the verb's tasks run, once --jobs/--shard are taken off (core/lab/parallel);
 *  merge runs the command again with a runner that reads the shards' results. */
export async function main(argv0: string[], runner?: Runner): Promise<number> {
  let debug = argv0.includes('--debug');
  try {
    const g = takeGlobals(argv0); // --debug, --watchdog (read by the supervisor before the thread starts)
    debug = g.debug;
    const [verb, ...rest] = g.argv;
    // one line on stderr, as for any bad usage (lazymm --help prints the usage)
    if (verb === undefined) throw new UsageError(`missing command (verbs: ${VERBS.map((v) => v.name).join(', ')}; lazymm --help)`);
    if (verb === '--help' || verb === '-h') { process.stdout.write(usage() + '\n'); return 0; }
    if (verb === '--version' || verb === '-V') {
      if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}' after --version`);
      process.stdout.write(version() + '\n');
      return 0;
    }
    const spec = findVerb(verb);
    if (!spec) throw new UsageError(`unknown command '${verb}' (verbs: ${VERBS.map((v) => v.name).join(', ')}; lazymm --help)`);
    const p = parseVerbArgs(spec, rest);
    if (p.bools.has('--help')) { process.stdout.write(verbHelp(spec) + '\n'); return 0; }
    if (spec.name === 'help') {
      const name = p.positional[0];
      if (name === undefined) { process.stdout.write(usage() + '\n'); return 0; }
      const v = findVerb(name);
      if (!v) throw new UsageError(`help: unknown command '${name}' (verbs: ${VERBS.map((x) => x.name).join(', ')})`);
      process.stdout.write(verbHelp(v) + '\n');
      return 0;
    }
    // (loaded here, not at the top: help and --version load no model code; user-code.ts and the
    // error boundary import the series and the engine)
    (await import('../user-code.ts')).resetUserCode();
    if (p.positional.length < spec.positionals.min)
      throw new UsageError(`${spec.name}: missing <${spec.positionals.name}> (usage: lazymm ${spec.synopsis})`);
    if (!runner && (spec.name === 'merge' || PARALLEL.has(spec.name))) {
      const { runParallel } = await import('../parallel/flags.ts');
      return await runParallel(g.argv, (a, r) => main(debug ? ['--debug', ...a] : a, r));
    }
    const run = await spec.load();
    return await run(p);
  } catch (e) {
    // a shard's share is done: its partial result goes to stdout (parallel/flags.ts)
    if (e instanceof Error && e.name === 'ShardDone') throw e;
    const { report } = await import('./boundary.ts');
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

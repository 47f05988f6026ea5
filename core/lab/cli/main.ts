// The lazymm command line. The contract (verbs, flags, exit codes, JSON fields) is in README.md;
// the verbs and their flags are declared in verbs.ts. Only the verb that runs is loaded.
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { UsageError, UntestableError, RunawayError, ScheduleError } from '../../model/errors.ts';
import { VERBS, findVerb, CONFIG_FLAGS, PARALLEL_VERB_NAMES, type VerbSpec, type FlagSpec } from './verbs.ts';
import type { Runner } from '../parallel/current.ts';
import { parseVerbArgs } from './args.ts';
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
    'exit codes: 0 no violation, 1 a violation was found, 2 bad usage or input, 125 untestable configuration.',
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
export async function main(argv: string[], runner?: Runner): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    if (verb === undefined) {
      process.stderr.write(usage() + '\n');
      return 2;
    }
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
    if (p.positional.length < spec.positionals.min)
      throw new UsageError(`${spec.name}: missing <${spec.positionals.name}> (usage: lazymm ${spec.synopsis})`);
    if (!runner && (spec.name === 'merge' || PARALLEL.has(spec.name))) {
      const { runParallel } = await import('../parallel/flags.ts');
      return await runParallel(argv, main);
    }
    const run = await spec.load();
    return await run(p);
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

// Run when executed directly (`tsx core/lab/cli/main.ts`; bin/lazymm.mjs imports main()).
// (Not in a worker thread of --jobs: it sees the same process.argv.)
if (isMainThread && process.argv[1] && /core[\\/]lab[\\/]cli[\\/]main\.ts$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}

export function writeOut(s: string) {
  fs.writeSync(1, s);
}

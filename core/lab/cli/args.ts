// Parsing argv against a verb's declared flags (verbs.ts) with node:util.parseArgs: `--flag value`
// and `--flag=value`, strict (unknown flags, a flag given twice unless it is repeatable, missing
// values, values out of range and extra positionals are all refused with one line: UsageError).
import { parseArgs as utilParseArgs } from 'node:util';
import { UsageError } from '../errors.ts';
import type { ConfigWords } from '../config.ts';
import { CONFIG_FLAGS, type FlagSpec, type VerbSpec } from './verbs.ts';

export interface Parsed {
  verb: string;
  /** the verb's own arguments as given (replay lines repeat its config words) */
  argv: string[];
  positional: string[];
  /** the config words (--arch, --kernel, --cpus, --threads, --apply, --without, --set, --drop-step, --force) */
  words: ConfigWords;
  /** string and int flags by '--name', validated */
  flags: Map<string, string>;
  /** boolean flags given, by '--name' */
  bools: Set<string>;
  /** repeatable flags other than config words, by '--name', in order */
  lists: Map<string, string[]>;
}

export const emptyWords = (): ConfigWords => ({ apply: [], without: [], set: [], dropSteps: [], force: false });

const CONFIG_NAMES = new Set(CONFIG_FLAGS.map((f) => f.name));

function describeRange(f: FlagSpec): string {
  const lo = f.min ?? 0;
  if (f.max === undefined || f.max >= Number.MAX_SAFE_INTEGER) return lo === 1 ? 'a positive integer' : `an integer of at least ${lo}`;
  return `an integer from ${lo} to ${f.max}`;
}

/** Check one value against its flag's declaration; returns it (UsageError otherwise). */
export function checkValue(f: FlagSpec, v: string): string {
  if (f.type === 'int') {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < (f.min ?? 0) || (f.max !== undefined && n > f.max))
      throw new UsageError(`--${f.name} takes ${describeRange(f)}, not '${v}'`);
    return String(n);
  }
  if (f.choices && !f.choices.includes(v)) throw new UsageError(`--${f.name} takes ${f.choices.join(', ')}, not '${v}'`);
  if (v === '') throw new UsageError(`--${f.name} needs a value`);
  if (f.name === 'kernel') {
    const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(v);
    if (!m) throw new UsageError(`--kernel takes a version such as 6.14 or v5.16.0, not '${v}'`);
    return `${Number(m[1])}.${Number(m[2])}.${Number(m[3] ?? 0)}`; // semver, as series' bases
  }
  if (f.name === 'set' && !/^[A-Za-z_][A-Za-z0-9_.]*=.+$/.test(v)) throw new UsageError(`malformed --set '${v}' (expected NAME=VALUE; lazymm list options)`);
  return v;
}

/**
 * Parse `argv` (the words after the verb) for `spec`. `context` names where the words came from
 * in messages (ab's --a/--b strings).
 */
export function parseVerbArgs(spec: Pick<VerbSpec, 'name' | 'flags' | 'positionals'>, argv: string[], context = '', setOverrides = false): Parsed {
  const byName = new Map(spec.flags.map((f) => [f.name, f]));
  const byShort = new Map(spec.flags.filter((f) => f.short).map((f) => [`-${f.short}`, f.name]));
  const where = context ? ` in ${context}` : spec.name ? ` for '${spec.name}'` : '';
  const hint = spec.name ? ` (see: lazymm ${spec.name} --help)` : '';
  // parseArgs reads `--a --arch x86` as a missing value: join a declared value flag with the word
  // after it first (`--a=--arch x86`), so values may start with a dash where the flag allows it.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '--') { args.push(...argv.slice(i)); break; }
    const long = byShort.get(a);
    if (long) a = `--${long}`; // -t N: --threads N
    if (!a.startsWith('-') || a === '-') { args.push(a); continue; }
    if (!a.startsWith('--') && a !== '-h') throw new UsageError(`unknown option '${a}'${where}${hint}`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const f = a === '-h' ? undefined : byName.get(name);
    if (!f && !(a === '-h' || name === 'help')) throw new UsageError(`unknown option '--${name}'${where}${hint}`);
    if (f && f.type !== 'boolean' && eq < 0) {
      const v = argv[i + 1];
      const negInt = f.type === 'int' && v !== undefined && /^-\d/.test(v);
      if (v === undefined || (v.startsWith('-') && !f.dashValue && !negInt)) throw new UsageError(`--${name} needs a value${where}`);
      args.push(`--${name}=${v}`);
      i++;
      continue;
    }
    if (f && f.type === 'boolean' && eq >= 0) throw new UsageError(`--${name} takes no value${where}`);
    args.push(a);
  }
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const f of spec.flags) options[f.name] = { type: f.type === 'boolean' ? 'boolean' : 'string', multiple: true };
  let tokens;
  try {
    ({ tokens } = utilParseArgs({ args, options, strict: true, allowPositionals: true, tokens: true }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]}${where}`);
  }
  const p: Parsed = { verb: spec.name, argv, positional: [], words: emptyWords(), flags: new Map(), bools: new Set(), lists: new Map() };
  const seen = new Set<string>();
  for (const t of tokens!) {
    if (t.kind === 'positional') { p.positional.push(t.value); continue; }
    if (t.kind !== 'option') continue;
    if (t.name === 'help') { p.bools.add('--help'); continue; }
    const f = byName.get(t.name)!;
    if (seen.has(t.name) && !f.repeatable) throw new UsageError(`--${t.name} given twice${where} (it takes one value)`);
    seen.add(t.name);
    if (f.type === 'boolean') { p.bools.add(`--${f.name}`); if (f.name === 'force') p.words.force = true; continue; }
    const v = checkValue(f, t.value ?? '');
    if (CONFIG_NAMES.has(f.name) && !(spec.name === 'ab' && (f.name === 'cpus' || f.name === 'threads'))) addConfigWord(p.words, f.name, v, where, setOverrides);
    else if (f.repeatable) p.lists.set(`--${f.name}`, [...(p.lists.get(`--${f.name}`) ?? []), v]);
    else p.flags.set(`--${f.name}`, v);
  }
  if (p.bools.has('--help')) return p;
  const pos = spec.positionals;
  if (p.positional.length > pos.max)
    throw new UsageError(`unexpected argument '${p.positional[pos.max]}'${where}${hint}`);
  if (pos.choices && p.positional.length && !pos.choices.includes(p.positional[0]))
    throw new UsageError(`${spec.name} ${pos.name}: ${pos.choices.join(', ')}, not '${p.positional[0]}'`);
  return p;
}

function addConfigWord(w: ConfigWords, name: string, v: string, where: string, setOverrides: boolean) {
  switch (name) {
    case 'arch': w.arch = v; break;
    case 'kernel': w.kernel = v; break;
    case 'cpus': w.cpus = Number(v); break;
    case 'apply': w.apply.push(v); break;
    case 'without': w.without.push(v); break;
    case 'set': {
      const key = v.slice(0, v.indexOf('='));
      const i = w.set.findIndex((s) => s.startsWith(`${key}=`));
      if (i >= 0 && !setOverrides) throw new UsageError(`--set ${key} given twice${where}`);
      if (i >= 0) w.set.splice(i, 1);
      w.set.push(v);
      break;
    }
    case 'drop-step': w.dropSteps.push(v); break;
    // the workload's size (scenarios/perf reads it as the threads option)
    case 'threads': addConfigWord(w, 'set', `threads=${v}`, where, setOverrides); break;
  }
}

/** Config words in one string (ab's --a/--b, a scenario's expectations, code that composes a
 *  configuration): the config flags only. A later --set of the same name replaces an earlier one
 *  here (composition: defaults, then what overrides them); on the command line it is refused. */
export function parseConfigWords(s: string): ConfigWords {
  const argv = s.trim().split(/\s+/).filter(Boolean);
  return parseVerbArgs({ name: '', flags: CONFIG_FLAGS, positionals: { name: '', min: 0, max: 0 } }, argv, `configuration "${s}"`, true).words;
}

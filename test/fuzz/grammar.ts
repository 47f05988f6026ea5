// A grammar of bad (and some good) inputs for the whole command line: argument vectors for every
// verb, and user modules (scenarios, plugins) that go wrong in the ways issue 15 lists. A case is
// an argument vector plus the modules it refers to, written into the case's work folder.
import fc from 'fast-check';

export interface Module { file: string; source: string }
export interface Case { argv: string[]; modules: Module[]; note: string }

/** Placeholders the runner replaces: the work folder (traces, --out), a module's file. */
export const WORK = '@WORK@';
const MOD = (name: string) => `@MOD:${name}@`;

const MODEL = '@MODEL@'; // the model's index, as an absolute path

// ---- user scenario modules --------------------------------------------------------------------

const SETUPS: Record<string, string> = {
  ok: `b.process('P'); b.thread('P.a', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'exit' }] }); b.thread('P.b', { mm: 'P', cpu: 1, prog: [{ op: 'sleep' }, { op: 'exit' }] });`,
  throws: `throw new Error('setup is broken');`,
  throwsString: `throw 'a string, not an Error';`,
  throwsNull: `throw null;`,
  badCpu: `b.process('P'); b.thread('P.a', { mm: 'P', cpu: 7, prog: [{ op: 'exit' }] });`,
  negativeCpu: `b.process('P'); b.thread('P.a', { mm: 'P', cpu: -1, prog: [{ op: 'exit' }] });`,
  fractionalCpu: `b.process('P'); b.thread('P.a', { mm: 'P', cpu: 0.5, prog: [{ op: 'exit' }] });`,
  unknownMm: `b.process('P'); b.thread('P.a', { mm: 'Q', cpu: 0, prog: [{ op: 'exit' }] });`,
  unknownOp: `b.process('P'); b.thread('P.a', { mm: 'P', cpu: 0, prog: [{ op: 'frobnicate' }] } as never);`,
  wakeNobody: `b.process('P'); b.thread('P.a', { mm: 'P', cpu: 0, prog: [{ op: 'wake', task: 'ghost' }, { op: 'exit' }] });`,
  useUnknownMm: `b.process('P'); b.thread('P.a', { mm: 'P', cpu: 0, prog: [{ op: 'exit' }] }); b.kthread('kt', { cpu: 0, prog: [{ op: 'kthread_use_mm', mm: 'Q' }] });`,
  cpuDownNone: `b.process('P'); b.thread('P.a', { mm: 'P', cpu: 0, prog: [{ op: 'cpu_down', cpu: 9 }, { op: 'exit' }] });`,
  progNotArray: `b.process('P'); b.thread('P.a', { mm: 'P', cpu: 0, prog: 'exit' } as never);`,
  opNull: `b.process('P'); b.thread('P.a', { mm: 'P', cpu: 0, prog: [null] } as never);`,
  nmiBadCpu: `b.process('P'); b.nmi(5);`,
  pinUnknown: `b.kthread('kt', { cpu: 0, prog: [], pins: ['nope'] });`,
  loops: `for (;;) { /* never returns */ }`,
};

const FORBIDS: Record<string, string> = {
  none: '',
  throws: `forbid() { throw new Error('forbid is broken'); },`,
  number: `forbid() { return 42 as never; },`,
  ok: `forbid(s) { return s.reg('P.a', 'r0') === 5 ? 'r0 is 5' : null; },`,
};

const NAMES = ['user-fuzz', '../../escaped', 'a/b\\c', ' spaced name ', ''.padEnd(300, 'n')];
const CPUS = ['', `cpus: { default: 2, min: 1, max: 4 },`, `cpus: { default: 0, min: 0, max: 0 },`, `cpus: { default: 3, min: 3, max: 2 },`];

function scenarioSource(setup: string, forbid: string, name: string, cpus: string): string {
  return [
    `import { defineScenario } from '${MODEL}';`,
    'export default defineScenario({',
    `  name: ${JSON.stringify(name)},`,
    `  description: 'fuzz scenario',`,
    `  ${cpus}`,
    `  maxSteps: 3000,`,
    `  setup(b) { ${SETUPS[setup]} },`,
    `  ${FORBIDS[forbid]}`,
    '});',
    '',
  ].join('\n');
}

/** A key of `table`, `common` ones (the faults that reach the model) more often; `never` (code that
 *  never returns: it costs the watchdog's limit and a fresh model thread) once in a while. */
const pick = (table: Record<string, string>, common: string[], never?: string) => fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...common) },
  { weight: 20, arbitrary: fc.constantFrom(...Object.keys(table).filter((k) => k !== never)) },
  ...(never ? [{ weight: 1, arbitrary: fc.constant(never) }] : []),
);

const scenarioModule: fc.Arbitrary<Module & { name: string }> = fc
  .record({
    setup: pick(SETUPS, ['ok'], 'loops'),
    forbid: fc.constantFrom('none', 'none', 'ok', ...Object.keys(FORBIDS)),
    name: fc.constantFrom(NAMES[0], NAMES[0], NAMES[0], ...NAMES),
    cpus: fc.constantFrom(CPUS[0], CPUS[1], CPUS[1], ...CPUS),
  })
  .map((o) => ({ file: `scenario-${o.setup}-${o.forbid}-${NAMES.indexOf(o.name)}-${CPUS.indexOf(o.cpus)}.ts`, source: scenarioSource(o.setup, o.forbid, o.name, o.cpus), name: o.name }));

// ---- user plugin modules ------------------------------------------------------------------------

const IDS: Record<string, string> = {
  none: '',
  user: `id: 'user/fuzz',`,
  impostor: `id: 'lazy-mm/16',`,
  series: `id: 'shoot-lazies',`,
  baseline: `id: 'baseline',`,
  number: `id: 42 as never,`,
};

/** What the plugin's replacement of context_switch.mmgrab_lazy does when it runs. */
const STEPS: Record<string, string> = {
  none: '',
  next: `return NEXT;`,
  throws: `throw new Error('step is broken');`,
  throwsObject: `throw { not: 'an error' };`,
  generator: `return (function* () { /* old protocol */ })() as never;`,
  undef: `return undefined as never;`,
  string: `return 'yield' as never;`,
  fraction: `return 0.5;`,
  badKind: `return 7;`,
  wildStore: `k.st(x, 1 << 30, 1); return YIELD;`,
  nullStore: `k.st(x, 0, 1); return YIELD;`,
  fractionalLoad: `k.ld(x, 2.5); return YIELD;`,
  noYield: `k.ld(x, 1); return NEXT;`,
  loops: `for (;;) { /* never returns */ }`,
};

const APPLIES: Record<string, string> = {
  replace: '',
  throws: `throw new Error('apply is broken');`,
  unknownStep: `r.remove('context_switch', 'no_such_step' as never);`,
  unknownFn: `r.add('no_such_function' as never, 's', () => NEXT);`,
  loops: `for (;;) { /* never returns */ }`,
};

function pluginSource(id: string, apply: string, step: string): string {
  const body = APPLIES[apply] || (STEPS[step] ? `r.replace('context_switch', 'mmgrab_lazy', (k, x) => { ${STEPS[step]} });` : '');
  return [
    `import { NEXT, YIELD, type StepRegistry, type Kernel, type Ctx } from '${MODEL}';`,
    'void NEXT; void YIELD;',
    'export default {',
    `  ${IDS[id]}`,
    `  title: 'fuzz plugin',`,
    `  apply(r: StepRegistry, _k: Kernel) { void (null as unknown as Ctx); ${body} },`,
    '};',
    '',
  ].join('\n');
}

const pluginModule: fc.Arbitrary<Module> = fc
  .record({
    id: pick(IDS, ['user', 'user', 'none']),
    apply: pick(APPLIES, ['replace', 'replace', 'replace'], 'loops'),
    step: pick(STEPS, Object.keys(STEPS).filter((k) => k !== 'loops'), 'loops'),
  })
  .map((o) => ({ file: `plugin-${o.id}-${o.apply}-${o.step}.ts`, source: pluginSource(o.id, o.apply, o.step) }));

// ---- argument vectors ---------------------------------------------------------------------------

const ints = ['0', '1', '2', '3', '5', '-1', '4294967297', '1e3', 'x', '', '007', '99999999999999999999'];
const small = ['1', '2', '5', '20'];

const BAD_CONFIG: string[][] = [
  ['--arch', 'no-such-arch'], ['--arch', ''], ['--arch', '../x86'],
  ['--cpus', '0'], ['--cpus', '-1'], ['--cpus', 'x'], ['--cpus', '4294967297'], ['--cpus', '99'],
  ['--apply', 'lazy-mm/99'], ['--apply', 'lazy-mm:5-2'], ['--apply', 'no-series'], ['--apply', '@@'], ['--apply', ''], ['--apply', 'lazy-mm/16'],
  ['--set', 'NO_SUCH=y'], ['--set', 'memory_model=weird'], ['--set', 'x'], ['--set', '=y'],
  ['--drop-step', 'no.such'], ['--drop-step', 'nodot'], ['--without', 'lazy-mm/16'], ['--arch', 'x86', '--arch', 'x86'],
];
const GOOD_CONFIG: string[][] = [
  [], [], [], ['--arch', 'x86'], ['--arch', 'powerpc'], ['--apply', 'lazy-mm'], ['--apply', 'lazy-mm:1-3'], ['--apply', 'shoot-lazies'],
  ['--set', 'memory_model=tso'], ['--drop-step', 'context_switch.mmgrab_lazy'], ['--apply', 'lazy-mm', '--without', 'lazy-mm/23', '--force'],
];
/** Mostly a valid configuration (so the case reaches the model), sometimes one bad word in it. */
const configFlags: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...GOOD_CONFIG) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...GOOD_CONFIG), fc.constantFrom(...BAD_CONFIG)).map(([g, b]) => [...g, ...b]) },
);

const scheduleToken = fc.oneof(
  fc.record({ k: fc.constantFrom('', '', '', 'i', 'f', 'n', 'x'), c: fc.constantFrom(0, 1, 2, 3, 9, 4096), r: fc.constantFrom('', '', '*2', '*3', '*0', '*300000000', '*') })
    .map(({ k, c, r }) => `${k}${c}${r}`),
  fc.constantFrom('', '..', ' ', '0.', '-1'),
);
const schedule = fc.array(scheduleToken, { minLength: 0, maxLength: 12 }).map((t) => t.join('.'));

const builtinScenario = fc.constantFrom('lazy-exit', 'litmus-sb', 'kthread-use-mm', 'no-such-scenario', 'test/fixtures/broken-scenario.ts', 'missing.ts', '');

export const caseArb: fc.Arbitrary<Case> = fc.oneof(
  // run
  fc.record({
    sc: fc.oneof(builtinScenario, scenarioModule),
    plugin: fc.option(pluginModule, { nil: undefined }),
    cfg: configFlags,
    how: fc.oneof(fc.constantFrom('1', '2', '3', '1', ...ints).map((s) => ['--seed', s]), schedule.map((s) => ['--schedule', s]), fc.constant([] as string[])),
    lenient: fc.boolean(),
    json: fc.boolean(),
    trace: fc.constantFrom(null, null, null, `${WORK}/trace.txt`, WORK, `${WORK}/missing/t.txt`, ''),
    extra: fc.constantFrom([], [], [], [], ['extra'], ['--seed', '2']),
  }).map((o) => verbCase('run', o.sc, o.plugin, [...o.cfg, ...o.how, ...(o.lenient ? ['--lenient'] : []), ...(o.json ? ['--json'] : []), ...(o.trace !== null ? ['--trace', o.trace] : []), ...o.extra])),
  // explore
  fc.record({
    sc: fc.oneof(builtinScenario, scenarioModule),
    plugin: fc.option(pluginModule, { nil: undefined }),
    cfg: configFlags,
    strategy: fc.constantFrom(null, 'random', 'pct', 'dfs', 'verify', null, 'random', 'pct', 'dfs', 'verify', 'bogus'),
    budget: fc.constantFrom(...small, ...small, '0', 'x', '-3'),
    seed: fc.constantFrom(null, null, null, '1', '2', ...ints),
    json: fc.boolean(),
  }).map((o) => verbCase('explore', o.sc, o.plugin, [...o.cfg, ...(o.strategy ? ['--strategy', o.strategy] : []), '--budget', o.budget, ...(o.seed !== null ? ['--seed', o.seed] : []), ...(o.json ? ['--json'] : [])])),
  // bisect (a sampling strategy and a small budget: quick)
  fc.record({
    sc: fc.oneof(fc.constantFrom('lazy-exit', 'no-such-scenario'), scenarioModule),
    series: fc.constantFrom('shoot-lazies', 'shoot-lazies', 'lazy-mm', 'no-series', ''),
    budget: fc.constantFrom('1', '3', '0'),
    json: fc.boolean(),
  }).map((o) => verbCase('bisect', o.sc, undefined, ['--series', o.series, '--strategy', 'random', '--budget', o.budget, ...(o.json ? ['--json'] : [])])),
  // ab (short virtual windows)
  fc.record({
    w: fc.oneof(fc.constantFrom('context-switch', 'tlb-flush', 'no-such-workload'), scenarioModule),
    a: fc.constantFrom('--arch x86', '--arch x86', '--arch powerpc', '--apply no-series', '--bogus', ''),
    b: fc.constantFrom('--arch x86 --apply shoot-lazies', '--arch x86 --apply shoot-lazies', '--arch x86', '--cpus 0'),
    cpus: fc.constantFrom('1,2', '1,2', '1,2,3', null, '1', '0', '2000', 'a,b', '2,1'),
    runs: fc.constantFrom('1', '1', '2', '0'),
    out: fc.constantFrom(`${WORK}/out`, `${WORK}/out`, `${WORK}/out`, null, `${WORK}/trace-file`, WORK),
  }).map((o) => {
    // a sweep without --out writes into the working folder, which is this checkout here: give one
    const out = o.out ?? (o.cpus && o.cpus.includes(',') ? `${WORK}/out` : null);
    return verbCase('ab', o.w, undefined, ['--a', o.a, '--b', o.b, ...(o.cpus ? ['--cpus', o.cpus] : []), '--runs', o.runs, '--set', 'timing_duration_ns=4000', '--set', 'timing_warmup_ns=1000', ...(out ? ['--out', out] : [])]);
  }),
  // list
  fc.record({ what: fc.constantFrom('patches', 'series', 'arches', 'scenarios', 'hooks', 'bogus', ''), extra: fc.constantFrom([], ['extra']), plugin: fc.option(pluginModule, { nil: undefined }), json: fc.boolean() })
    .map((o) => {
      const mods = o.plugin ? [o.plugin] : [];
      return { argv: ['list', o.what, ...o.extra, ...(o.plugin ? ['--apply', MOD(o.plugin.file)] : []), ...(o.json ? ['--json'] : [])], modules: mods, note: 'list' };
    }),
  // new-arch: never a name that would be created (the checkout must stay as it is)
  fc.constantFrom('', 'X', '9p', '../x', 'x86', 'generic', 'index', 'lib', ''.padEnd(300, 'a'), 'a_b', '-a')
    .map((n) => ({ argv: n === '' ? ['new-arch'] : ['new-arch', n], modules: [], note: 'new-arch' })),
  // verify: names and regular expressions that match nothing, or are not expressions
  fc.constantFrom('(', 'no-such', '[z-a]', '*').map((s) => ({ argv: ['verify', s, '--budget', '10'], modules: [], note: 'verify' })),
  // anything else
  fc.constantFrom<string[][]>(['bogus'], ['--help'], ['run'], ['explore', '--budget'], ['--debug'], ['run', 'lazy-exit', '--watchdog', 'x'],
    // the declared command line's own words: --flag=value, per-verb help, completion, --version
    ['run', 'lazy-exit', '--seed=x'], ['run', 'lazy-exit', '--trace-format', 'svg'], ['run', 'lazy-exit', '--debug=1'], ['explore', 'lazy-exit', '--watchdog', '1', '--watchdog', '2'],
    ['completion', 'fish'], ['completion', 'bash'], ['help', 'nope'], ['help', 'run'], ['--version', 'x'], ['explore', '--help'], ['list', 'options', '--set', 'x=1'])
    .map((argv) => ({ argv: [...argv], modules: [], note: 'misc' })),
);

function verbCase(verb: string, sc: string | (Module & { name: string }), plugin: Module | undefined, rest: string[]): Case {
  const modules: Module[] = [];
  let scArg: string;
  if (typeof sc === 'string') scArg = sc;
  else { modules.push(sc); scArg = MOD(sc.file); }
  const argv = [verb, ...(scArg === '' ? [] : [scArg])];
  if (plugin) { modules.push(plugin); argv.push('--apply', MOD(plugin.file)); }
  return { argv: [...argv, ...rest], modules, note: verb };
}

/** Fill the placeholders: the work folder, module files under modDir, the model's index. */
export function materialize(c: Case, work: string, modDir: string, modelIndex: string): { argv: string[]; modules: Module[] } {
  const modPath = (f: string) => `${modDir}/${f}`;
  const fill = (s: string) => s.replaceAll(WORK, work).replace(/@MOD:([^@]+)@/g, (_, f: string) => modPath(f));
  return {
    argv: c.argv.map(fill),
    modules: c.modules.map((m) => ({ file: modPath(m.file), source: m.source.replaceAll(MODEL, modelIndex) })),
  };
}

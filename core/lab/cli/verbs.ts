// The command line, declared: every verb with its positionals, flags (type, range, whether it may be
// repeated), help text and examples. main.ts parses argv against this table (args.ts), prints
// --help from it, and loads a verb's module only when that verb runs; `lazymm completion` and the
// docs test read it too. This module imports nothing heavy: `lazymm --help` loads only it.
//
// To add a flag: add one FlagSpec line to the verb's `flags` (or to CONFIG_FLAGS for a config word
// every verb that builds a kernel takes) and read it in the verb as p.flags.get('--name') (string
// or int, validated here), p.bools.has('--name') (boolean) or p.lists.get('--name') (repeatable).
import type { Parsed } from './args.ts';

/** What a value completes to in the shell (completion.ts). */
export type Completion = 'scenario' | 'workload' | 'arch' | 'series' | 'patch' | 'spec' | 'option' | 'step' | 'file' | 'dir' | 'verb' | 'list';

export interface FlagSpec {
  /** without the leading dashes */
  name: string;
  type: 'string' | 'boolean' | 'int';
  /** the value's name in usage lines: N, FILE, SPEC... */
  arg?: string;
  help: string;
  /** may be given more than once (each value kept, in order) */
  repeatable?: boolean;
  /** int: inclusive range */
  min?: number;
  max?: number;
  /** string: the only values accepted */
  choices?: readonly string[];
  /** the value may start with a dash (--a "--arch x86") */
  dashValue?: boolean;
  /** a one-letter alias (-t for --threads, as will-it-scale spells it) */
  short?: string;
  complete?: Completion;
}

export interface VerbSpec {
  name: string;
  summary: string;
  /** the usage line after `lazymm ` */
  synopsis: string;
  positionals: { name: string; min: number; max: number; choices?: readonly string[]; complete?: Completion };
  flags: FlagSpec[];
  /** commands a user can paste (the docs test runs them) */
  examples: string[];
  /** more text for `lazymm VERB --help` */
  details?: string;
  load(): Promise<(p: Parsed) => Promise<number>>;
}

export const UINT32_MAX = 4294967295;

/** The configuration words: which kernel (arch, CPUs, patches, options). */
export const CONFIG_FLAGS: FlagSpec[] = [
  { name: 'arch', type: 'string', arg: 'NAME|PATH', help: 'architecture model (lazymm list arches) or a path to an arch module (default x86)', complete: 'arch' },
  { name: 'kernel', type: 'string', arg: 'VERSION', help: 'the kernel modelled, 6.14 or v5.16.0: only its code paths exist (default: the applied series\' base, else v5.16; lazymm list hooks)' },
  { name: 'cpus', type: 'int', arg: 'N', min: 1, max: 1024, help: 'number of CPUs (default: the scenario\'s; a timing workload: the machine profile\'s)' },
  { name: 'threads', short: 't', type: 'int', arg: 'N', min: 1, max: 8192, help: 'timing workloads: will-it-scale\'s -t, the number of tasks on the machine of --cpus CPUs (default: the workload\'s); more than the CPUs overcommits' },
  { name: 'apply', type: 'string', arg: 'SPEC', repeatable: true, help: 'apply patches: SERIES, SERIES:A-B, SERIES/N, or a path to a plugin module', complete: 'spec' },
  { name: 'without', type: 'string', arg: 'SPEC', repeatable: true, help: 'leave out patches applied by --apply', complete: 'patch' },
  { name: 'set', type: 'string', arg: 'NAME=VALUE', repeatable: true, help: 'set a declared option: Kconfig, model parameter or cost.* weight (lazymm list options)', complete: 'option' },
  { name: 'drop-step', type: 'string', arg: 'STEP', repeatable: true, help: 'build the kernel without one named step (hook.step or a unique step name)', complete: 'step' },
  { name: 'force', type: 'boolean', help: 'apply patches whose requires are missing, and Kconfig combinations Kconfig refuses' },
];

/** Flags every verb takes, read before the verb's own (globals.ts): the supervisor needs them before
 *  the model thread starts. Their environment forms: LAZYMM_DEBUG=1, LAZYMM_WATCHDOG=SECONDS. */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'debug', type: 'boolean', help: 'an internal error (exit 3) prints its stack' },
  { name: 'watchdog', type: 'string', arg: 'SECONDS', help: 'stop a step, setup(), forbid() or apply() that runs longer (default 5; module loads 3x, at least 15; 0 off)' },
];

const JSON_FLAG: FlagSpec = { name: 'json', type: 'boolean', help: 'print one JSON document on stdout' };
/** A violation signature (docs/oracles.md): only a matching report counts; others do not stop the search. */
const SIGNATURE_FLAGS = (what: string): FlagSpec[] => [
  { name: 'match', type: 'string', arg: 'REGEX', dashValue: true, help: `${what} a report whose message matches REGEX (JavaScript regular expression)` },
  { name: 'oracle', type: 'string', arg: 'NAME', help: `${what} a report of this oracle (kasan, lifetime, leak, dangling, warn, outcome...: docs/oracles.md)` },
];
const SEED: FlagSpec = { name: 'seed', type: 'int', arg: 'N', min: 0, max: UINT32_MAX, help: 'random seed (default 1)' };
const BUDGET = (what: string): FlagSpec => ({ name: 'budget', type: 'int', arg: 'N', min: 1, max: Number.MAX_SAFE_INTEGER, help: what });
export const STRATEGY_NAMES = ['random', 'pct', 'dfs', 'verify'] as const;
/** render/index.ts TRACE_FORMATS (not imported: this table must stay light) */
export const TRACE_FORMAT_NAMES = ['text', 'perfetto', 'ftrace', 'html'] as const;
/** --jobs and --shard: the verbs that run tasks (core/lab/parallel; docs/scale-out.md) */
export const PARALLEL_FLAGS: FlagSpec[] = [
  { name: 'jobs', type: 'int', arg: 'N', min: 1, max: 1024, help: 'worker threads (default: LAZYMM_JOBS, else the number of cores; 1: serial); the output does not depend on it' },
  { name: 'shard', type: 'string', arg: 'K/N', help: 'run share K of N of the work and print a partial result for `lazymm merge`' },
];
export const PARALLEL_VERB_NAMES = ['explore', 'verify', 'bisect', 'ab', 'matrix'] as const;
export const LIST_WHAT = ['patches', 'series', 'arches', 'scenarios', 'workloads', 'hooks', 'options'] as const;

export const VERBS: VerbSpec[] = [
  {
    name: 'list',
    summary: 'list patches, series, arches, scenarios, workloads, hooks or options',
    synopsis: `list ${LIST_WHAT.join('|')} [config] [--json]`,
    positionals: { name: 'what', min: 1, max: 1, choices: LIST_WHAT, complete: 'list' },
    flags: [JSON_FLAG, { name: 'scenario', type: 'string', arg: 'NAME|PATH', help: 'list hooks: build the kernel as for this scenario', complete: 'scenario' }, ...CONFIG_FLAGS],
    examples: ['lazymm list scenarios', 'lazymm list hooks --arch x86 --apply lazy-mm:1-16', 'lazymm list options --arch powerpc', 'lazymm list patches --json'],
    details: 'Config words are for `list hooks` (the steps of every kernel function, in order, with their owner) and `list options` (the options of that configuration, else all of them).',
    load: () => import('./list.ts').then((m) => m.cmdList),
  },
  {
    name: 'run',
    summary: 'run one execution (seeded random, or a replayed schedule) and show its trace on a violation',
    synopsis: 'run <scenario> [config] [--seed N | --schedule S] [--json] [--trace FILE [--trace-format text|perfetto|ftrace|html]]',
    positionals: { name: 'scenario', min: 1, max: 1, complete: 'scenario' },
    flags: [
      SEED,
      { name: 'schedule', type: 'string', arg: 'S', help: 'replay this schedule (printed by run/explore/bisect)' },
      { name: 'lenient', type: 'boolean', help: '--schedule: a schedule that ends before the execution goes on with default choices, one that runs past it loses its tail (refused otherwise)' },
      { name: 'trace', type: 'string', arg: 'FILE', help: 'write the whole trace to FILE', complete: 'file' },
      { name: 'trace-format', type: 'string', arg: 'F', choices: TRACE_FORMAT_NAMES, help: 'format of --trace: text (default), perfetto (Chrome trace-event JSON), ftrace (trace-cmd report lines), html (one self-contained page)' },
      JSON_FLAG, ...CONFIG_FLAGS,
    ],
    examples: ['lazymm run lazy-exit --seed 3', 'lazymm run lazy-switch-exit --arch x86 --apply lazy-mm --json'],
    load: () => import('./run.ts').then((m) => m.cmdRun),
  },
  {
    name: 'explore',
    summary: 'search interleavings for a violation (random, PCT, bounded DFS or exhaustive verify)',
    synopsis: 'explore <scenario> [config] [--strategy random|pct|dfs|verify] [--budget N] [--seed N] [--match REGEX] [--oracle NAME] [--json] [--trace FILE [--trace-format F]]',
    positionals: { name: 'scenario', min: 1, max: 1, complete: 'scenario' },
    flags: [
      { name: 'strategy', type: 'string', arg: 'S', choices: STRATEGY_NAMES, help: 'search strategy (default: the scenario\'s, else dfs)' },
      BUDGET('schedules to explore (verify: states to store; default: the scenario\'s)'),
      SEED,
      { name: 'preemptions', type: 'int', arg: 'N', min: 0, max: 64, help: 'dfs: preemption bound (default 2)' },
      { name: 'storage', type: 'string', arg: 'KIND', choices: ['exact', 'hash-compact', 'bitstate'], help: 'verify: visited-state storage (default exact)' },
      { name: 'bitstate-bits', type: 'int', arg: 'N', min: 8, max: 34, help: 'verify --storage bitstate: log2 of the bit table (default 30)' },
      { name: 'shortest', type: 'boolean', help: 'verify: keep searching for the shortest counterexample' },
      { name: 'search', type: 'string', arg: 'ORDER', choices: ['dfs', 'bfs'], help: 'verify: dfs (default, one thread) or bfs (breadth-first over a visited set hash-partitioned among --jobs threads)' },
      { name: 'trace', type: 'string', arg: 'FILE', help: 'write the counterexample\'s trace to FILE', complete: 'file' },
      { name: 'trace-format', type: 'string', arg: 'F', choices: TRACE_FORMAT_NAMES, help: 'format of --trace: text (default), perfetto (Chrome trace-event JSON), ftrace (trace-cmd report lines), html (one self-contained page)' },
      ...SIGNATURE_FLAGS('look only for'),
      JSON_FLAG, ...PARALLEL_FLAGS, ...CONFIG_FLAGS,
    ],
    examples: [
      'lazymm explore kthread-use-mm --arch x86 --strategy verify',
      'lazymm explore kthread-use-mm --arch x86 --strategy verify --search bfs --jobs 2',
      'lazymm explore lazy-exit --arch x86 --strategy pct --budget 600 --shard 2/3',
      'lazymm explore lazy-switch-exit --arch x86 --apply lazy-mm --budget 2000',
      'lazymm explore lazy-exit --drop-step context_switch.mmgrab_lazy',
    ],
    load: () => import('./run.ts').then((m) => m.cmdExplore),
  },
  {
    name: 'verify',
    summary: 'check every built-in scenario\'s stated expectations (herd7-style table)',
    synopsis: 'verify [SCENARIO|REGEX ...] [--budget STATES] [--json]',
    positionals: { name: 'scenario', min: 0, max: Infinity, complete: 'scenario' },
    flags: [BUDGET('states per expectation (default 2000000)'), JSON_FLAG, ...PARALLEL_FLAGS],
    examples: ['lazymm verify litmus-sb', "lazymm verify 'litmus-.*' --budget 100000", "lazymm verify 'litmus-.*' --jobs 2"],
    details: 'Exit 1 when a verdict contradicts its stated expectation.',
    load: () => import('./verify.ts').then((m) => m.cmdVerify),
  },
  {
    name: 'bisect',
    summary: 'find the patch of a series that makes a violation (or a metric) appear or disappear',
    synopsis: 'bisect <scenario> --series ID [config] [--budget N] [--strategy S] [--match REGEX] [--oracle NAME] [--metric NAME] [--runs N] [--json]',
    positionals: { name: 'scenario', min: 1, max: 1, complete: 'scenario' },
    flags: [
      { name: 'series', type: 'string', arg: 'ID', help: 'the series to bisect (lazymm list series); required', complete: 'series' },
      BUDGET('schedules (or states) per configuration'),
      SEED,
      { name: 'strategy', type: 'string', arg: 'S', choices: ['auto', ...STRATEGY_NAMES], help: 'auto (default): verify when the state space fits, else the scenario\'s strategy' },
      { name: 'metric', type: 'string', arg: 'NAME', help: 'bisect a timing metric of a workload instead of a violation' },
      { name: 'runs', type: 'int', arg: 'N', min: 1, max: 10000, help: '--metric: timing runs per configuration (default 3)' },
      ...SIGNATURE_FLAGS('a configuration is bad only with'),
      JSON_FLAG, ...PARALLEL_FLAGS, ...CONFIG_FLAGS,
    ],
    examples: [
      'lazymm bisect lazy-switch-exit --series lazy-mm --arch x86',
      'lazymm bisect exit-mm-leak --series lazy-mm --arch x86 --jobs 2',
      'lazymm bisect context-switch --series lazy-mm --arch x86 --cpus 8 --metric context_switches_per_s --runs 2',
    ],
    details: 'A configuration is BAD when it reports the signature (--match/--oracle, else the headline found at the bad end, numbers wildcarded), other when it reports only something else, good when it reports nothing. Exit 0 whatever the verdicts (the result is in the output); 2 bad input.',
    load: () => import('./bisect.ts').then((m) => m.cmdBisect),
  },
  {
    name: 'ab',
    summary: 'compare two configurations on a workload with the timing simulator (LKP-style table)',
    synopsis: 'ab <workload> --a CONFIG --b CONFIG [config] [--cpus LIST] [--threads|-t LIST] [--runs N] [--seed N] [--out DIR] [--log-y|--linear-y] [--json]',
    positionals: { name: 'workload', min: 1, max: 1, complete: 'workload' },
    flags: [
      { name: 'a', type: 'string', arg: 'CONFIG', dashValue: true, help: 'configuration A, config words in one quoted string ("--arch x86")' },
      { name: 'b', type: 'string', arg: 'CONFIG', dashValue: true, help: 'configuration B ("--arch x86 --apply lazy-mm")' },
      { name: 'cpus', type: 'string', arg: 'LIST', help: 'machine size in CPUs (default: the machine profile\'s): 8, or a sweep 1,2,4,...,192 (writes a CSV, an SVG and a text plot)' },
      { name: 'threads', short: 't', type: 'string', arg: 'LIST', help: 'will-it-scale -t on that machine: 24, or a sweep 1,2,3,6,12,...,192; a point the workload has a published figure for prints it beside the model\'s' },
      { name: 'runs', type: 'int', arg: 'N', min: 1, max: 10000, help: 'seeded runs per side (default 3)' },
      SEED,
      { name: 'out', type: 'string', arg: 'DIR', help: 'where a sweep writes its CSV and SVG (default .)', complete: 'dir' },
      { name: 'log-y', type: 'boolean', help: 'sweep plot: logarithmic y axis (default: when the values span more than 10x)' },
      { name: 'linear-y', type: 'boolean', help: 'sweep plot: linear y axis' },
      JSON_FLAG, ...PARALLEL_FLAGS,
      ...CONFIG_FLAGS.filter((f) => f.name !== 'cpus' && f.name !== 'threads'),
    ],
    examples: [
      'lazymm ab context-switch --a "--arch x86" --b "--arch x86 --apply lazy-mm" --cpus 8 --runs 2',
      'lazymm ab context-switch --a "--arch x86" --b "--arch x86 --apply lazy-mm" --threads 24 --runs 2',
      'lazymm ab context-switch --a "--arch powerpc" --b "--arch powerpc --apply shoot-lazies" --cpus 16 --runs 2',
    ],
    details: 'Workloads: lazymm list workloads. Config words outside --a/--b apply to both sides. --cpus is the machine (default: the machine profile\'s, 384 for x86\'s epyc-9654-2s), --threads the workload on it (docs/calibration.md); sweep one of them.',
    load: () => import('./ab.ts').then((m) => m.cmdAb),
  },
  {
    name: 'matrix',
    summary: 'the regression matrix: scenarios x arches x series prefixes, verified or sampled, one herd-style table',
    synopsis: 'matrix [SCENARIO|REGEX ...] [--arch LIST] [--series LIST] [--mode verify|sample] [--budget N] [--verify-budget STATES] [config] [--json] [--jobs N] [--shard K/N]',
    positionals: { name: 'scenario', min: 0, max: Infinity, complete: 'scenario' },
    flags: [
      { name: 'arch', type: 'string', arg: 'LIST', help: 'arches, comma-separated (default: those the scenario\'s expectations name)', complete: 'arch' },
      { name: 'series', type: 'string', arg: 'LIST', help: 'series whose prefixes k = 0..n to walk, comma-separated (default: those the expectations apply)', complete: 'series' },
      { name: 'mode', type: 'string', arg: 'M', choices: ['verify', 'sample'], help: 'verify (default): exhaustive when it fits --verify-budget, else the scenario\'s sampling; sample: sampling only' },
      BUDGET('schedules of the scenario\'s sampling per cell (default: the scenario\'s, else 5000)'),
      { name: 'verify-budget', type: 'int', arg: 'STATES', min: 1, max: Number.MAX_SAFE_INTEGER, help: 'states of the exhaustive search per cell (default 1000000)' },
      JSON_FLAG, ...PARALLEL_FLAGS,
      ...CONFIG_FLAGS.filter((f) => f.name !== 'arch'),
    ],
    examples: ['lazymm matrix exit-mm-leak', 'lazymm matrix exit-mm-leak --mode sample --budget 200 --shard 1/2'],
    details: 'Exit 1 when a cell contradicts its scenario\'s stated expectation. docs/scale-out.md runs it as a CI matrix, a Kubernetes Indexed Job or a Slurm array.',
    load: () => import('./matrix.ts').then((m) => m.cmdMatrix),
  },
  {
    name: 'merge',
    summary: 'merge the partial results of --shard 1/N .. N/N into what the unsharded command prints',
    synopsis: 'merge [--json] PARTIAL...',
    positionals: { name: 'partial', min: 1, max: Infinity, complete: 'file' },
    flags: [{ name: 'json', type: 'boolean', help: 'print the JSON document even if the sharded command was not given --json' }],
    examples: [],
    details: 'Exit 2 naming the shard when one is missing, given twice, cut short, or from another command; otherwise the exit code of the unsharded command.',
    load: async () => async () => 0, // answered by main.ts (it runs the command on the partials)
  },
  {
    name: 'new-arch',
    summary: 'scaffold arches/<name>.ts from the generic template and register it',
    synopsis: 'new-arch <name>',
    positionals: { name: 'name', min: 1, max: 1 },
    flags: [],
    examples: ['lazymm new-arch riscv'],
    details: 'Then: lazymm explore lazy-exit --arch <name>; CONFORMANCE_ARCH=<name> npx vitest run test/conformance.test.ts (docs/arch-tutorial.md).',
    load: () => import('./new-arch.ts').then((m) => m.cmdNewArch),
  },
  {
    name: 'completion',
    summary: 'print a shell completion script (bash or zsh)',
    synopsis: 'completion bash|zsh',
    positionals: { name: 'shell', min: 1, max: 1, choices: ['bash', 'zsh'] },
    flags: [],
    examples: ['lazymm completion bash', 'lazymm completion zsh'],
    details: 'bash: eval "$(lazymm completion bash)" in ~/.bashrc. zsh: lazymm completion zsh > "${fpath[1]}/_lazymm".',
    load: () => import('./completion.ts').then((m) => m.cmdCompletion),
  },
  {
    name: 'help',
    summary: 'help on a verb',
    synopsis: 'help [VERB]',
    positionals: { name: 'verb', min: 0, max: 1, complete: 'verb' },
    flags: [],
    examples: ['lazymm help explore'],
    load: async () => async () => 0, // answered by main.ts
  },
];

export function findVerb(name: string): VerbSpec | undefined {
  return VERBS.find((v) => v.name === name);
}

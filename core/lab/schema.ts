// What a user's scenario, plugin or arch module must look like, as valibot schemas: an unknown
// field, a wrong shape, an unknown op or a CPU that does not exist is refused with one line naming
// the file and the field (exit 2). valibot rather than zod: it is modular (only the validators
// used are bundled, a few kB), has no dependencies, and its issues carry the path we print.
// The scenario's setup() is checked as it runs: threads, kthreads and NMIs are validated when the
// builder is called (the first time for each kernel), against the configuration's CPU count.
import * as v from 'valibot';
import { FN_DECLS, type ArchPlugin, type Kernel, type PatchDef, type ScenarioBuilder, type ScenarioDef } from '../model/index.ts';
import { UsageError } from './errors.ts';

const int = (min = 0, max = Number.MAX_SAFE_INTEGER) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const fn = v.function();

const optionDecl = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'an option name is letters, digits, _ and .')),
  type: v.picklist(['bool', 'enum', 'int', 'number']),
  values: v.optional(v.array(v.string())),
  min: v.optional(v.number()),
  max: v.optional(v.number()),
  default: v.string(),
  help: v.string(),
});

const cpusShape = v.pipe(
  v.strictObject({ default: int(1, 1024), min: int(1, 1024), max: int(1, 1024) }),
  v.check((c) => c.min <= c.default && c.default <= c.max, 'cpus needs min <= default <= max'),
);

export const scenarioSchema = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'a scenario name is letters, digits, _ . : and -')),
  description: v.string(),
  cpus: v.optional(cpusShape),
  memoryModel: v.optional(v.picklist(['sc', 'tso'])),
  params: v.optional(v.record(v.string(), v.string())),
  options: v.optional(v.array(optionDecl)),
  strategy: v.optional(v.picklist(['random', 'pct', 'dfs'])),
  budget: v.optional(int(1)),
  pctDepth: v.optional(int(1)),
  maxSteps: v.optional(int(1)),
  setup: fn,
  forbid: v.optional(fn),
  expect: v.optional(v.array(v.strictObject({
    config: v.string(),
    verdict: v.picklist(['never', 'sometimes', 'clean', 'violation']),
    oracle: v.optional(v.string()),
    why: v.optional(v.string()),
  }))),
  published: v.optional(v.array(v.strictObject({
    label: v.string(),
    what: v.string(),
    source: v.string(),
    machine: v.string(),
    metric: v.string(),
    changePct: v.record(v.pipe(v.string(), v.regex(/^[1-9][0-9]*$/, 'a task count')), v.number()),
  }))),
});

export const pluginSchema = v.strictObject({
  id: v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/, 'a plugin id is letters, digits and _ . : / -')),
  title: v.optional(v.string()),
  apply: fn,
  requires: v.optional(v.array(v.string())),
  effect: v.optional(v.picklist(['none', 'behaviour'])),
  seed: v.optional(v.string()),
  series: v.optional(v.string()),
  index: v.optional(int()),
  options: v.optional(v.array(optionDecl)),
});

export const archSchema = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9.-]*$/, 'an arch name is lowercase letters, digits, . and -')),
  description: v.string(),
  kernels: v.string(),
  mmCpumaskExact: v.boolean(),
  flushIpisReachLazy: v.picklist(['always', 'never', 'freed_tables']),
  exitShootsLazies: v.boolean(),
  asids: v.boolean(),
  mmuGather: v.picklist(['gather', 'immediate']),
  lazyMmu: v.boolean(),
  syncCore: v.picklist(['iret', 'exception-return', 'none']),
  wantIrqsOffActivateMm: v.boolean(),
  state: v.optional(v.record(v.string(), v.string())),
  hwLoadedMm: fn,
  mayWalk: v.optional(fn),
  apply: fn,
  boot: v.optional(fn),
  costs: v.record(v.string(), v.number()),
  options: v.optional(v.array(optionDecl)),
  tlbFlush: v.optional(v.picklist(['ipi', 'broadcast', 'hypercall', 'mixed'])),
  loadedMm: v.optional(fn),
  inSwitchWindow: v.optional(fn),
  lazyMmuState: v.optional(fn),
});

// ---- ops ----------------------------------------------------------------------------------------
// The fields of the built-in ops (OpMap in core/model/program.ts, page/index.ts, baseline/lazy_mmu.ts,
// scenarios/perf/ops.ts). An op a user module adds (opFns + an OpMap augmentation) is known by its
// declared sys_<op> function and checked for its name only.
const s = v.string();
const opt = v.optional;
const opSchemas: Record<string, v.ObjectEntries> = {
  touch: {}, sleep: {}, wait: {}, exit: {}, exec: {}, munmap: {}, madvise_dontneed: {}, membarrier: {},
  kthread_unuse_mm: {}, text_poke: {}, efi_call: {}, cpuidle_tlb_flushed: {}, mmap_region: {}, compute: {},
  store: { v: v.picklist(['x', 'y']), val: v.number() },
  load: { v: v.picklist(['x', 'y']), reg: s },
  wake: { task: s }, clone: { task: s },
  kthread_use_mm: { mm: s }, mmget_not_zero: { mm: s }, mmput: { mm: s }, mmdrop: { mm: s },
  cpu_down: { cpu: int() }, cpu_up: { cpu: int() },
  user_write: { map: s, page: opt(int()), val: v.number() },
  user_read: { map: s, page: opt(int()) },
  msync: { map: s }, fadvise_dontneed: { file: s },
  reclaim: { map: s, page: opt(int()) },
  gup_fast: { map: s, page: opt(int()), write: opt(v.boolean()) },
  apply_to_page_range: { ptes: opt(int(1)) }, pagemap_scan: { ptes: opt(int(1)) },
  loop: { to: int(), times: opt(int()), ops: opt(v.boolean()) },
  pipe_write: { pipe: s }, pipe_read: { pipe: s },
  spawn: { prog: v.lazy(() => progSchema), notifyParent: opt(v.boolean()) },
};
const knownOp = (op: string) => op in opSchemas || FN_DECLS.some((d) => d.name === `sys_${op}`);
const opSchema: v.GenericSchema = v.pipe(
  v.looseObject({ op: v.pipe(v.string(), v.check(knownOp, (i) => `unknown op '${i.input}'`)) }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const o = dataset.value as { op: string };
    const entries = opSchemas[o.op];
    if (!entries) return; // a user's op: its name is declared, its fields are its own business
    const r = v.safeParse(v.strictObject({ op: v.string(), ...entries }), o);
    for (const i of r.issues ?? []) addIssue({ message: i.message, path: i.path as never });
  }),
);
const progSchema: v.GenericSchema = v.array(opSchema);

/** One line for the first issue: "cpus.default: Invalid type: ...", "prog[2].op: unknown op 'x'" */
function firstIssue(issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]], prefix = ''): string {
  const i = issues[0];
  let where = prefix;
  for (const item of i.path ?? []) {
    const key = (item as { key: unknown }).key;
    where += typeof key === 'number' ? `[${key}]` : `${where ? '.' : ''}${String(key)}`;
  }
  const msg = /^Invalid key: Expected never/.test(i.message) ? 'unknown field'
    : /^Invalid key: .* but received undefined$/.test(i.message) ? 'missing (required)' : i.message;
  return `${where ? `${where}: ` : ''}${msg}`;
}

function check<T>(schema: v.GenericSchema, value: unknown, what: string): T {
  if (value === null || typeof value !== 'object') throw new UsageError(`${what}: the default export must be an object, not ${value === null ? 'null' : typeof value}`);
  const r = v.safeParse(schema, value);
  if (!r.success) throw new UsageError(`${what}: ${firstIssue(r.issues)}`);
  return value as T;
}

export function checkPlugin(value: unknown, file: string): Partial<PatchDef> & Pick<PatchDef, 'apply'> {
  return check(pluginSchema, value, `plugin '${file}'`);
}

export function checkArch(value: unknown, file: string): ArchPlugin {
  return check(archSchema, value, `arch '${file}'`);
}

/** A user scenario, checked; its setup() runs with a builder that checks what it is given. */
export function checkScenario(value: unknown, file: string): ScenarioDef {
  const sc = check<ScenarioDef>(scenarioSchema, value, `scenario '${file}'`);
  const checked = new WeakSet<Kernel>();
  return {
    ...sc,
    setup(b: ScenarioBuilder) {
      if (checked.has(b.k)) return sc.setup(b);
      checked.add(b.k);
      sc.setup(checkingBuilder(b, `scenario '${file}'`));
    },
  };
}

/** The builder, with thread/kthread/nmi arguments checked before they reach the model. */
export function checkingBuilder(b: ScenarioBuilder, what: string): ScenarioBuilder {
  const cpu = (who: string, c: unknown) => {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= b.cpus)
      throw new UsageError(`${what}: ${who}: cpu ${String(c)} does not exist (the configuration has ${b.cpus} CPUs: 0-${b.cpus - 1})`);
  };
  const prog = (who: string, p: unknown) => {
    const r = v.safeParse(progSchema, p);
    if (!r.success) throw new UsageError(`${what}: ${who}: ${firstIssue(r.issues, 'prog')}`);
    for (const [i, op] of (p as { op: string; cpu?: number }[]).entries())
      if ((op.op === 'cpu_down' || op.op === 'cpu_up') && op.cpu! >= b.cpus) cpu(`${who}: prog[${i}] ${op.op}`, op.cpu);
  };
  const threadOpts = v.strictObject({ mm: v.string(), cpu: v.unknown(), prog: v.unknown(), started: v.optional(v.boolean()) });
  const kthreadOpts = v.strictObject({ cpu: v.unknown(), prog: v.unknown(), pins: v.optional(v.array(v.string())) });
  const opts = (schema: v.GenericSchema, who: string, o: unknown) => {
    const r = v.safeParse(schema, o);
    if (!r.success) throw new UsageError(`${what}: ${who}: ${firstIssue(r.issues)}`);
  };
  return new Proxy(b, {
    get(target, key) {
      if (key === 'thread') return (n: string, o: Parameters<ScenarioBuilder['thread']>[1]) => {
        const who = `thread '${n}'`;
        opts(threadOpts, who, o);
        cpu(who, o.cpu);
        prog(who, o.prog);
        return target.thread(n, o);
      };
      if (key === 'kthread') return (n: string, o: Parameters<ScenarioBuilder['kthread']>[1]) => {
        const who = `kthread '${n}'`;
        opts(kthreadOpts, who, o);
        cpu(who, o.cpu);
        prog(who, o.prog);
        return target.kthread(n, o);
      };
      if (key === 'nmi') return (c: number, count?: number) => {
        cpu('nmi', c);
        if (count !== undefined && (!Number.isInteger(count) || count < 0)) throw new UsageError(`${what}: nmi: count must be a non-negative integer, not ${count}`);
        return target.nmi(c, count);
      };
      const x = Reflect.get(target, key, target);
      return typeof x === 'function' ? x.bind(target) : x;
    },
  });
}

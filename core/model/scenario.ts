// Scenarios describe workloads: CPUs, processes, threads, kthreads, their programs, NMIs. They never
// describe interleavings: the explorer finds those.
import type { Kernel, Params } from './kernel.ts';
import { H } from './fns.ts';
import type { Op } from './program.ts';
import { ScenarioError, UsageError } from './errors.ts';
import { watchEnter, watchLeave, watchLabel, WK_SETUP } from './watch.ts';
import { newMm, newTask } from './baseline/boot.ts';
import * as L from './layout.ts';
import { refAdd, pin, REF_COUNT, REF_USERS } from './ownership.ts';
import type { OptionDecl } from './options.ts';

export interface Expectation {
  /** config words, as on the command line: "--apply lazy-mm --without lazy-mm/21 --force" */
  config: string;
  /** As herd7 litmus tests state outcomes: 'never' (no reachable state violates: the exhaustive
   *  search verifies it; the test suite requires that it completes), 'sometimes' (a violation is
   *  reachable: some search finds it). 'clean' is for state spaces the exhaustive search does not
   *  finish within the test suite's time: it is checked by sampling (the scenario's strategy and
   *  budget), and reports say so. 'violation' is an older spelling of 'sometimes'. */
  verdict: 'never' | 'sometimes' | 'clean' | 'violation';
  /** for a violation: which oracle must report it */
  oracle?: string;
  why?: string;
}

export interface ScenarioDef {
  name: string;
  description: string;
  cpus?: { default: number; min: number; max: number };
  memoryModel?: 'sc' | 'tso';
  /** model parameters this scenario sets by default (a --set overrides) */
  params?: Params;
  /** the parameters this scenario's setup() reads (b.param): --set accepts them for it */
  options?: OptionDecl[];
  /** default exploration strategy and schedule budget for explore/bisect */
  strategy?: 'random' | 'pct' | 'dfs';
  budget?: number;
  /** PCT's depth d (Burckhardt et al.): a bug that needs d ordering constraints is found with d-1
   *  priority change points (default 3) */
  pctDepth?: number;
  maxSteps?: number;
  setup(b: ScenarioBuilder): void;
  /** A forbidden final state (litmus style): return a message if this execution ended in it.
   *  Checked at quiescence by the 'outcome' oracle. */
  forbid?(s: FinalState): string | null;
  expect?: Expectation[];
  /** Published A/B figures for this workload (timing workloads): `lazymm ab` prints the model's
   *  %change beside them at the points they cover. */
  published?: PublishedChange[];
}

/** A published %change of one kernel over another on this workload, by task count (will-it-scale
 *  -t): what the model's A/B is compared with. */
export interface PublishedChange {
  /** a short name for tables ("Desnoyers 2024: hazard-pointer lazy mm over v6.11.1") */
  label: string;
  /** the change measured: which patch over which base */
  what: string;
  /** where it was published, and the method */
  source: string;
  /** the machine profile (timing/profile.ts) of the machine it was measured on */
  machine: string;
  /** the model metric it corresponds to */
  metric: string;
  /** %change of the patched kernel over the base, by -t */
  changePct: Record<number, number>;
}

/** What forbid() can look at once an execution is over. */
export interface FinalState {
  /** a user register loaded by a task's `load` op (undefined if never loaded) */
  reg(task: string, reg: string): number | undefined;
}

export function defineScenario(s: ScenarioDef): ScenarioDef {
  return s;
}

/** membarrier: registered for MEMBARRIER_CMD_PRIVATE_EXPEDITED before the scenario starts;
 *  'sync_core': for MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE as well. */
export interface ProcessOpts { membarrier?: boolean | 'sync_core' }

/** The API a scenario's setup() uses. Names are what traces print. */
export class ScenarioBuilder {
  constructor(readonly k: Kernel) {}
  get cpus(): number {
    return this.k.ncpus;
  }
  param(name: string, dflt: string): string {
    return this.k.param(name, dflt);
  }

  /** A process: an mm with no threads yet (mm_users counts its threads). */
  process(name: string, o: ProcessOpts = {}): string {
    const mm = newMm(this.k, name, 0);
    if (o.membarrier) {
      // membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) done before the scenario starts.
      this.k.m.mem[mm + L.MM_MEMBARRIER_STATE] = L.MEMBARRIER_STATE_PRIVATE_EXPEDITED | L.MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY;
      if (o.membarrier === 'sync_core')
        this.k.m.mem[mm + L.MM_MEMBARRIER_STATE] |= L.MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE | L.MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY;
    }
    return name;
  }

  /** A user thread of `mm` on `cpu`. started=false: it is created by another thread's clone op. */
  thread(name: string, o: { mm: string; cpu: number; prog: Op[]; started?: boolean }) {
    const mm = this.mmNamed(name, o.mm);
    const started = o.started !== false;
    this.checkCpu(name, o.cpu);
    const t = newTask(this.k, name, { kthread: false, cpu: o.cpu, mm: started ? mm : 0, prog: o.prog, started });
    if (started) {
      this.k.m.mem[mm + L.MM_USERS]++;
      refAdd(this.k, mm, REF_USERS, t.ref + L.T_MM, 'setup');
    }
  }

  /** A kernel thread. `pins`: mms it holds an mm_count reference on from the start (mmgrab'd
   *  by whoever created it, as io_uring or vhost do), released by its `mmdrop` op. */
  kthread(name: string, o: { cpu: number; prog: Op[]; pins?: string[] }) {
    this.checkCpu(name, o.cpu);
    const t = newTask(this.k, name, { kthread: true, cpu: o.cpu, mm: 0, prog: o.prog });
    for (const p of o.pins ?? []) {
      const mm = this.mmNamed(name, p);
      this.k.m.mem[mm + L.MM_COUNT]++;
      t.pin(mm);
      refAdd(this.k, mm, REF_COUNT, pin(t.tid), 'setup (pin)');
    }
  }

  /** Allow up to `count` NMIs on `cpu`, at whatever points the explorer picks. */
  nmi(cpu: number, count = 1) {
    this.checkCpu('nmi', cpu);
    this.k.cpus[cpu].nmiBudget = count;
  }

  private mmNamed(what: string, name: string): number {
    if (!this.k.mmList().some((m) => m.name === name))
      throw new ScenarioError(`${what}: no mm named '${name}' (create it first with process('${name}'); mms: ${this.k.mmList().map((m) => m.name).join(', ')})`);
    return this.k.mmByName(name);
  }

  private checkCpu(what: string, cpu: number) {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.k.ncpus)
      throw new ScenarioError(`${what}: cpu ${cpu} does not exist (the configuration has ${this.k.ncpus} CPU${this.k.ncpus === 1 ? '' : 's'})`);
  }
}

/** Run the scenario's setup() on a booted kernel. A setup that throws, or a workload that names a
 *  CPU, mm, task or operation that does not exist, is the scenario's error (ScenarioError: exit 2),
 *  found here rather than as a crash in the middle of a run. */
export function buildScenario(k: Kernel, sc: ScenarioDef) {
  if (k.ncpus < 1) throw new ScenarioError(`scenario '${sc.name}': ${k.ncpus} CPUs (a configuration has at least 1)`);
  const prev = watchEnter(WK_SETUP, scenarioLabel(sc));
  try {
    sc.setup(new ScenarioBuilder(k));
  } catch (e) {
    // a user scenario's checking builder (core/lab/schema.ts) names the file itself
    if (e instanceof UsageError && !(e instanceof ScenarioError)) throw e;
    const why = e instanceof ScenarioError ? e.message : `setup() failed: ${e instanceof Error ? e.message : `threw ${String(e)}`}`;
    throw new ScenarioError(`scenario '${sc.name}': ${why}`);
  } finally {
    watchLeave(prev);
  }
  // The workload is the same in every run of a kernel: check its names once.
  if (checked.get(k) !== sc) {
    checkWorkload(k, sc);
    checked.set(k, sc);
  }
}

const checked = new WeakMap<Kernel, ScenarioDef>();
const labels = new WeakMap<ScenarioDef, number>();

/** The watchdog's label of a scenario (per run: kept, not rebuilt). */
export function scenarioLabel(sc: ScenarioDef): number {
  let l = labels.get(sc);
  if (l === undefined) { l = watchLabel(`scenario ${sc.name}`); labels.set(sc, l); }
  return l;
}

/** Names in the programs' operations: `task` a task of the scenario, `mm` one of its mms, `cpu` a
 *  CPU of the configuration, `op` a declared operation (nested programs as well). */
function checkWorkload(k: Kernel, sc: ScenarioDef) {
  const mms = new Set(k.mmList().map((m) => m.name));
  const tasks = new Set<string>();
  for (let i = 0; i < k.taskCount(); i++) tasks.add(k.tasks[i].name);
  const bad = (task: string, i: number, what: string) => {
    throw new ScenarioError(`scenario '${sc.name}': task ${task}, op ${i + 1}: ${what}`);
  };
  const walk = (task: string, prog: readonly Op[], depth: number) => {
    if (!Array.isArray(prog)) bad(task, 0, 'its program is not an array of operations');
    prog.forEach((op, i) => {
      const o = op as unknown as Record<string, unknown>;
      if (!o || typeof o !== 'object' || typeof o.op !== 'string') return bad(task, i, `not an operation (${JSON.stringify(op) ?? String(op)})`);
      if ((H as Record<string, number>)[`sys_${o.op}`] === undefined) bad(task, i, `no operation '${o.op}'`);
      if (typeof o.task === 'string' && !tasks.has(o.task)) bad(task, i, `${o.op} names task '${o.task}', which the scenario does not create (tasks: ${[...tasks].filter((t) => !t.startsWith('swapper/')).join(', ') || 'none'})`);
      if (typeof o.mm === 'string' && !mms.has(o.mm)) bad(task, i, `${o.op} names mm '${o.mm}', which the scenario does not create (mms: ${[...mms].join(', ')})`);
      if ('cpu' in o && (!Number.isInteger(o.cpu) || (o.cpu as number) < 0 || (o.cpu as number) >= k.ncpus)) bad(task, i, `${o.op} names cpu ${String(o.cpu)}, which does not exist (the configuration has ${k.ncpus} CPUs)`);
      if (Array.isArray(o.prog) && depth < 8) walk(`${task} (${o.op} at op ${i + 1})`, o.prog as Op[], depth + 1);
    });
  };
  for (let i = 0; i < k.taskCount(); i++) walk(k.tasks[i].name, k.tasks[i].prog, 0);
}

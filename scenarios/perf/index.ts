// Performance workloads, shaped after will-it-scale (antonblanchard/will-it-scale, anchors-upstream
// §8): N tasks (will-it-scale's -t N, `--threads N`, by default one per CPU) bound as will-it-scale
// binds them, each counting iterations. They are scenarios like the race scenarios (same
// ScenarioDef, same kernel model) but run by the timing driver (`lazymm ab`, `lazymm bisect
// --metric`), not listed for the explorer: they loop until the measured window ends.
//
// Window: --set timing_warmup_ns=N --set timing_duration_ns=N (virtual time).
import { defineScenario, type ScenarioDef, type ScenarioBuilder, type Op, type OptionDecl } from '../../core/model/index.ts';
import { profileFor } from '../../core/model/drivers/timing/profile.ts';

import { makePipe } from './ops.ts';
import './ops.ts';

const ANY = { default: 8, min: 1, max: 1024 };

/** --threads N (-t N), as will-it-scale's -t: every workload reads it (threadsOf). */
const THREADS: OptionDecl = { name: 'threads', type: 'int', min: 1, max: 8192, default: 'the workload\'s (the machine full)', help: 'will-it-scale -t: tasks (context-switch: pairs) on the machine, placed one per core first, then on the SMT siblings; more than the CPUs overcommits (--threads N sets it)' };

/** will-it-scale's -t: `--threads N` (`--set threads=N`), else `dflt` (the machine full). */
function threadsOf(b: ScenarioBuilder, dflt: number): number {
  const v = b.param('threads', '');
  if (v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`threads must be a positive integer, not '${v}'`);
  return n;
}

/** The machine's cores in hwloc's logical order (the model numbers CPUs core by core, SMT siblings
 *  adjacent: cpu = core * tpc + thread; a partial last core has fewer threads). */
function machine(b: ScenarioBuilder) {
  const tpc = profileFor(b.k.arch.name, b.k.params).threadsPerCore;
  const n = b.cpus;
  const ncores = Math.ceil(n / tpc);
  /** thread j of core c, or thread 0 where the core has no thread j */
  const pu = (c: number, j: number) => (c * tpc + j < n ? c * tpc + j : c * tpc);
  return { n, tpc, ncores, pu };
}

/** will-it-scale main.c binds task i to hwloc core i % ncores (all its threads): one task per core
 *  first, then the cores' SMT siblings, then (more tasks than CPUs) a second round. */
function taskCpu(b: ScenarioBuilder, i: number): number {
  const { tpc, ncores, pu } = machine(b);
  return pu(i % ncores, Math.floor(i / ncores) % tpc);
}

/** context_switch1: each testcase task and its partner ping-pong one byte over two pipes. Task i
 *  is bound to core i % ncores; its partner (pthread_create) inherits that core's mask, and the
 *  wakeups put the pair on the core's two SMT siblings, so each CPU switches thread->idle->thread
 *  ("so each CPU does thread->idle->thread switching", Piggin). More pairs than cores share the
 *  siblings (task-to-task switches, no idle). On a profile with one thread per core (power8-16s)
 *  the partner takes the next core, as Piggin describes his runs. Default: -t nproc/2. */
function contextSwitch(b: ScenarioBuilder, processes: boolean) {
  const { n, tpc, ncores, pu } = machine(b);
  const pairs = threadsOf(b, Math.max(1, Math.ceil(n / 2)));
  if (!processes) b.process('P');
  for (let i = 0; i < pairs; i++) {
    const core = i % ncores;
    const ca = tpc >= 2 ? pu(core, 0) : (2 * i) % n;
    const cb = tpc >= 2 ? pu(core, 1) : (2 * i + 1) % n;
    const ma = processes ? b.process(`A${i}`) : 'P';
    const mb = processes ? b.process(`B${i}`) : 'P';
    const a: Op[] = [{ op: 'pipe_write', pipe: `ab${i}` }, { op: 'pipe_read', pipe: `ba${i}` }, { op: 'loop', to: 0 }];
    const bb: Op[] = [{ op: 'pipe_read', pipe: `ab${i}` }, { op: 'pipe_write', pipe: `ba${i}` }, { op: 'loop', to: 0 }];
    b.thread(`A${i}`, { mm: ma, cpu: ca, prog: a });
    b.thread(`B${i}`, { mm: mb, cpu: cb, prog: bb });
    makePipe(b.k, `ab${i}`, `B${i}`);
    makePipe(b.k, `ba${i}`, `A${i}`);
  }
}

/** tlb_flush1-3: map a region, then per page touch + MADV_DONTNEED (a flush each), then munmap
 *  (which frees the page table: a freed_tables flush). Threads share one mm, so every flush
 *  shoots down the siblings' TLBs; processes flush only locally. */
function tlbFlush(b: ScenarioBuilder, processes: boolean) {
  const pages = Number(b.param('tlb_flush_pages', '4'));
  // Threads: the tlb_flush2 inner loop (touch + MADV_DONTNEED). The model keeps one unlinked
  // page-table set per mm, so concurrent page-table-freeing munmaps of sibling threads are left
  // to the processes variant, where each mm has one thread.
  const prog: Op[] = processes
    ? [
      { op: 'mmap_region' },
      { op: 'touch' }, { op: 'madvise_dontneed' }, { op: 'loop', to: 1, times: pages },
      { op: 'munmap' }, { op: 'loop', to: 0, ops: false },
    ]
    : [{ op: 'touch' }, { op: 'madvise_dontneed' }, { op: 'loop', to: 0 }];
  if (!processes) b.process('P');
  const tasks = threadsOf(b, b.cpus);
  for (let c = 0; c < tasks; c++) {
    const mm = processes ? b.process(`P${c}`) : 'P';
    b.thread(`T${c}`, { mm, cpu: taskCpu(b, c), prog });
  }
}

const window = (warm: number, dur: number) => ({ timing_warmup_ns: String(warm), timing_duration_ns: String(dur) });

export const contextSwitchThreads = defineScenario({
  name: 'context-switch',
  description: 'will-it-scale context_switch1_threads: pairs of threads of one process ping-pong over pipes, every switch through idle',
  cpus: ANY,
  options: [THREADS],
  params: window(30_000, 200_000),
  setup: (b) => contextSwitch(b, false),
  published: [{
    label: 'Desnoyers 2024, hazard-pointer lazy mm over v6.11.1',
    what: 'hazard-pointer lazy active mm (no mm_count RMW when entering or leaving lazy mode) over v6.11.1 with MMU_LAZY_TLB_REFCOUNT',
    source: 'Mathieu Desnoyers, "[RFC PATCH v2 4/4] sched+mm: Use hazard pointers to track lazy active mm existence", LKML 2024-10-04: "Each test is the average of 20 iterations. Use median result of 3 test runs"',
    machine: 'epyc-9654-2s',
    metric: 'ops_per_s',
    changePct: { 1: -0.2, 2: 0.4, 3: 0.2, 6: 0.6, 12: 0.8, 24: 3, 48: 12, 96: 21, 192: 28, 384: 4, 768: -0.6 },
  }],
});

export const contextSwitchProcesses = defineScenario({
  name: 'context-switch_processes',
  description: 'will-it-scale context_switch1_processes: the same ping-pong between processes (one mm per task)',
  cpus: ANY,
  options: [THREADS],
  params: window(30_000, 200_000),
  setup: (b) => contextSwitch(b, true),
});

export const tlbFlushThreads = defineScenario({
  name: 'tlb-flush',
  description: 'will-it-scale tlb_flush2_threads shape: touch + MADV_DONTNEED per page in a loop on every CPU of one mm (each flush shoots down the siblings)',
  cpus: ANY,
  options: [THREADS],
  params: window(30_000, 200_000),
  setup: (b) => tlbFlush(b, false),
});

export const tlbFlushProcesses = defineScenario({
  name: 'tlb-flush_processes',
  description: 'tlb_flush1-3 loop with one process per CPU: mmap, touch + MADV_DONTNEED per page, munmap (frees the page table)',
  cpus: ANY,
  params: window(30_000, 200_000),
  options: [THREADS, { name: 'tlb_flush_pages', type: 'int', min: 1, max: 4096, default: '4', help: 'pages touched and MADV_DONTNEEDed per mmap/munmap round' }],
  setup: (b) => tlbFlush(b, true),
});

export const exitStorm = defineScenario({
  name: 'exit-storm',
  description: 'a shell per CPU forks a short-lived child that touches its memory and exits, waits for it, repeats: __mmput on every exit',
  cpus: ANY,
  options: [THREADS],
  params: window(100_000, 600_000),
  setup(b) {
    for (let c = 0; c < threadsOf(b, b.cpus); c++) {
      b.process(`S${c}`);
      b.thread(`S${c}`, { mm: `S${c}`, cpu: taskCpu(b, c), prog: [
        { op: 'spawn', prog: [{ op: 'touch' }, { op: 'compute' }, { op: 'touch' }], notifyParent: true },
        { op: 'wait' }, { op: 'loop', to: 0 },
      ] });
    }
  },
});

export const execStorm = defineScenario({
  name: 'exec-storm',
  description: 'a process per CPU execs itself in a loop: exec_mmap + the old mm\'s __mmput every iteration',
  cpus: ANY,
  options: [THREADS],
  params: window(100_000, 600_000),
  setup(b) {
    for (let c = 0; c < threadsOf(b, b.cpus); c++) {
      b.process(`E${c}`);
      b.thread(`E${c}`, { mm: `E${c}`, cpu: taskCpu(b, c), prog: [{ op: 'touch' }, { op: 'exec' }, { op: 'loop', to: 0 }] });
    }
  },
});

export const compileMix = defineScenario({
  name: 'kernel-compile',
  description: 'a make-like mix: a shell per CPU forks a job that execs, computes, maps/unmaps memory and exits; the shell waits and repeats',
  cpus: ANY,
  options: [THREADS],
  params: window(100_000, 800_000),
  setup(b) {
    const job: Op[] = [
      { op: 'exec' }, { op: 'touch' }, { op: 'compute' }, { op: 'mmap_region' }, { op: 'touch' },
      { op: 'madvise_dontneed' }, { op: 'compute' }, { op: 'munmap' }, { op: 'touch' }, { op: 'compute' },
    ];
    for (let c = 0; c < threadsOf(b, b.cpus); c++) {
      b.process(`M${c}`);
      b.thread(`M${c}`, { mm: `M${c}`, cpu: taskCpu(b, c), prog: [{ op: 'spawn', prog: job, notifyParent: true }, { op: 'wait' }, { op: 'loop', to: 0 }] });
    }
  },
});

export const WORKLOADS: ScenarioDef[] = [
  contextSwitchThreads, contextSwitchProcesses, tlbFlushThreads, tlbFlushProcesses, exitStorm, execStorm, compileMix,
];

export function findWorkload(name: string): ScenarioDef | undefined {
  return WORKLOADS.find((w) => w.name === name);
}

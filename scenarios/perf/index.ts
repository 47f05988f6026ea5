// Performance workloads, shaped after will-it-scale (antonblanchard/will-it-scale, anchors-upstream
// §8): one task per CPU, bound in CPU order, each counting iterations. They are scenarios like the
// race scenarios (same ScenarioDef, same kernel model) but run by the timing driver
// (`lazymm ab`, `lazymm bisect --metric`), not listed for the explorer: they loop until the
// measured window ends.
//
// Window: --set timing_warmup_ns=N --set timing_duration_ns=N (virtual time).
import { defineScenario, type ScenarioDef, type ScenarioBuilder, type Op } from '../../core/model/index.ts';

import { makePipe } from './ops.ts';
import './ops.ts';

const ANY = { default: 8, min: 1, max: 1024 };

/** context_switch1: each testcase task and its partner ping-pong one byte over two pipes, so every
 *  switch goes through idle on both CPUs ("thread->idle->thread switching", Piggin). The partner
 *  sits on the next CPU (the SMT sibling where there is one), as with will-it-scale's binding. */
function contextSwitch(b: ScenarioBuilder, processes: boolean) {
  const n = b.cpus;
  const pairs = Math.max(1, Math.ceil(n / 2));
  if (!processes) b.process('P');
  for (let i = 0; i < pairs; i++) {
    const ca = (2 * i) % n;
    const cb = (2 * i + 1) % n;
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
  for (let c = 0; c < b.cpus; c++) {
    const mm = processes ? b.process(`P${c}`) : 'P';
    b.thread(`T${c}`, { mm, cpu: c, prog });
  }
}

const window = (warm: number, dur: number) => ({ timing_warmup_ns: String(warm), timing_duration_ns: String(dur) });

export const contextSwitchThreads = defineScenario({
  name: 'context-switch',
  description: 'will-it-scale context_switch1_threads: pairs of threads of one process ping-pong over pipes, every switch through idle',
  cpus: ANY,
  params: window(30_000, 200_000),
  setup: (b) => contextSwitch(b, false),
});

export const contextSwitchProcesses = defineScenario({
  name: 'context-switch_processes',
  description: 'will-it-scale context_switch1_processes: the same ping-pong between processes (one mm per task)',
  cpus: ANY,
  params: window(30_000, 200_000),
  setup: (b) => contextSwitch(b, true),
});

export const tlbFlushThreads = defineScenario({
  name: 'tlb-flush',
  description: 'will-it-scale tlb_flush2_threads shape: touch + MADV_DONTNEED per page in a loop on every CPU of one mm (each flush shoots down the siblings)',
  cpus: ANY,
  params: window(30_000, 200_000),
  setup: (b) => tlbFlush(b, false),
});

export const tlbFlushProcesses = defineScenario({
  name: 'tlb-flush_processes',
  description: 'tlb_flush1-3 loop with one process per CPU: mmap, touch + MADV_DONTNEED per page, munmap (frees the page table)',
  cpus: ANY,
  params: window(30_000, 200_000),
  options: [{ name: 'tlb_flush_pages', type: 'int', min: 1, max: 4096, default: '4', help: 'pages touched and MADV_DONTNEEDed per mmap/munmap round' }],
  setup: (b) => tlbFlush(b, true),
});

export const exitStorm = defineScenario({
  name: 'exit-storm',
  description: 'a shell per CPU forks a short-lived child that touches its memory and exits, waits for it, repeats: __mmput on every exit',
  cpus: ANY,
  params: window(100_000, 600_000),
  setup(b) {
    for (let c = 0; c < b.cpus; c++) {
      b.process(`S${c}`);
      b.thread(`S${c}`, { mm: `S${c}`, cpu: c, prog: [
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
  params: window(100_000, 600_000),
  setup(b) {
    for (let c = 0; c < b.cpus; c++) {
      b.process(`E${c}`);
      b.thread(`E${c}`, { mm: `E${c}`, cpu: c, prog: [{ op: 'touch' }, { op: 'exec' }, { op: 'loop', to: 0 }] });
    }
  },
});

export const compileMix = defineScenario({
  name: 'kernel-compile',
  description: 'a make-like mix: a shell per CPU forks a job that execs, computes, maps/unmaps memory and exits; the shell waits and repeats',
  cpus: ANY,
  params: window(100_000, 800_000),
  setup(b) {
    const job: Op[] = [
      { op: 'exec' }, { op: 'touch' }, { op: 'compute' }, { op: 'mmap_region' }, { op: 'touch' },
      { op: 'madvise_dontneed' }, { op: 'compute' }, { op: 'munmap' }, { op: 'touch' }, { op: 'compute' },
    ];
    for (let c = 0; c < b.cpus; c++) {
      b.process(`M${c}`);
      b.thread(`M${c}`, { mm: `M${c}`, cpu: c, prog: [{ op: 'spawn', prog: job, notifyParent: true }, { op: 'wait' }, { op: 'loop', to: 0 }] });
    }
  },
});

export const WORKLOADS: ScenarioDef[] = [
  contextSwitchThreads, contextSwitchProcesses, tlbFlushThreads, tlbFlushProcesses, exitStorm, execStorm, compileMix,
];

export function findWorkload(name: string): ScenarioDef | undefined {
  return WORKLOADS.find((w) => w.name === name);
}

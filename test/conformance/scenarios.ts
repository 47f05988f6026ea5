// Probe workloads of the conformance suite (not registered in scenarios/index.ts): they put the
// arch paths the invariants watch -- flushes with a lazy CPU, exits with lazy CPUs, exec,
// kthread_use_mm, CPU offline/online, a flush inside a lazy MMU region -- in front of the
// explorer on every arch. Like every scenario they describe work, never a schedule.
import {
  defineScenario, opFns, ptr, H, L, CALL, again, callAgain, BASELINE_PARTS,
  type ScenarioDef, type StepRegistry,
} from '../../core/model/index.ts';

declare module '../../core/model/program.ts' {
  interface OpMap {
    /** arch_enter_lazy_mmu_mode(); a TLB flush of the task's mm; arch_leave_lazy_mmu_mode() */
    conformance_lazy_mmu_flush: object;
  }
}

export const CONFORMANCE_OPS = opFns({ sys_conformance_lazy_mmu_flush: { mm: ptr } });
declare module '../../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof CONFORMANCE_OPS> {}
  interface KernelSteps { 'sys_conformance_lazy_mmu_flush.lazy_mmu_flush': true }
}

// Resume points: 1 after reading current->mm (a scheduling point), 2 after entering lazy MMU
// mode, 3 after the flush. The mm lives in the frame across them.
function registerConformanceOps(r: StepRegistry) {
  r.add('sys_conformance_lazy_mmu_flush', 'lazy_mmu_flush', (k, x, f, pc) => {
    switch (pc) {
      case 0:
        f.mm = k.ld(x, f.tsk + L.T_MM);
        return again(1);
      case 1:
        k.call(x, H.arch_enter_lazy_mmu_mode);
        return callAgain(2);
      case 2: {
        const c = k.call(x, H.flush_tlb_mm_range);
        c.mm = f.mm;
        c.freed_tables = false;
        c.full = false;
        c.fullmm = false;
        return callAgain(3);
      }
      default:
        k.call(x, H.arch_leave_lazy_mmu_mode);
        return CALL;
    }
  });
}
BASELINE_PARTS.push(registerConformanceOps);

/** Flushes with and without freed page tables while the other thread naps (its CPU lazily on the
 *  mm), sometimes after it exited (a single-user mm: powerpc's exit_flush_lazy_tlbs path). */
const flush = defineScenario({
  name: 'conformance-flush',
  description: 'P.t0 zaps and unmaps while P.t1 naps or has exited (cpu1 lazily on P); both exit',
  cpus: { default: 2, min: 2, max: 3 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'sleep' }, { op: 'madvise_dontneed' }, { op: 'munmap' }, { op: 'touch' }, { op: 'exit' }] });
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'touch' }, { op: 'sleep' }, { op: 'exit' }] });
  },
});

/** exec(): exec_mmap -> activate_mm (with IRQs off where the arch wants it), the old mm dropped
 *  while another CPU may be lazily on it. (kthread_use_mm is the built-in kthread-use-mm.) */
const exec = defineScenario({
  name: 'conformance-exec',
  description: 'P.t0 execs and exits while P.t1 naps and exits on cpu1 (cpu1 lazily on P or on nothing)',
  cpus: { default: 2, min: 2, max: 2 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'sleep' }, { op: 'exec' }, { op: 'touch' }, { op: 'exit' }] });
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'touch' }, { op: 'exit' }] });
  },
});

/** A CPU lazily on P goes offline and comes back: __cpu_disable, arch_cpu_idle_dead,
 *  idle_task_exit, start_secondary. P stays alive (P.t2 waits for a wake-up that never comes): an
 *  exit of P while cpu1 is offline but not yet dead is the race of the built-in cpu-offline-lazy
 *  with --cpus 3, not an arch property. */
const hotplug = defineScenario({
  name: 'conformance-hotplug',
  description: 'cpu1 is lazily on P when kthread K on cpu0 takes it offline and back; P.t2 keeps P alive on cpu2',
  cpus: { default: 3, min: 3, max: 3 },
  setup(b) {
    b.process('P');
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'touch' }, { op: 'exit' }] });
    b.thread('P.t2', { mm: 'P', cpu: 2, prog: [{ op: 'touch' }, { op: 'madvise_dontneed' }, { op: 'wait' }] });
    b.kthread('K', { cpu: 0, prog: [{ op: 'cpu_down', cpu: 1 }, { op: 'cpu_up', cpu: 1 }] });
  },
});

/** A TLB flush inside a lazy MMU region (Xen PV defers the hypercall, sparc64 queues the flush). */
const lazyMmu = defineScenario({
  name: 'conformance-lazy-mmu',
  description: 'P.t0 flushes its mm inside a lazy MMU region while P.t1 naps; both exit',
  cpus: { default: 2, min: 2, max: 2 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'conformance_lazy_mmu_flush' }, { op: 'touch' }, { op: 'exit' }] });
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'touch' }, { op: 'sleep' }, { op: 'exit' }] });
  },
});

export const PROBES: ScenarioDef[] = [flush, exec, hotplug, lazyMmu];

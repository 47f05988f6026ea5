// generic: the template `lazymm new-arch NAME` copies (core/lab/cli/new-arch.ts). It is not a real
// architecture and not registered in arches/index.ts; the conformance suite runs it anyway, so a
// freshly scaffolded arch passes unchanged. After scaffolding, replace this paragraph with the
// kernel version and the files the model follows (arch/NAME/include/asm/mmu_context.h,
// arch/NAME/mm/tlbflush.c, ...) and walk the TODO(new-arch) notes below: each says what to change.
//
// The defaults describe a conservative arch with the asm-generic shapes:
//  - switch_mm_irqs_off is switch_mm (include/linux/mmu_context.h), and switch_mm() sets this CPU's
//    bit in mm_cpumask(next) before loading next into the MMU, and clears it from prev after:
//    mm_cpumask is exact, lazy CPUs included (a lazy CPU never ran switch_mm away from the mm);
//  - enter_lazy_tlb() does nothing (asm-generic/mmu_context.h);
//  - a TLB flush is an IPI to every CPU in mm_cpumask, lazy ones included, whose handler flushes
//    its local TLB (arch/arm/kernel/smp_tlb.c ipi_flush_tlb_mm has this shape); nobody is switched
//    off the mm by a flush, so exit does not shoot lazy CPUs down;
//  - no ASIDs, no lazy MMU mode, no membarrier SYNC_CORE support;
//  - CPU offline: idle_task_exit(), then cpu_report_death().
import {
  fns, frameExt, ptr, cpus, NEXT, RET, YIELD, FUSE, CALL, again,
  H, L,
  type ArchPlugin, type StepRegistry, type Kernel, type Ctx, type RecordView,
} from '../core/model/index.ts';
import { cpumaskOf, tlbFlushedLocal, registerSwitchMmIrqsOffAlias, inSwitchMm } from './lib.ts';

// Kernel functions this arch adds (fns() at module top level; a name already declared by another
// module must have the same frame, which is fine: only one arch is in a kernel).
export const GENERIC = fns({ ipi_flush_tlb_mm: { mm: ptr } });
export const GENERIC_EXT = frameExt({ flush_tlb_mm_range: { mask: cpus } });
declare module '../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof GENERIC> {}
  interface FrameExts { 'arch:generic': typeof GENERIC_EXT }
  interface KernelSteps {
    'switch_mm.prev_eq_next': true; 'switch_mm.cpumask_set_cpu': true;
    'switch_mm.set_mm': true; 'switch_mm.cpumask_clear_cpu': true;
    'activate_mm.switch_mm': true; 'flush_tlb_mm_range.flush_tlb_mm': true;
    'ipi_flush_tlb_mm.local_flush_tlb_mm': true;
    'arch_cpu_idle_dead.idle_task_exit': true; 'arch_cpu_idle_dead.cpu_report_death': true;
  }
}

/** The arch's per-run state: the mm each CPU's MMU is using. TODO(new-arch): what else the arch
 *  keeps per CPU (an ASID generation, a lazy-mode flag...). */
const STATE = { mmu: 'perCpu' } as const;
const state = (k: Kernel) => k.archState as RecordView<typeof STATE>;

/** Load mm into this CPU's MMU (the page-table base register: CR3, TTBR0, satp, SPRN_PID...).
 *  TODO(new-arch): the register, whether the write flushes the TLB, whether it is a barrier. */
function set_mm(k: Kernel, x: Ctx, mm: number) {
  const pgd = k.ld(x, mm + L.MM_PGD);
  k.ld(x, pgd); // the MMU walks it from now on (KASAN: it must be alive)
  state(k).mmu[x.cpu] = mm;
  k.fpGlobal(); // hwLoadedMm changed: the oracles of other CPUs read it
  k.count('mmu_switches');
  if (k.tracing) k.tr(x, `load ${k.name(mm)}.pgd into the MMU`);
}

export function registerGenericMm(r: StepRegistry) {
  // TODO(new-arch): if the arch defines switch_mm_irqs_off itself (x86, powerpc), register its
  // steps on 'switch_mm_irqs_off' and make switch_mm() a local_irq_save() around it
  // (registerSwitchMmIrqSave in ./lib.ts).
  registerSwitchMmIrqsOffAlias(r);

  // switch_mm(prev, next, tsk): if (prev == next) return;
  r.add('switch_mm', 'prev_eq_next', (_k, _x, f) => (f.prev === f.next ? RET : NEXT));
  // cpumask_set_cpu(cpu, mm_cpumask(next)) -- before the MMU can use next, so a flush that reads
  // the mask after the PTE change finds this CPU. TODO(new-arch): when does the arch set it?
  r.add('switch_mm', 'cpumask_set_cpu', (k, x, f) => {
    if (f.next === k.init_mm) return NEXT;
    k.cmpxchg(x, f.next + L.MM_CPUMASK + x.cpu, 0, 1);
    return YIELD;
  });
  r.add('switch_mm', 'set_mm', (k, x, f) => {
    set_mm(k, x, f.next);
    return YIELD;
  });
  // cpumask_clear_cpu(cpu, mm_cpumask(prev)) -- after the MMU left prev. TODO(new-arch): many
  // arches never clear it (sticky masks: powerpc, sparc64) or do not track it at all (arm64).
  r.add('switch_mm', 'cpumask_clear_cpu', (k, x, f) => {
    if (!f.prev || f.prev === k.init_mm) return NEXT;
    k.cmpxchg(x, f.prev + L.MM_CPUMASK + x.cpu, 1, 0);
    return YIELD;
  });

  // enter_lazy_tlb(mm, tsk): empty in asm-generic. TODO(new-arch): x86 marks the CPU lazy here.

  // activate_mm(prev, next): switch_mm(prev, next, current) (asm-generic).
  r.add('activate_mm', 'switch_mm', (k, x, f) => {
    const c = k.call(x, H.switch_mm);
    c.prev = f.prev;
    c.next = f.next;
    c.tsk = k.cpus[x.cpu].curr.ref;
    return CALL;
  });

  // The flush of an mmu_gather: the model calls flush_tlb_mm_range(mm, freed_tables, fullmm).
  // TODO(new-arch): broadcast invalidation (arm64 TLBI, powerpc tlbie), a hypercall (Xen PV),
  // skipping lazy CPUs (x86 without freed_tables), skipping fullmm (arm64, sparc64).
  // Resume point 1: after reading mm_cpumask (a scheduling point).
  r.add('flush_tlb_mm_range', 'flush_tlb_mm', (k, x, f, pc) => {
    if (pc === 0) {
      f.mask = cpumaskOf(k, x, f.mm);
      return again(1);
    }
    // Flush IPIs use the purpose 'tlb_flush': the conformance suite checks flushIpisReachLazy on them.
    const c = k.call(x, H.on_each_cpu_mask);
    c.mask = f.mask;
    c.fn = H.ipi_flush_tlb_mm;
    c.purpose = 'tlb_flush';
    k.ipiArgs(c, H.ipi_flush_tlb_mm).mm = f.mm;
    return CALL;
  });
  // static inline void ipi_flush_tlb_mm(void *arg) { local_flush_tlb_mm(mm); }
  r.add('ipi_flush_tlb_mm', 'local_flush_tlb_mm', (k, x, f) => {
    tlbFlushedLocal(k, x.cpu, f.mm);
    k.count('tlb_flushes');
    if (k.tracing) k.tr(x, `local_flush_tlb_mm(${k.name(f.mm)})`);
    return YIELD;
  });
}

export function registerGenericHotplug(r: StepRegistry) {
  // arch_cpu_idle_dead(): the dying CPU leaves its lazy mm and reports death (the BP's __cpu_die()
  // waits for it). Without these steps a cpu_down never completes (a runaway error).
  r.add('arch_cpu_idle_dead', 'idle_task_exit', (k, x) => {
    k.call(x, H.idle_task_exit);
    return CALL;
  });
  r.add('arch_cpu_idle_dead', 'cpu_report_death', (k, x) => {
    k.cpus[x.cpu].dead = true;
    k.fpGlobal();
    if (k.tracing) k.tr(x, `cpu_report_death(cpu${x.cpu})`);
    return NEXT;
  });
}

export const generic: ArchPlugin = {
  name: 'generic',
  // TODO(new-arch): one line for `lazymm list arches`: what this arch does differently.
  description: 'generic template: exact mm_cpumask, flush IPIs to all of it (lazy CPUs included), no ASIDs',
  // TODO(new-arch): the kernel versions the model describes (series bases must fall in it).
  kernels: '>=5.10.0',
  // TODO(new-arch): true only if every CPU whose MMU may use an mm is in mm_cpumask(mm) at all
  // times outside switch_mm (the conformance suite checks it at every step).
  mmCpumaskExact: true,
  // TODO(new-arch): 'always' | 'never' (also: no flush IPIs at all) | 'freed_tables' (x86).
  flushIpisReachLazy: 'always',
  // TODO(new-arch): does the final exit_mmap flush switch lazy CPUs off the mm (x86, Xen PV)?
  exitShootsLazies: false,
  // TODO(new-arch): tagged TLB entries (PCID, ASID, PID, context numbers)?
  asids: false,
  // TODO(new-arch): 'immediate' if the arch flushes as each PTE is cleared (s390).
  mmuGather: 'gather',
  // TODO(new-arch): true if arch_enter/leave_lazy_mmu_mode batch anything (arches/lazy-mmu.ts);
  // then register steps on those hooks and declare lazyMmuState.
  lazyMmu: false,
  // TODO(new-arch): 'iret' (x86: needs sync_core for membarrier SYNC_CORE), 'exception-return'
  // (arm64, powerpc: the return to user is context synchronizing), 'none' (not supported).
  syncCore: 'none',
  // TODO(new-arch): CONFIG_ARCH_WANT_IRQS_OFF_ACTIVATE_MM (powerpc selects it).
  wantIrqsOffActivateMm: false,
  // TODO(new-arch): 'ipi' | 'broadcast' | 'hypercall' | 'mixed' -- how remote TLBs are invalidated.
  tlbFlush: 'ipi',
  // TODO(new-arch): the mm the CPU's MMU is using (the register set_mm() writes).
  state: STATE,
  hwLoadedMm: (k, c) => state(k).mmu[c],
  // TODO(new-arch): narrow it if the MMU cannot walk page tables speculatively (sparc64: software
  // TLB refill) or widen it if it still may after switching away.
  mayWalk: (k, c, mm) => state(k).mmu[c] === mm,
  // TODO(new-arch): the arch's software record of the loaded mm, if it keeps one (x86
  // cpu_tlbstate.loaded_mm); undefined compares hwLoadedMm with current->active_mm instead.
  loadedMm: undefined,
  // TODO(new-arch): widen only with a reason (Xen PV: the CR3 load waits for the end of the
  // context switch); the default is "inside switch_mm_irqs_off() or switch_mm()".
  inSwitchWindow: inSwitchMm,
  // TODO(new-arch): with lazyMmu, (k, c) => ({ active, pending }) of the per-CPU batch.
  lazyMmuState: undefined,
  apply(r) {
    registerGenericMm(r);
    registerGenericHotplug(r);
  },
  boot(k) {
    // TODO(new-arch): per-run arch state; every CPU starts on init_mm.
    state(k).mmu.fill(k.init_mm);
  },
  costs: {
    // TODO(new-arch): every weight needs its source beside it.
    // [seed] Nadav Amit, seed 000 L6086: "MOV-CR3 without flush is 250-300 cycles" (x86, a placeholder).
    mmu_switch: 275,
    // [pub] anchors-upstream.md §7: "an IPI round-trip is ~1-3 us on modern Xeons" (rough prior), 1 us at 2 GHz.
    ipi_round_trip: 2000,
  },
};

export { FUSE };

// The arch plugin contract: what differs between architectures, declared once per arch module.
import type { StepRegistry } from './registry.ts';
import type { Kernel } from './kernel.ts';
import type { RecordSchema } from './records.ts';
import type { OptionDecl } from './options.ts';

export interface CostModel {
  /** cycles; each with its source beside it in the arch module */
  [op: string]: number;
}

export interface ArchPlugin {
  name: string;
  description: string;
  /** semver range of kernel versions this arch model describes (series bases must intersect) */
  kernels: string;
  /** mm_cpumask(mm) holds every CPU that may touch mm (lazily included): exact tracking.
   *  Conformance: at every step, every online CPU whose MMU has mm loaded (hwLoadedMm), outside
   *  the arch's switch window, is in mm_cpumask(mm). */
  mmCpumaskExact: boolean;
  /** Do TLB-flush IPIs reach CPUs that are lazily on the mm? ('freed_tables': only when page tables
   *  are freed; 'never' also when the arch sends no flush IPIs at all, e.g. broadcast TLBI).
   *  Flush IPIs are the ones sent with purpose 'tlb_flush' (core/model/baseline/ipi.ts). */
  flushIpisReachLazy: 'always' | 'never' | 'freed_tables';
  /** Does the exit_mmap flush switch lazy CPUs off the mm (shoot down lazies at exit)? */
  exitShootsLazies: boolean;
  /** hardware address-space ids (PCID/ASID) */
  asids: boolean;
  /** mmu_gather flavour: 'gather' batches and flushes later; 'immediate' flushes as PTEs are cleared (s390) */
  mmuGather: 'gather' | 'immediate';
  /** lazy MMU mode (arch_enter/leave_lazy_mmu_mode) batches PTE updates */
  lazyMmu: boolean;
  /** how a core is serialized before returning to user (membarrier SYNC_CORE) */
  syncCore: 'iret' | 'exception-return' | 'none';
  /** CONFIG_ARCH_WANT_IRQS_OFF_ACTIVATE_MM */
  wantIrqsOffActivateMm: boolean;
  /** the arch's per-run state (CR3 per CPU, the PID register...), declared: k.archState is a view
   *  of it (records.ts). Everything an arch keeps across a scheduling point lives here, in memory
   *  objects, or in an mm's arch word (k.mmInfo(mm).arch0/arch1). */
  state?: RecordSchema;
  /** the mm whose page tables CPU c's MMU is using now (CR3, PID register, TTBR0...) */
  hwLoadedMm(k: Kernel, cpu: number): number;
  /** may CPU c's MMU still walk mm's page tables (speculatively)? default: hwLoadedMm == mm */
  mayWalk?(k: Kernel, cpu: number, mm: number): boolean;
  /** register the arch's steps (switch_mm_irqs_off, enter_lazy_tlb, flush paths...) */
  apply(r: StepRegistry, k: Kernel): void;
  /** per-run initial arch state (after the baseline's boot) */
  boot?(k: Kernel): void;
  costs: CostModel;
  /** the options this arch reads (k.param/k.flag): --set accepts them with this arch */
  options?: OptionDecl[];

  // ---- Optional (the conformance suite, test/conformance.test.ts). arches/generic.ts declares them all.

  /** How remote TLBs are invalidated: 'ipi', 'broadcast' (arm64 TLBI *IS, powerpc tlbie),
   *  'hypercall' (Xen PV MMUEXT_TLB_FLUSH_MULTI), 'mixed'. Default 'ipi'. */
  tlbFlush?: 'ipi' | 'broadcast' | 'hypercall' | 'mixed';
  /** The arch's own software record of the mm loaded on cpu (x86 cpu_tlbstate.loaded_mm, sparc64
   *  per_cpu_secondary_mm). Omit when the arch keeps none besides the MMU register itself. */
  loadedMm?(k: Kernel, cpu: number): number;
  /** Is cpu inside a window where hwLoadedMm, loadedMm and mm_cpumask may legitimately disagree
   *  (a switch in progress)? Default: a context of cpu is inside switch_mm_irqs_off() or
   *  switch_mm(). Override only to widen it, and say why. */
  inSwitchWindow?(k: Kernel, cpu: number): boolean;
  /** Lazy MMU mode state of cpu: whether the CPU is in the mode and how many deferred operations
   *  (PTE updates, TLB flushes) it holds. */
  lazyMmuState?(k: Kernel, cpu: number): { active: boolean; pending: number };
}

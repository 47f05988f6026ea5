// The arch plugin contract: what differs between architectures, declared once per arch module.
import type { StepRegistry } from '../core/hooks.ts';
import type { Kernel } from '../core/kernel.ts';

export interface CostModel {
  /** cycles; each with its source beside it in the arch module */
  [op: string]: number;
}

export interface ArchPlugin {
  name: string;
  description: string;
  /** semver range of kernel versions this arch model describes (series bases must intersect) */
  kernels: string;
  /** mm_cpumask(mm) holds every CPU that may touch mm (lazily included): exact tracking */
  mmCpumaskExact: boolean;
  /** Do TLB-flush IPIs reach CPUs that are lazily on the mm? ('freed_tables': only when page tables are freed) */
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
  /** the mm whose page tables CPU c's MMU is using now (CR3, PID register, TTBR0...) */
  hwLoadedMm(k: Kernel, cpu: number): number;
  /** may CPU c's MMU still walk mm's page tables (speculatively)? default: hwLoadedMm == mm */
  mayWalk?(k: Kernel, cpu: number, mm: number): boolean;
  /** register the arch's steps (switch_mm_irqs_off, enter_lazy_tlb, flush paths...) */
  apply(r: StepRegistry, k: Kernel): void;
  /** per-run initial arch state */
  boot?(k: Kernel): void;
  costs: CostModel;
}

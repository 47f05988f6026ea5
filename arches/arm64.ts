// arm64, v5.16: switch_mm()/__switch_mm()/enter_lazy_tlb() in arch/arm64/include/asm/mmu_context.h,
// check_and_switch_context() and the ASID allocator in arch/arm64/mm/context.c, tlb_flush() in
// arch/arm64/include/asm/tlb.h, flush_tlb_mm()/__flush_tlb_range() in asm/tlbflush.h, the
// dsb(ish) in __switch_to() (arch/arm64/kernel/process.c), cpu_die() (arch/arm64/kernel/smp.c).
//
// What differs from x86 (Will Deacon, seed 000 L7570-7680; reference/patch-16-23.md §2.2):
//  - "We don't track mm_cpumask as it showed up as a bottleneck in the past": nothing sets or
//    clears it, so mm_cpumask is not exact (it is empty).
//  - TLB invalidation is broadcast in hardware ("We only have "local" or "all" TLB invalidation;
//    nothing targetted"): TLBI ASIDE1IS / VAE1IS + DSB ISH reaches every CPU, lazy ones included,
//    and never switches anyone off the mm. No flush IPIs at all.
//  - exit: "the TLB invalidation on task exit has the fullmm field set in the mmu_gather
//    structure, so we don't actually do any TLB invalidation at all" (seed 003, Will): tlb_flush()
//    with fullmm only invalidates the walk cache when page tables were freed (flush_tlb_mm()), and
//    the ASID is not reused before a rollover flushes everything. Lazy CPUs keep TTBR0 on the
//    dead mm's pgd (held by their lazy mm_count reference) -- no exit shootdown.
//  - ASIDs: a 64-bit mm->context.id (generation | ASID), per-CPU active_asids; the fast path of
//    check_and_switch_context() is a cmpxchg on active_asids, the slow path allocates under
//    cpu_asid_lock. Rollover (flush_context, reserved_asids, tlb_flush_pending) is not modelled:
//    scenarios use far fewer mms than the 2^16 ASIDs.
//  - switch_mm_irqs_off is switch_mm (no arch definition); activate_mm runs it with IRQs on
//    (no ARCH_WANT_IRQS_OFF_ACTIVATE_MM): harmless, no flush IPI can arrive.
//  - enter_lazy_tlb() only updates the saved TTBR0 for SW PAN (update_saved_ttbr0, not modelled):
//    a lazy CPU keeps TTBR0 = the borrowed mm's pgd, so its walker may still use it.
//  - membarrier: the full barrier after rq->curr is "switch_to() for arm64 (weakly-ordered,
//    spin_unlock is a RELEASE barrier)" (kernel/sched/core.c): the dsb(ish) in __switch_to().
//  - sync_core: the return to user (ERET) is context synchronizing.
import {
  fns, ptr, int, bool, NEXT, YIELD, YIELD_RET, CALL, again,
  H, L,
  type ArchPlugin, type StepRegistry, type Kernel, type Ctx, type RecordView,
} from '../core/model/index.ts';
import { tlbFlushedAll, mmContext, registerDestroyContext, registerSwitchMmIrqsOffAlias, registerRcuTableFree } from './lib.ts';

export const ARM64 = fns({
  __switch_mm: { next: ptr },
  check_and_switch_context: { mm: ptr, asid: int, old: int, fast: bool },
  flush_tlb_mm: { mm: ptr },
  __flush_tlb_range: { mm: ptr, last_level: bool },
});
declare module '../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof ARM64> {}
  interface KernelSteps {
    'switch_mm.__switch_mm': true; '__switch_mm.cpu_set_reserved_ttbr0': true;
    '__switch_mm.check_and_switch_context': true; 'check_and_switch_context.active_asids_fastpath': true;
    'check_and_switch_context.cpu_asid_lock': true; 'check_and_switch_context.cpu_switch_mm': true;
    'activate_mm.switch_mm': true; 'context_switch.dsb_ish': true; 'flush_tlb_mm_range.tlb_flush': true;
    'flush_tlb_mm.tlbi_aside1is': true; '__flush_tlb_range.tlbi_vae1is': true;
    'arch_cpu_idle_dead.idle_task_exit': true; 'arch_cpu_idle_dead.cpu_report_death': true;
  }
}

/** arm64's per-run state: TTBR0 per CPU (hwLoadedMm), the address of the per-CPU active_asids
 *  (memory: the fast path cmpxchg()es it), the ASID generation and the last ASID allocated. */
const ARM64_STATE = { ttbr0: 'perCpu', active_asids: 'word', asid_generation: 'word', asid_next: 'word' } as const;
const state = (k: Kernel) => k.archState as RecordView<typeof ARM64_STATE>;

/** &mm->context.id: generation << 16 | ASID; 0 = never allocated */
const ctxId = (k: Kernel, mm: number) => mmContext(k, mm, ['id']);
const ASID_BITS = 16;
const asidOf = (id: number) => id & ((1 << ASID_BITS) - 1);

/** cpu_switch_mm(mm->pgd, mm) / cpu_set_reserved_ttbr0(): TTBR0_EL1 now points at mm's pgd
 *  (init_mm = the reserved zero page: "No translations will be possible via TTBR0"). */
function write_ttbr0(k: Kernel, x: Ctx, mm: number, what: string) {
  if (mm !== k.init_mm) {
    const pgd = k.ld(x, mm + L.MM_PGD);
    k.ld(x, pgd); // the walker may start using it (speculatively, too)
  }
  state(k).ttbr0[x.cpu] = mm;
  k.fpGlobal();
  k.count('ttbr0_writes');
  if (k.tracing) k.tr(x, `${what}: msr ttbr0_el1 <- ${mm === k.init_mm ? 'reserved_pg_dir' : `${k.name(mm)}.pgd`}; isb`);
}

/** A broadcast TLBI for mm's ASID: dsb(ishst); tlbi aside1is/vae1is; dsb(ish). */
function tlbi_broadcast(k: Kernel, x: Ctx, mm: number, what: string) {
  k.ld(x, ctxId(k, mm)); // ASID(mm)
  tlbFlushedAll(k, mm);
  k.fpGlobal();
  k.mb(x, `${what}(${k.name(mm)}): dsb(ishst); tlbi ${what === 'flush_tlb_mm' ? 'aside1is' : 'vae1is'}; dsb(ish) (broadcast)`);
  k.count('tlbi_broadcast');
}

export function registerArm64Mm(r: StepRegistry) {
  // #define switch_mm_irqs_off switch_mm  (include/linux/mmu_context.h default)
  registerSwitchMmIrqsOffAlias(r);

  // static inline void switch_mm(struct mm_struct *prev, struct mm_struct *next, struct task_struct *tsk)
  //   if (prev != next) __switch_mm(next);
  //   update_saved_ttbr0(tsk, next);   (SW PAN only: not modelled)
  r.add('switch_mm', '__switch_mm', (k, x, f) => {
    if (f.prev === f.next) return NEXT;
    k.call(x, H.__switch_mm).next = f.next;
    return CALL;
  });
  // static inline void __switch_mm(struct mm_struct *next)
  //   /* init_mm.pgd does not contain any user mappings and it is always active for kernel
  //      addresses in TTBR1. Just set the reserved TTBR0. */
  //   if (next == &init_mm) { cpu_set_reserved_ttbr0(); return; }
  //   check_and_switch_context(next);
  r.add('__switch_mm', 'cpu_set_reserved_ttbr0', (k, x, f) => {
    if (f.next !== k.init_mm) return NEXT;
    write_ttbr0(k, x, k.init_mm, 'cpu_set_reserved_ttbr0');
    return YIELD_RET;
  });
  r.add('__switch_mm', 'check_and_switch_context', (k, x, f) => {
    k.call(x, H.check_and_switch_context).mm = f.next;
    return CALL;
  });

  // void check_and_switch_context(struct mm_struct *mm)
  //   asid = atomic64_read(&mm->context.id);
  //   old_active_asid = atomic64_read(this_cpu_ptr(&active_asids));
  //   if (old_active_asid && asid_gen_match(asid) &&
  //       atomic64_cmpxchg_relaxed(this_cpu_ptr(&active_asids), old_active_asid, asid))
  //           goto switch_mm_fastpath;
  // Resume points: 1 after reading mm->context.id, 2 after reading active_asids.
  r.add('check_and_switch_context', 'active_asids_fastpath', (k, x, f, pc) => {
    const s = state(k);
    const aa = s.active_asids + x.cpu;
    if (pc === 0) {
      f.asid = k.ld(x, ctxId(k, f.mm));
      return again(1);
    }
    if (pc === 1) {
      f.old = k.ld(x, aa);
      return again(2);
    }
    const gen = s.asid_generation;
    if (f.old !== 0 && f.asid !== 0 && (f.asid >>> ASID_BITS) === gen && k.cmpxchg(x, aa, f.old, f.asid) === f.old) f.fast = true;
    return YIELD;
  });
  //   raw_spin_lock_irqsave(&cpu_asid_lock, flags);
  //   /* Check that our ASID belongs to the current generation. */
  //   asid = atomic64_read(&mm->context.id);
  //   if (!asid_gen_match(asid)) { asid = new_context(mm); atomic64_set(&mm->context.id, asid); }
  //   ... atomic64_set(this_cpu_ptr(&active_asids), asid);
  //   raw_spin_unlock_irqrestore(&cpu_asid_lock, flags);
  // The locked section is one action here (cpu_asid_lock serializes it against other CPUs).
  r.add('check_and_switch_context', 'cpu_asid_lock', (k, x, f) => {
    if (f.fast) return NEXT;
    const s = state(k);
    const idp = ctxId(k, f.mm);
    let asid = k.ld(x, idp);
    const gen = s.asid_generation;
    if (asid === 0 || (asid >>> ASID_BITS) !== gen) {
      // new_context(): find_first_zero_bit(asid_map) -- ASID 0 is reserved ("for things like the idmap")
      asid = (gen << ASID_BITS) | ++s.asid_next;
      k.st(x, idp, asid);
      k.count('asid_allocs');
    }
    k.st(x, s.active_asids + x.cpu, asid);
    k.fpGlobal(); // the allocator's bitmap and generation are global
    f.asid = asid;
    return YIELD;
  });
  // switch_mm_fastpath: arm64_apply_bp_hardening(); if (!system_uses_ttbr0_pan()) cpu_switch_mm(mm->pgd, mm);
  r.add('check_and_switch_context', 'cpu_switch_mm', (k, x, f) => {
    write_ttbr0(k, x, f.mm, `cpu_switch_mm(asid ${asidOf(f.asid)})`);
    return YIELD;
  });

  // enter_lazy_tlb(): update_saved_ttbr0(tsk, &init_mm) -- SW PAN only: no step.

  // activate_mm(prev, next) (asm-generic): switch_mm(prev, next, current) -- with IRQs on.
  r.add('activate_mm', 'switch_mm', (k, x, f) => {
    const c = k.call(x, H.switch_mm);
    c.prev = f.prev;
    c.next = f.next;
    c.tsk = k.cpus[x.cpu].curr.ref;
    return CALL;
  });

  // __switch_to(): "Complete any pending TLB or cache maintenance on this CPU in case the thread
  // migrates to a different CPU. This full barrier is also required by the membarrier system call."
  //   dsb(ish);
  r.add('context_switch', 'dsb_ish', (k, x) => {
    k.mb(x, 'dsb(ish) /* __switch_to */');
    return YIELD;
  }, { before: 'switch_to' });

  // ---- static inline void tlb_flush(struct mmu_gather *tlb)
  //   bool last_level = !tlb->freed_tables;
  //   /* If we're tearing down the address space then we only care about invalidating the
  //      walk-cache, since the ASID allocator won't reallocate our ASID without invalidating the
  //      entire TLB. */
  //   if (tlb->fullmm) { if (!last_level) flush_tlb_mm(tlb->mm); return; }
  //   __flush_tlb_range(&vma, tlb->start, tlb->end, stride, last_level, tlb_level);
  r.add('flush_tlb_mm_range', 'tlb_flush', (k, x, f) => {
    if (f.fullmm) {
      if (!f.freed_tables) { k.count('fullmm_flush_skipped'); return NEXT; }
      k.call(x, H.flush_tlb_mm).mm = f.mm;
      return CALL;
    }
    const c = k.call(x, H.__flush_tlb_range);
    c.mm = f.mm;
    c.last_level = !f.freed_tables;
    return CALL;
  });
  // flush_tlb_mm(): dsb(ishst); __tlbi(aside1is, asid); __tlbi_user(aside1is, asid); dsb(ish);
  r.add('flush_tlb_mm', 'tlbi_aside1is', (k, x, f) => {
    tlbi_broadcast(k, x, f.mm, 'flush_tlb_mm');
    return YIELD;
  });
  // __flush_tlb_range(): dsb(ishst); tlbi vae1is (or vale1is when last_level) per page, or
  // flush_tlb_mm() above MAX_TLBI_OPS; dsb(ish). Non-last-level invalidation also drops walk-cache
  // entries, which is what freed page tables need.
  r.add('__flush_tlb_range', 'tlbi_vae1is', (k, x, f) => {
    tlbi_broadcast(k, x, f.mm, '__flush_tlb_range');
    return YIELD;
  });

  registerDestroyContext(r, 'arm64');
  registerRcuTableFree(r); // select MMU_GATHER_RCU_TABLE_FREE
}

export function registerArm64Hotplug(r: StepRegistry) {
  // arch_cpu_idle_dead() -> cpu_die(): idle_task_exit(); local_daif_mask();
  //   /* Tell __cpu_die() that this CPU is now safe to dispose of */ (void)cpu_report_death();
  //   ops->cpu_die(cpu);
  r.add('arch_cpu_idle_dead', 'idle_task_exit', (k, x) => {
    k.call(x, H.idle_task_exit);
    return CALL;
  });
  r.add('arch_cpu_idle_dead', 'cpu_report_death', (k, x) => {
    k.cpus[x.cpu].irqsOff = true; // local_daif_mask()
    k.cpus[x.cpu].dead = true;
    k.fpGlobal();
    if (k.tracing) k.tr(x, `cpu_report_death(cpu${x.cpu})`);
    return NEXT;
  });
}

export const arm64: ArchPlugin = {
  name: 'arm64',
  description: 'arm64: mm_cpumask not maintained, broadcast TLBI (no flush IPIs), no TLB invalidation at fullmm exit, 16-bit ASIDs',
  kernels: '>=5.10.0',
  mmCpumaskExact: false, // "We don't track mm_cpumask"
  flushIpisReachLazy: 'never', // no flush IPIs: TLBI *IS reaches every CPU but switches nobody
  exitShootsLazies: false,
  asids: true,
  mmuGather: 'gather',
  lazyMmu: false, // none at v5.16 ("arm64 is aiming to start using these hooks", seed 001)
  syncCore: 'exception-return',
  wantIrqsOffActivateMm: false,
  tlbFlush: 'broadcast',
  state: ARM64_STATE,
  hwLoadedMm: (k, c) => state(k).ttbr0[c],
  // a lazy CPU keeps TTBR0 on the borrowed mm: its walker may use it (speculatively, too)
  mayWalk: (k, c, mm) => state(k).ttbr0[c] === mm,
  // no loaded-mm record: per-CPU active_asids deliberately keeps the previous ASID while TTBR0 is
  // parked on the reserved page (the ASID stays reserved for a rollover).
  loadedMm: undefined,
  inSwitchWindow: undefined, // the default: inside switch_mm()
  lazyMmuState: undefined, // no lazy MMU mode at v5.16
  apply(r) {
    registerArm64Mm(r);
    registerArm64Hotplug(r);
  },
  boot(k) {
    const s = state(k);
    s.active_asids = k.m.alloc('percpu', 'active_asids', Array.from({ length: k.ncpus }, (_, c) => `[${c}]`));
    s.ttbr0.fill(k.init_mm);
    s.asid_generation = 1;
    s.asid_next = 0;
  },
  costs: {
    // [est] a broadcast TLBI + DSB ISH round trip on a server interconnect: ~1000 cycles; Will
    // Deacon (seed 000 L7665) gives no figure, only that mm_cpumask tracking "showed up as a bottleneck".
    tlbi_broadcast: 1000,
    // [est] msr ttbr0_el1 + isb: ~50 cycles (no TLB flush: ASID-tagged).
    ttbr0_write: 50,
    // [seed] Will Deacon, seed 000 L7667: "mmgrab() should be fast for us (it's a posted atomic
    // add)"; [est] STADD ~20 cycles.
    mmgrab: 20,
  },
};

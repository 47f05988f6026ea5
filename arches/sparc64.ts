// sparc64 (sun4v), v5.16: switch_mm() in arch/sparc/include/asm/mmu_context_64.h, the TLB batch
// and lazy MMU mode in arch/sparc/mm/tlb.c (tlb_batch_add, flush_tlb_pending,
// arch_enter/leave_lazy_mmu_mode), the cross calls in arch/sparc/kernel/smp_64.c
// (smp_flush_tlb_pending, smp_flush_tlb_page, cpu_play_dead), tlb_flush() in asm/tlb_64.h.
//
// What differs from x86:
//  - mm_cpumask only grows: switch_mm() sets this CPU's bit the first time it runs the mm ("Any
//    time a processor runs a context on an address space for the first time, we must flush that
//    context out of the local TLB") and nothing clears it since Nick Piggin's "sparc64: remove
//    mm_cpumask clearing to fix kthread_use_mm race" (2020-08-28; the mm_users == 1 trim raced
//    with kthread_use_mm after mmget_not_zero). So it is exact, lazy CPUs included.
//  - flushes are cross calls to all of mm_cpumask, lazy CPUs included, that only flush: nobody is
//    switched off an mm by a flush. flush_tlb_mm()/flush_tlb_range() are empty: the invalidation
//    is queued per PTE by tlb_batch_add() (set_pte_at/ptep_get_and_clear of a valid PTE) and
//    issued at once, or at arch_leave_lazy_mmu_mode()/flush_tlb_pending() in lazy MMU mode.
//  - exit: tlb_batch_add() does nothing for a fullmm gather, so exit_mmap flushes nothing; the
//    context number is reused only after a wrap flushed every TLB (get_new_mmu_context).
//  - no hardware page-table walker: a TLB miss traps to the TSB miss handler, which walks the TSB
//    and the page tables in software for an access the CPU makes. A lazy kernel thread makes no
//    user accesses, so it cannot walk the page tables of the mm it borrows (mayWalk); page tables
//    are freed through MMU_GATHER_RCU_TABLE_FREE against the software walkers.
//  - switch_mm(..., &init_mm) only records per_cpu_secondary_mm: the secondary context and TSB of
//    the old mm stay loaded ("init_mm" has no user translations to load). Only idle_task_exit()
//    on a dying CPU does that, and the strand is stopped right after (cpu_play_dead).
//  - lazy MMU mode: per-CPU struct tlb_batch (active, tlb_nr); not preemption safe at v5.16 ("The
//    Sparc lazy mmu implementation is not robust to preemption", Ryan Roberts, seed 001).
//  - no ARCH_HAS_MEMBARRIER_SYNC_CORE; the membarrier barrier after rq->curr is "switch_mm() for
//    ... sparc" (kernel/sched/core.c): the mm->context.lock atomic (TSO) in switch_mm().
// Not modelled: cross calls (xcall mondos) being deliverable with local IRQs disabled (PIL); the
// model delivers them like IPIs, when IRQs are on. TSB growth, huge pages, dcache flushes.
import {
  fns, frameExt, ptr, int, bool, cpus, NEXT, RET, YIELD, CALL, again, callAgain, block,
  H, NULL, L, W_ZERO,
  type ArchPlugin, type StepRegistry, type Kernel, type Ctx, type RecordView,
} from '../core/model/index.ts';
import { cpumaskOf, tlbFlushedLocal, mmContext, registerDestroyContext, registerSwitchMmIrqsOffAlias, registerRcuTableFree } from './lib.ts';

export const SPARC = fns({
  tlb_batch_add_one: { mm: ptr },
  flush_tlb_pending: { mm: ptr, nr: int, valid: bool },
  smp_flush_tlb_pending: { mm: ptr, mask: cpus },
  smp_flush_tlb_page: { mm: ptr, mask: cpus },
  tlb_pending_func: { mm: ptr },
  xcall_flush_tlb_page: { mm: ptr },
});
/** sparc64's locals in switch_mm() */
export const SPARC_EXT = frameExt({ switch_mm: { irqs_were_off: bool, ctx_valid: bool, cpumask_set: bool } });
declare module '../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof SPARC> {}
  interface FrameExts { 'arch:sparc64': typeof SPARC_EXT }
  interface KernelSteps {
    'switch_mm.per_cpu_secondary_mm': true; 'switch_mm.spin_lock_irqsave': true;
    'switch_mm.get_new_mmu_context': true; 'switch_mm.load_secondary_context': true;
    'switch_mm.cpumask_set_cpu': true; 'switch_mm.spin_unlock_irqrestore': true;
    'activate_mm.switch_mm': true;
    'flush_tlb_mm_range.tlb_batch_add': true; 'flush_tlb_mm_range.tlb_flush': true;
    'tlb_batch_add_one.other_mm': true; 'tlb_batch_add_one.global_flush_tlb_page': true; 'tlb_batch_add_one.queue': true;
    'flush_tlb_pending.flush': true; 'flush_tlb_pending.tlb_nr_clear': true;
    'smp_flush_tlb_pending.smp_call_function_many': true; 'smp_flush_tlb_pending.__flush_tlb_pending': true;
    'tlb_pending_func.__flush_tlb_pending': true;
    'smp_flush_tlb_page.smp_cross_call_masked': true; 'smp_flush_tlb_page.__flush_tlb_page': true;
    'xcall_flush_tlb_page.__flush_tlb_page': true;
    'arch_enter_lazy_mmu_mode.tb_active': true; 'arch_leave_lazy_mmu_mode.flush_tlb_pending': true;
    'arch_leave_lazy_mmu_mode.tb_inactive': true;
    'arch_cpu_idle_dead.idle_task_exit': true; 'arch_cpu_idle_dead.smp_commenced_mask': true;
  }
}

/** sparc64's per-run state: the secondary context each CPU has loaded (hwLoadedMm),
 *  per_cpu_secondary_mm, this CPU's struct tlb_batch (active, tlb_nr, mm), and the next context
 *  number get_new_mmu_context() hands out. */
const SPARC64_STATE = {
  ctx: 'perCpu', secondary_mm: 'perCpu', tb_active: 'perCpu', tb_tlb_nr: 'perCpu', tb_mm: 'perCpu', ctx_next: 'word',
} as const;
const state = (k: Kernel) => k.archState as RecordView<typeof SPARC64_STATE>;

/** mm->context: .sparc64_ctx_val (context number, 0 = not valid) and .lock */
const CTX_FIELDS = ['sparc64_ctx_val', 'lock'];
const ctxVal = (k: Kernel, mm: number) => mmContext(k, mm, CTX_FIELDS);
const ctxLock = (k: Kernel, mm: number) => mmContext(k, mm, CTX_FIELDS) + 1;
/** TLB_BATCH_NR (arch/sparc/include/asm/tlbflush_64.h) */
const TLB_BATCH_NR = 192;

/** __flush_tlb_mm/__flush_tlb_page/__flush_tlb_pending on this CPU's TLB (secondary context). */
function localFlush(k: Kernel, x: Ctx, mm: number, what: string) {
  tlbFlushedLocal(k, x.cpu, mm);
  k.count('tlb_flush_local');
  if (k.tracing) k.tr(x, `${what}(${k.name(mm)}.ctx)`);
}

/** Call flush_tlb_pending(). */
function flushTlbPending(k: Kernel, x: Ctx) {
  k.call(x, H.flush_tlb_pending);
}

/** A cross call of `fn` (frame { mm }) to the CPUs of mask, waiting for them. */
function crossCall(k: Kernel, x: Ctx, mask: number[], fn: typeof H.tlb_pending_func | typeof H.xcall_flush_tlb_page, mm: number) {
  const c = k.call(x, H.smp_call_function_many);
  c.mask = mask;
  c.fn = fn;
  c.purpose = 'tlb_flush';
  k.ipiArgs(c, fn).mm = mm;
}

export function registerSparc64Mm(r: StepRegistry) {
  // #define switch_mm_irqs_off switch_mm
  registerSwitchMmIrqsOffAlias(r);

  // ---- static inline void switch_mm(struct mm_struct *old_mm, struct mm_struct *mm, struct task_struct *tsk)
  //   per_cpu(per_cpu_secondary_mm, cpu) = mm;
  //   if (unlikely(mm == &init_mm)) return;
  r.add('switch_mm', 'per_cpu_secondary_mm', (k, x, f) => {
    state(k).secondary_mm[x.cpu] = f.next;
    k.fpGlobal();
    return f.next === k.init_mm ? RET : NEXT;
  });
  //   spin_lock_irqsave(&mm->context.lock, flags);
  // Resume points: 1 after a failed attempt (then wait for the lock to be free), 2 try again.
  r.add('switch_mm', 'spin_lock_irqsave', (k, x, f, pc) => {
    const lock = ctxLock(k, f.next);
    if (pc === 1) {
      k.wait(x, W_ZERO, lock);
      return block(2);
    }
    if (pc === 0) {
      const cpu = k.cpus[x.cpu];
      f.irqs_were_off = cpu.irqsOff;
      cpu.irqsOff = true;
    }
    if (k.cmpxchg(x, lock, 0, 1) !== 0) return again(1); // casx: on TSO sparc64 a full barrier
    k.mb(x, 'spin_lock(&mm->context.lock) (an atomic: full barrier on TSO)');
    return YIELD;
  });
  //   ctx_valid = CTX_VALID(mm->context);
  //   if (!ctx_valid) get_new_mmu_context(mm);
  // Resume point 1: after reading the context.
  r.add('switch_mm', 'get_new_mmu_context', (k, x, f, pc) => {
    const v = ctxVal(k, f.next);
    if (pc === 0) {
      f.ctx_valid = k.ld(x, v) !== 0;
      return again(1);
    }
    if (f.ctx_valid) return NEXT;
    // get_new_mmu_context(): under ctx_alloc_lock, the next free context number of this version
    k.st(x, v, ++state(k).ctx_next);
    k.fpGlobal();
    k.count('ctx_allocs');
    return YIELD;
  });
  //   load_secondary_context(mm); tsb_context_switch(mm);
  // (tsb_context_switch hands the TSB and __pa(mm->pgd) to the TSB miss handler / hypervisor)
  r.add('switch_mm', 'load_secondary_context', (k, x, f) => {
    k.ld(x, ctxVal(k, f.next));
    const pgd = k.ld(x, f.next + L.MM_PGD);
    k.ld(x, pgd);
    state(k).ctx[x.cpu] = f.next;
    k.fpGlobal();
    k.count('secondary_context_loads');
    if (k.tracing) k.tr(x, `load_secondary_context(${k.name(f.next)}); tsb_context_switch`);
    return YIELD;
  });
  //   if (!ctx_valid || !cpumask_test_cpu(cpu, mm_cpumask(mm))) {
  //       cpumask_set_cpu(cpu, mm_cpumask(mm));
  //       __flush_tlb_mm(CTX_HWBITS(mm->context), SECONDARY_CONTEXT); }
  // Resume point 1: after reading this CPU's bit.
  r.add('switch_mm', 'cpumask_set_cpu', (k, x, f, pc) => {
    const b = f.next + L.MM_CPUMASK + x.cpu;
    if (pc === 0) {
      f.cpumask_set = k.ld(x, b) !== 0;
      return again(1);
    }
    if (f.ctx_valid && f.cpumask_set) return NEXT;
    k.cmpxchg(x, b, 0, 1);
    localFlush(k, x, f.next, '__flush_tlb_mm');
    return YIELD;
  });
  //   spin_unlock_irqrestore(&mm->context.lock, flags);
  r.add('switch_mm', 'spin_unlock_irqrestore', (k, x, f) => {
    k.st(x, ctxLock(k, f.next), 0);
    k.cpus[x.cpu].irqsOff = f.irqs_were_off;
    return YIELD;
  });

  // #define enter_lazy_tlb(mm,tsk) do { } while (0): no step.
  // #define activate_mm(active_mm, mm) switch_mm(active_mm, mm, NULL)
  r.add('activate_mm', 'switch_mm', (k, x, f) => {
    const c = k.call(x, H.switch_mm);
    c.prev = f.prev;
    c.next = f.next;
    c.tsk = NULL;
    return CALL;
  });

  // ---- the mmu_gather flush, as the model calls it: flush_tlb_mm_range(mm, freed_tables, fullmm).
  // The PTE clears of the gather each did tlb_batch_add(mm, vaddr, ptep, orig, fullmm):
  //   if (!fullmm) tlb_batch_add_one(mm, vaddr, pte_exec(orig), hugepage_shift);
  r.add('flush_tlb_mm_range', 'tlb_batch_add', (k, x, f) => {
    if (f.fullmm) { k.count('fullmm_flush_skipped'); return NEXT; }
    k.call(x, H.tlb_batch_add_one).mm = f.mm;
    return CALL;
  });
  // #define tlb_flush(tlb) flush_tlb_pending()
  r.add('flush_tlb_mm_range', 'tlb_flush', (k, x) => {
    flushTlbPending(k, x);
    return CALL;
  });

  // ---- static void tlb_batch_add_one(struct mm_struct *mm, unsigned long vaddr, bool exec, ...)
  //   if (unlikely(nr != 0 && mm != tb->mm)) { flush_tlb_pending(); nr = 0; }
  r.add('tlb_batch_add_one', 'other_mm', (k, x, f) => {
    const s = state(k);
    if (s.tb_tlb_nr[x.cpu] === 0 || s.tb_mm[x.cpu] === f.mm) return NEXT;
    flushTlbPending(k, x);
    return CALL;
  });
  //   if (!tb->active) { flush_tsb_user_page(mm, vaddr, hugepage_shift); global_flush_tlb_page(mm, vaddr); goto out; }
  // Resume point 1: after global_flush_tlb_page() (goto out).
  r.add('tlb_batch_add_one', 'global_flush_tlb_page', (k, x, f, pc) => {
    if (pc === 1) return RET;
    if (state(k).tb_active[x.cpu]) return NEXT;
    k.call(x, H.smp_flush_tlb_page).mm = f.mm;
    return callAgain(1);
  });
  //   if (nr == 0) tb->mm = mm; ... tb->vaddrs[nr] = vaddr; tb->tlb_nr = ++nr;
  //   if (nr >= TLB_BATCH_NR) flush_tlb_pending();
  r.add('tlb_batch_add_one', 'queue', (k, x, f) => {
    const s = state(k);
    if (s.tb_tlb_nr[x.cpu] === 0) s.tb_mm[x.cpu] = f.mm;
    const nr = ++s.tb_tlb_nr[x.cpu];
    k.count('tlb_batch_queued');
    if (k.tracing) k.tr(x, `tlb_batch_add(${k.name(f.mm)}): queued (tlb_nr ${nr})`);
    if (nr < TLB_BATCH_NR) return NEXT;
    flushTlbPending(k, x);
    return CALL;
  });

  // ---- void flush_tlb_pending(void)
  //   struct tlb_batch *tb = &get_cpu_var(tlb_batch); struct mm_struct *mm = tb->mm;
  //   if (!tb->tlb_nr) goto out;
  //   flush_tsb_user(tb);
  //   if (CTX_VALID(mm->context)) { if (tb->tlb_nr == 1) global_flush_tlb_page(mm, tb->vaddrs[0]);
  //       else smp_flush_tlb_pending(tb->mm, tb->tlb_nr, &tb->vaddrs[0]); }
  //   tb->tlb_nr = 0;
  // Resume point 1: after reading the context.
  r.add('flush_tlb_pending', 'flush', (k, x, f, pc) => {
    if (pc === 0) {
      const s = state(k);
      if (s.tb_tlb_nr[x.cpu] === 0) return RET;
      f.mm = s.tb_mm[x.cpu];
      f.nr = s.tb_tlb_nr[x.cpu];
      f.valid = k.ld(x, ctxVal(k, f.mm)) !== 0;
      return again(1);
    }
    if (!f.valid) return NEXT;
    k.call(x, f.nr === 1 ? H.smp_flush_tlb_page : H.smp_flush_tlb_pending).mm = f.mm;
    return CALL;
  });
  r.add('flush_tlb_pending', 'tlb_nr_clear', (k, x) => {
    state(k).tb_tlb_nr[x.cpu] = 0;
    return NEXT;
  });

  // ---- void smp_flush_tlb_pending(struct mm_struct *mm, unsigned long nr, unsigned long *vaddrs)
  //   smp_call_function_many(mm_cpumask(mm), tlb_pending_func, &info, 1);
  //   __flush_tlb_pending(ctx, nr, vaddrs);
  // Resume point 1: after reading mm_cpumask.
  r.add('smp_flush_tlb_pending', 'smp_call_function_many', (k, x, f, pc) => {
    if (pc === 0) {
      f.mask = cpumaskOf(k, x, f.mm);
      return again(1);
    }
    crossCall(k, x, f.mask, H.tlb_pending_func, f.mm);
    return CALL;
  });
  r.add('smp_flush_tlb_pending', '__flush_tlb_pending', (k, x, f) => {
    localFlush(k, x, f.mm, '__flush_tlb_pending');
    return YIELD;
  });
  // static void tlb_pending_func(void *info) { __flush_tlb_pending(t->ctx, t->nr, t->vaddrs); }
  r.add('tlb_pending_func', '__flush_tlb_pending', (k, x, f) => {
    localFlush(k, x, f.mm, '__flush_tlb_pending');
    return YIELD;
  });

  // ---- void smp_flush_tlb_page(struct mm_struct *mm, unsigned long vaddr)
  //   smp_cross_call_masked(&xcall_flush_tlb_page, context, vaddr, 0, mm_cpumask(mm));
  //   __flush_tlb_page(context, vaddr);
  // Resume point 1: after reading mm_cpumask.
  r.add('smp_flush_tlb_page', 'smp_cross_call_masked', (k, x, f, pc) => {
    if (pc === 0) {
      f.mask = cpumaskOf(k, x, f.mm);
      return again(1);
    }
    crossCall(k, x, f.mask, H.xcall_flush_tlb_page, f.mm);
    return CALL;
  });
  r.add('smp_flush_tlb_page', '__flush_tlb_page', (k, x, f) => {
    localFlush(k, x, f.mm, '__flush_tlb_page');
    return YIELD;
  });
  r.add('xcall_flush_tlb_page', '__flush_tlb_page', (k, x, f) => {
    localFlush(k, x, f.mm, 'xcall_flush_tlb_page');
    return YIELD;
  });

  // ---- lazy MMU mode (arch/sparc/mm/tlb.c, v5.16: no preempt_disable() yet)
  // void arch_enter_lazy_mmu_mode(void) { struct tlb_batch *tb = this_cpu_ptr(&tlb_batch); tb->active = 1; }
  r.add('arch_enter_lazy_mmu_mode', 'tb_active', (k, x) => {
    state(k).tb_active[x.cpu] = 1;
    return NEXT;
  });
  // void arch_leave_lazy_mmu_mode(void) { if (tb->tlb_nr) flush_tlb_pending(); tb->active = 0; }
  r.add('arch_leave_lazy_mmu_mode', 'flush_tlb_pending', (k, x) => {
    if (!state(k).tb_tlb_nr[x.cpu]) return NEXT;
    flushTlbPending(k, x);
    return CALL;
  });
  r.add('arch_leave_lazy_mmu_mode', 'tb_inactive', (k, x) => {
    state(k).tb_active[x.cpu] = 0;
    return NEXT;
  });
  // #define arch_flush_lazy_mmu_mode() do {} while (0): no step.

  registerDestroyContext(r, 'sparc64');
  registerRcuTableFree(r); // select MMU_GATHER_RCU_TABLE_FREE if SMP (the TSB miss handler walks with IRQs off)
}

export function registerSparc64Hotplug(r: StepRegistry) {
  // arch_cpu_idle_dead() -> cpu_play_dead(): idle_task_exit(); ... cpumask_clear_cpu(cpu,
  // &smp_commenced_mask); membar_safe("#Sync"); local_irq_disable(); while (1) barrier();
  // __cpu_die() on the BP polls smp_commenced_mask, then sun4v_cpu_stop(cpu).
  r.add('arch_cpu_idle_dead', 'idle_task_exit', (k, x) => {
    k.call(x, H.idle_task_exit);
    return CALL;
  });
  r.add('arch_cpu_idle_dead', 'smp_commenced_mask', (k, x) => {
    k.cpus[x.cpu].irqsOff = true;
    k.cpus[x.cpu].dead = true;
    // The BP's __cpu_die() stops the strand (sun4v_cpu_stop); when it is started again the
    // trampoline runs with context 0 and no user TSB: the old mm's context is gone with it.
    state(k).ctx[x.cpu] = k.init_mm;
    k.fpGlobal();
    if (k.tracing) k.tr(x, `cpumask_clear_cpu(cpu${x.cpu}, &smp_commenced_mask)`);
    return NEXT;
  });
}

export const sparc64: ArchPlugin = {
  name: 'sparc64',
  description: 'sparc64 sun4v: exact grow-only mm_cpumask, flush cross-calls to all of it (lazy CPUs flushed, never switched), no flush at fullmm exit, TLB batch lazy MMU mode',
  kernels: '>=5.12.0', // the mm_cpumask trim is gone (Nick Piggin, 2020-08-28, in mainline by v5.12)
  mmCpumaskExact: true,
  flushIpisReachLazy: 'always',
  exitShootsLazies: false,
  asids: true, // 13-bit context numbers with a version (CTX_VALID, mmu_context_wrap)
  mmuGather: 'gather',
  lazyMmu: true,
  syncCore: 'none', // no ARCH_HAS_MEMBARRIER_SYNC_CORE
  wantIrqsOffActivateMm: false,
  tlbFlush: 'ipi',
  state: SPARC64_STATE,
  // the mm whose secondary context and TSB the CPU has loaded (init_mm: none)
  hwLoadedMm: (k, c) => state(k).ctx[c],
  // TLB misses are handled in software for accesses the CPU makes: only a CPU running a task of mm
  // (a user thread, or a kthread in kthread_use_mm) can walk its page tables.
  mayWalk: (k, c, mm) => !k.cpus[c].dead && state(k).ctx[c] === mm && k.view(c, k.cpus[c].curr.ref + L.T_MM) === mm,
  loadedMm: (k, c) => state(k).secondary_mm[c],
  inSwitchWindow: undefined, // the default: inside switch_mm()
  lazyMmuState: (k, c) => ({ active: state(k).tb_active[c] !== 0, pending: state(k).tb_tlb_nr[c] }),
  apply(r) {
    registerSparc64Mm(r);
    registerSparc64Hotplug(r);
  },
  boot(k) {
    const s = state(k);
    s.ctx.fill(k.init_mm);
    s.secondary_mm.fill(k.init_mm);
    s.tb_active.fill(0);
    s.tb_tlb_nr.fill(0);
    s.tb_mm.fill(NULL);
    s.ctx_next = 0;
  },
  costs: {
    // [est] a cross-call mondo round trip: sun4v cpu_mondo_send hypercall + TL>0 trap on the
    // target, ~2000 cycles; no figure in the seeds.
    xcall: 2000,
    // [est] demap-context of the secondary context in the local TLB (__flush_tlb_mm): ~100 cycles.
    flush_tlb_mm_local: 100,
  },
};

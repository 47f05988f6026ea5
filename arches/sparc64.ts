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
import type { ArchPlugin } from './types.ts';
import type { StepRegistry } from '../core/hooks.ts';
import { defineHooks } from '../core/hooks.ts';
import { H, NULL, type Kernel, type Ctx } from '../core/kernel.ts';
import * as L from '../core/layout.ts';
import { smp_call_function_many } from '../core/kernel/ipi.ts';
import { BLOCK } from '../core/kernel/sched.ts';
import './lazy-mmu.ts'; // defines arch_enter_lazy_mmu_mode & co.
import { cpumaskOf, tlbFlushedLocal, mmContext, registerDestroyContext, registerSwitchMmIrqsOffAlias, registerRcuTableFree } from './lib.ts';

export const SPARC = defineHooks([
  'tlb_batch_add_one', 'flush_tlb_pending', 'smp_flush_tlb_pending', 'smp_flush_tlb_page',
  'tlb_pending_func', 'xcall_flush_tlb_page',
]);

/** mm->context: .sparc64_ctx_val (context number, 0 = not valid) and .lock */
const CTX_FIELDS = ['sparc64_ctx_val', 'lock'];
const ctxVal = (k: Kernel, mm: number) => mmContext(k, mm, CTX_FIELDS);
const ctxLock = (k: Kernel, mm: number) => mmContext(k, mm, CTX_FIELDS) + 1;
/** TLB_BATCH_NR (arch/sparc/include/asm/tlbflush_64.h) */
const TLB_BATCH_NR = 192;

interface TlbBatch { active: boolean; tlb_nr: number; mm: number }
const tb = (k: Kernel, cpu: number): TlbBatch => k.archState.tlb_batch[cpu];

/** __flush_tlb_mm/__flush_tlb_page/__flush_tlb_pending on this CPU's TLB (secondary context). */
function localFlush(k: Kernel, x: Ctx, mm: number, what: string) {
  tlbFlushedLocal(k, x.cpu, mm);
  k.count('tlb_flush_local');
  if (k.tracing) k.tr(x, `${what}(${k.name(mm)}.ctx)`);
}

export function registerSparc64Mm(r: StepRegistry) {
  // #define switch_mm_irqs_off switch_mm
  registerSwitchMmIrqsOffAlias(r);

  // ---- static inline void switch_mm(struct mm_struct *old_mm, struct mm_struct *mm, struct task_struct *tsk)
  //   per_cpu(per_cpu_secondary_mm, cpu) = mm;
  //   if (unlikely(mm == &init_mm)) return;
  r.add('switch_mm', 'per_cpu_secondary_mm', (k, x, f) => {
    k.archState.secondary_mm[x.cpu] = f.next;
    k.fpGlobal();
    if (f.next === k.init_mm) f.ret_early = true;
  });
  //   spin_lock_irqsave(&mm->context.lock, flags);
  r.add('switch_mm', 'spin_lock_irqsave', function* (k, x, f) {
    const cpu = k.cpus[x.cpu];
    f.irqs_were_off = cpu.irqsOff;
    cpu.irqsOff = true;
    const lock = ctxLock(k, f.next);
    for (;;) {
      if (k.cmpxchg(x, lock, 0, 1) === 0) break; // casx: on TSO sparc64 a full barrier
      yield 0;
      x.wait = () => k.peek(lock) === 0;
      yield BLOCK;
    }
    k.mb(x, 'spin_lock(&mm->context.lock) (an atomic: full barrier on TSO)');
    yield 0;
  });
  //   ctx_valid = CTX_VALID(mm->context);
  //   if (!ctx_valid) get_new_mmu_context(mm);
  r.add('switch_mm', 'get_new_mmu_context', function* (k, x, f) {
    const v = ctxVal(k, f.next);
    f.ctx_valid = k.ld(x, v) !== 0;
    yield 0;
    if (f.ctx_valid) return;
    // get_new_mmu_context(): under ctx_alloc_lock, the next free context number of this version
    k.st(x, v, ++k.archState.ctx_next);
    k.fpGlobal();
    k.count('ctx_allocs');
    yield 0;
  });
  //   load_secondary_context(mm); tsb_context_switch(mm);
  // (tsb_context_switch hands the TSB and __pa(mm->pgd) to the TSB miss handler / hypervisor)
  r.add('switch_mm', 'load_secondary_context', function* (k, x, f) {
    k.ld(x, ctxVal(k, f.next));
    const pgd = k.ld(x, f.next + L.MM_PGD);
    k.ld(x, pgd);
    k.archState.ctx[x.cpu] = f.next;
    k.fpGlobal();
    k.count('secondary_context_loads');
    if (k.tracing) k.tr(x, `load_secondary_context(${k.name(f.next)}); tsb_context_switch`);
    yield 0;
  });
  //   if (!ctx_valid || !cpumask_test_cpu(cpu, mm_cpumask(mm))) {
  //       cpumask_set_cpu(cpu, mm_cpumask(mm));
  //       __flush_tlb_mm(CTX_HWBITS(mm->context), SECONDARY_CONTEXT); }
  r.add('switch_mm', 'cpumask_set_cpu', function* (k, x, f) {
    const b = f.next + L.MM_CPUMASK + x.cpu;
    const set = k.ld(x, b);
    yield 0;
    if (f.ctx_valid && set) return;
    k.cmpxchg(x, b, 0, 1);
    localFlush(k, x, f.next, '__flush_tlb_mm');
    yield 0;
  });
  //   spin_unlock_irqrestore(&mm->context.lock, flags);
  r.add('switch_mm', 'spin_unlock_irqrestore', function* (k, x, f) {
    k.st(x, ctxLock(k, f.next), 0);
    k.cpus[x.cpu].irqsOff = f.irqs_were_off;
    yield 0;
  });

  // #define enter_lazy_tlb(mm,tsk) do { } while (0): no step.
  // #define activate_mm(active_mm, mm) switch_mm(active_mm, mm, NULL)
  r.add('activate_mm', 'switch_mm', function* (k, _x, f) {
    yield k.invoke(H.switch_mm, { prev: f.prev, next: f.next, tsk: null });
  });

  // ---- the mmu_gather flush, as the model calls it: flush_tlb_mm_range(mm, freed_tables, fullmm).
  // The PTE clears of the gather each did tlb_batch_add(mm, vaddr, ptep, orig, fullmm):
  //   if (!fullmm) tlb_batch_add_one(mm, vaddr, pte_exec(orig), hugepage_shift);
  r.add('flush_tlb_mm_range', 'tlb_batch_add', function* (k, _x, f) {
    if (f.fullmm) { k.count('fullmm_flush_skipped'); return; }
    yield k.invoke(SPARC.tlb_batch_add_one, { mm: f.mm });
  });
  // #define tlb_flush(tlb) flush_tlb_pending()
  r.add('flush_tlb_mm_range', 'tlb_flush', function* (k) {
    yield k.invoke(SPARC.flush_tlb_pending, {});
  });

  // ---- static void tlb_batch_add_one(struct mm_struct *mm, unsigned long vaddr, bool exec, ...)
  //   if (unlikely(nr != 0 && mm != tb->mm)) { flush_tlb_pending(); nr = 0; }
  r.add('tlb_batch_add_one', 'other_mm', function* (k, x, f) {
    const b = tb(k, x.cpu);
    if (b.tlb_nr !== 0 && b.mm !== f.mm) yield k.invoke(SPARC.flush_tlb_pending, {});
  });
  //   if (!tb->active) { flush_tsb_user_page(mm, vaddr, hugepage_shift); global_flush_tlb_page(mm, vaddr); goto out; }
  r.add('tlb_batch_add_one', 'global_flush_tlb_page', function* (k, x, f) {
    if (tb(k, x.cpu).active) return;
    yield k.invoke(SPARC.smp_flush_tlb_page, { mm: f.mm });
    f.ret_early = true;
  });
  //   if (nr == 0) tb->mm = mm; ... tb->vaddrs[nr] = vaddr; tb->tlb_nr = ++nr;
  //   if (nr >= TLB_BATCH_NR) flush_tlb_pending();
  r.add('tlb_batch_add_one', 'queue', function* (k, x, f) {
    const b = tb(k, x.cpu);
    if (b.tlb_nr === 0) b.mm = f.mm;
    b.tlb_nr++;
    k.count('tlb_batch_queued');
    if (k.tracing) k.tr(x, `tlb_batch_add(${k.name(f.mm)}): queued (tlb_nr ${b.tlb_nr})`);
    if (b.tlb_nr >= TLB_BATCH_NR) yield k.invoke(SPARC.flush_tlb_pending, {});
  });

  // ---- void flush_tlb_pending(void)
  //   struct tlb_batch *tb = &get_cpu_var(tlb_batch); struct mm_struct *mm = tb->mm;
  //   if (!tb->tlb_nr) goto out;
  //   flush_tsb_user(tb);
  //   if (CTX_VALID(mm->context)) { if (tb->tlb_nr == 1) global_flush_tlb_page(mm, tb->vaddrs[0]);
  //       else smp_flush_tlb_pending(tb->mm, tb->tlb_nr, &tb->vaddrs[0]); }
  //   tb->tlb_nr = 0;
  r.add('flush_tlb_pending', 'flush', function* (k, x, f) {
    const b = tb(k, x.cpu);
    if (b.tlb_nr === 0) { f.ret_early = true; return; }
    f.mm = b.mm;
    f.nr = b.tlb_nr;
    const valid = k.ld(x, ctxVal(k, f.mm)) !== 0;
    yield 0;
    if (!valid) return;
    if (f.nr === 1) yield k.invoke(SPARC.smp_flush_tlb_page, { mm: f.mm });
    else yield k.invoke(SPARC.smp_flush_tlb_pending, { mm: f.mm });
  });
  r.add('flush_tlb_pending', 'tlb_nr_clear', (k, x) => {
    tb(k, x.cpu).tlb_nr = 0;
  });

  // ---- void smp_flush_tlb_pending(struct mm_struct *mm, unsigned long nr, unsigned long *vaddrs)
  //   smp_call_function_many(mm_cpumask(mm), tlb_pending_func, &info, 1);
  //   __flush_tlb_pending(ctx, nr, vaddrs);
  r.add('smp_flush_tlb_pending', 'smp_call_function_many', function* (k, x, f) {
    const mask = cpumaskOf(k, x, f.mm);
    yield 0;
    yield* smp_call_function_many(k, x, mask, SPARC.tlb_pending_func, { mm: f.mm }, true, 'tlb_flush');
  });
  r.add('smp_flush_tlb_pending', '__flush_tlb_pending', function* (k, x, f) {
    localFlush(k, x, f.mm, '__flush_tlb_pending');
    yield 0;
  });
  // static void tlb_pending_func(void *info) { __flush_tlb_pending(t->ctx, t->nr, t->vaddrs); }
  r.add('tlb_pending_func', '__flush_tlb_pending', function* (k, x, f) {
    localFlush(k, x, f.mm, '__flush_tlb_pending');
    yield 0;
  });

  // ---- void smp_flush_tlb_page(struct mm_struct *mm, unsigned long vaddr)
  //   smp_cross_call_masked(&xcall_flush_tlb_page, context, vaddr, 0, mm_cpumask(mm));
  //   __flush_tlb_page(context, vaddr);
  r.add('smp_flush_tlb_page', 'smp_cross_call_masked', function* (k, x, f) {
    const mask = cpumaskOf(k, x, f.mm);
    yield 0;
    yield* smp_call_function_many(k, x, mask, SPARC.xcall_flush_tlb_page, { mm: f.mm }, true, 'tlb_flush');
  });
  r.add('smp_flush_tlb_page', '__flush_tlb_page', function* (k, x, f) {
    localFlush(k, x, f.mm, '__flush_tlb_page');
    yield 0;
  });
  r.add('xcall_flush_tlb_page', '__flush_tlb_page', function* (k, x, f) {
    localFlush(k, x, f.mm, 'xcall_flush_tlb_page');
    yield 0;
  });

  // ---- lazy MMU mode (arch/sparc/mm/tlb.c, v5.16: no preempt_disable() yet)
  // void arch_enter_lazy_mmu_mode(void) { struct tlb_batch *tb = this_cpu_ptr(&tlb_batch); tb->active = 1; }
  r.add('arch_enter_lazy_mmu_mode', 'tb_active', (k, x) => {
    tb(k, x.cpu).active = true;
  });
  // void arch_leave_lazy_mmu_mode(void) { if (tb->tlb_nr) flush_tlb_pending(); tb->active = 0; }
  r.add('arch_leave_lazy_mmu_mode', 'flush_tlb_pending', function* (k, x) {
    if (tb(k, x.cpu).tlb_nr) yield k.invoke(SPARC.flush_tlb_pending, {});
  });
  r.add('arch_leave_lazy_mmu_mode', 'tb_inactive', (k, x) => {
    tb(k, x.cpu).active = false;
  });
  // #define arch_flush_lazy_mmu_mode() do {} while (0): no step.

  registerDestroyContext(r, 'sparc64');
  registerRcuTableFree(r); // select MMU_GATHER_RCU_TABLE_FREE if SMP (the TSB miss handler walks with IRQs off)
}

export function registerSparc64Hotplug(r: StepRegistry) {
  // arch_cpu_idle_dead() -> cpu_play_dead(): idle_task_exit(); ... cpumask_clear_cpu(cpu,
  // &smp_commenced_mask); membar_safe("#Sync"); local_irq_disable(); while (1) barrier();
  // __cpu_die() on the BP polls smp_commenced_mask, then sun4v_cpu_stop(cpu).
  r.add('arch_cpu_idle_dead', 'idle_task_exit', function* (k) {
    yield k.invoke(H.idle_task_exit, {});
  });
  r.add('arch_cpu_idle_dead', 'smp_commenced_mask', (k, x) => {
    k.cpus[x.cpu].irqsOff = true;
    k.cpus[x.cpu].dead = true;
    // The BP's __cpu_die() stops the strand (sun4v_cpu_stop); when it is started again the
    // trampoline runs with context 0 and no user TSB: the old mm's context is gone with it.
    k.archState.ctx[x.cpu] = k.init_mm;
    k.fpGlobal();
    if (k.tracing) k.tr(x, `cpumask_clear_cpu(cpu${x.cpu}, &smp_commenced_mask)`);
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
  // the mm whose secondary context and TSB the CPU has loaded (init_mm: none)
  hwLoadedMm: (k, c) => k.archState.ctx[c],
  // TLB misses are handled in software for accesses the CPU makes: only a CPU running a task of mm
  // (a user thread, or a kthread in kthread_use_mm) can walk its page tables.
  mayWalk: (k, c, mm) => !k.cpus[c].dead && k.archState.ctx[c] === mm && k.peek(k.cpus[c].curr.ref + L.T_MM) === mm,
  loadedMm: (k, c) => k.archState.secondary_mm[c],
  inSwitchWindow: undefined, // the default: inside switch_mm()
  lazyMmuState: (k, c) => ({ active: tb(k, c).active, pending: tb(k, c).tlb_nr }),
  apply(r) {
    registerSparc64Mm(r);
    registerSparc64Hotplug(r);
  },
  boot(k) {
    k.archState = {
      ctx: Array.from({ length: k.ncpus }, () => k.init_mm),
      secondary_mm: Array.from({ length: k.ncpus }, () => k.init_mm),
      tlb_batch: Array.from({ length: k.ncpus }, (): TlbBatch => ({ active: false, tlb_nr: 0, mm: NULL })),
      ctx_next: 0,
      mmContext: new Map<number, number>(),
    };
  },
  costs: {
    // [est] a cross-call mondo round trip: sun4v cpu_mondo_send hypercall + TL>0 trap on the
    // target, ~2000 cycles; no figure in the seeds.
    xcall: 2000,
    // [est] demap-context of the secondary context in the local TLB (__flush_tlb_mm): ~100 cycles.
    flush_tlb_mm_local: 100,
  },
};

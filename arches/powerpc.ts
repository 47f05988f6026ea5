// powerpc 64-bit Book3S with the radix MMU, v5.16: switch_mm_irqs_off() in
// arch/powerpc/mm/mmu_context.c, membarrier_arch_switch_mm() in arch/powerpc/include/asm/membarrier.h,
// radix__switch_mmu_context() (mtspr SPRN_PID), and the TLB flush side of
// arch/powerpc/mm/book3s64/radix_tlb.c: radix__tlb_flush(), flush_type_needed(), exit_flush_lazy_tlbs(),
// exit_lazy_flush_tlb(), tlbie vs tlbiel-by-IPI. Hotplug: pseries_cpu_disable() ->
// cleanup_cpu_mmu_context() (commit 01b0f0eae081, v5.11), pseries_mach_cpu_die().
//
// What differs from x86 (seed 000 L6560-6672, L7410-7430; reference/patch-16-23.md §4):
//  - mm_cpumask is exact and *sticky*: switch_mm_irqs_off() sets this CPU's bit (and
//    mm->context.active_cpus) the first time the CPU uses the mm and never clears it on switching
//    away; lazy CPUs stay in it. Bits are only trimmed by exit_lazy_flush_tlb() (run on the CPU
//    itself, by IPI from exit_flush_lazy_tlbs()) and by cleanup_cpu_mmu_context() at CPU offline.
//  - enter_lazy_tlb() does nothing ("We don't currently use enter_lazy_tlb() for anything").
//  - flushes: flush_type_needed() picks NONE (active_cpus == 0), LOCAL (tlbiel, when this CPU is
//    the only one in the mask), or GLOBAL: a broadcast tlbie (cputlb_use_tlbie(), the default) or
//    tlbiel by IPI to all of mm_cpumask, lazy CPUs included (--set powerpc_tlbie=n). Neither
//    switches a lazy CPU off the mm. A single-threaded process flushing its own mm first trims the
//    mask with exit_flush_lazy_tlbs(): an IPI to mm_cpumask whose handler switches a lazy user to
//    init_mm, drops the CPU's bit and flushes; so does the per-CPU trim clock every
//    tlb_mm_cpumask_trim_timer (1073) flushes (--set tlb_mm_cpumask_trim_timer=1 to trim always).
//  - exit: the fullmm flush is FLUSH_TYPE_GLOBAL ("a TLBIE tends to be faster than an IPI+TLBIEL"),
//    so at v5.16 lazy CPUs are not shot down at exit; Nick Piggin's patch (seed L6673-6824), merged
//    as e43c0a0c3c28 in v6.6, makes that final flush an exit_flush_lazy_tlbs(). Not modelled here.
//  - membarrier: ARCH_HAS_MEMBARRIER_CALLBACKS; the barrier after rq->curr comes from
//    switch_mm_irqs_off(): the smp_mb() of new_on_cpu, or membarrier_arch_switch_mm() otherwise
//    (removed by lazy-mm/06).
//  - CONFIG_ARCH_WANT_IRQS_OFF_ACTIVATE_MM (d53c3dfb23c4): exec_mmap keeps IRQs off over activate_mm.
// Not modelled: the hash MMU (and its lazy MMU mode batch), coprocessors (mm->context.copros,
// which force tlbie), the nest MMU, KVM's radix_kvm_prefetch_workaround(), dssall.
import {
  fns, frameExt, ptr, int, bool, task, cpus, NEXT, RET, YIELD, CALL, again, callAgain, fuseCallAgain,
  H, NULL, L, TS_DEAD, ModelError,
  type ArchPlugin, type StepRegistry, type Kernel, type Ctx, type RecordView, type FnId, type Step,
} from '../core/model/index.ts';
import {
  cpumaskOf, tlbFlushedLocal, tlbFlushedAll, mmContext, registerDestroyContext, registerSwitchMmIrqSave, registerRcuTableFree,
} from './lib.ts';

/** The radix flush of an mmu_gather (__flush_all_mm for fullmm, the range flush otherwise): one
 *  frame layout, since the two share their steps. `type` is what flush_type_needed() returned. */
const RADIX_FLUSH = { mm: ptr, fullmm: bool, also_pwc: bool, type: int, mask: cpus } as const;
export const PPC = fns({
  __flush_all_mm: RADIX_FLUSH,
  __radix__flush_tlb_range_psize: RADIX_FLUSH,
  flush_type_needed: { mm: ptr, fullmm: bool, type: int, active_cpus: int, users: int, mine: bool, cur_mm: ptr },
  exit_flush_lazy_tlbs: { mm: ptr, mask: cpus },
  do_exit_flush_lazy_tlb: { mm: ptr },
  exit_lazy_flush_tlb: { mm: ptr, always_flush: bool, skip: bool, cur: task, active_mm: ptr, mine: bool },
  do_tlbiel_pid: { mm: ptr },
  __cpu_disable: { cpu: int },
  /** `i`: the task clear_tasks_mm_cpumask() is at; `seen`: the mms it has handled (a bitmask of
   *  mm record indices) */
  cleanup_cpu_mmu_context: { cpu: int, i: int, mm: ptr, mine: bool, seen: int },
});
/** powerpc's locals in switch_mm_irqs_off(). */
export const PPC_EXT = frameExt({
  switch_mm_irqs_off: { new_on_cpu: bool, cpumask_was_set: bool, membarrier_state: int },
});
declare module '../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof PPC> {}
  interface FrameExts { powerpc: typeof PPC_EXT }
  interface KernelSteps {
    'switch_mm_irqs_off.new_on_cpu': true; 'switch_mm_irqs_off.prev_eq_next': true;
    'switch_mm_irqs_off.membarrier_arch_switch_mm': true; 'switch_mm_irqs_off.switch_mmu_context': true;
    'activate_mm.switch_mm': true; 'flush_tlb_mm_range.radix__tlb_flush': true;
    '__flush_all_mm.smp_mb': true; '__flush_all_mm.flush_type_needed': true; '__flush_all_mm.flush': true;
    '__radix__flush_tlb_range_psize.smp_mb': true; '__radix__flush_tlb_range_psize.flush_type_needed': true;
    '__radix__flush_tlb_range_psize.flush': true; 'do_tlbiel_pid._tlbiel_pid': true;
    'flush_type_needed.active_cpus': true; 'flush_type_needed.fullmm': true;
    'flush_type_needed.single_threaded_trim': true; 'flush_type_needed.trim_clock': true;
    'exit_flush_lazy_tlbs.smp_call_function_many': true; 'do_exit_flush_lazy_tlb.exit_lazy_flush_tlb': true;
    'exit_lazy_flush_tlb.current_mm': true; 'exit_lazy_flush_tlb.switch_lazy_to_init_mm': true;
    'exit_lazy_flush_tlb.cpumask_clear_cpu': true; 'exit_lazy_flush_tlb.out': true;
    '__cpu_disable.cleanup_cpu_mmu_context': true;
    'cleanup_cpu_mmu_context.clear_tasks_mm_cpumask': true; 'cleanup_cpu_mmu_context.tlbiel_all': true;
    'arch_cpu_idle_dead.idle_task_exit': true; 'arch_cpu_idle_dead.rtas_stop_self': true;
  }
}

/** powerpc's per-run state: SPRN_PID per CPU (as the mm it designates) and the per-CPU trim clock
 *  of flush_type_needed(). mm->context lives in its own object (lib.ts mmContext, the mm's arch0). */
export const PPC_STATE = { pid: 'perCpu', trimClock: 'perCpu' } as const;
export const ppcState = (k: Kernel) => k.archState as RecordView<typeof PPC_STATE>;

const FLUSH_TYPE_NONE = 0;
const FLUSH_TYPE_LOCAL = 1;
const FLUSH_TYPE_GLOBAL = 2;
const TYPE_NAMES = ['FLUSH_TYPE_NONE', 'FLUSH_TYPE_LOCAL', 'FLUSH_TYPE_GLOBAL'];

/** mm->context: .id (the PID) and .active_cpus */
const CTX_FIELDS = ['id', 'active_cpus'];
const ctxId = (k: Kernel, mm: number) => mmContext(k, mm, CTX_FIELDS);
const activeCpus = (k: Kernel, mm: number) => mmContext(k, mm, CTX_FIELDS) + 1;
const bit = (mm: number, cpu: number) => mm + L.MM_CPUMASK + cpu;

/** _tlbiel_pid(pid, RIC_FLUSH_ALL): flush this CPU's TLB and page-walk cache for the PID. */
function tlbiel_pid(k: Kernel, x: Ctx, mm: number) {
  tlbFlushedLocal(k, x.cpu, mm);
  k.mb(x, `_tlbiel_pid(${k.name(mm)}): ptesync; tlbiel; ptesync`);
  k.count('tlbiel');
}

/** static bool tick_and_test_trim_clock(void) */
function tick_and_test_trim_clock(k: Kernel, cpu: number): boolean {
  const clock = ppcState(k).trimClock;
  if (++clock[cpu] === Number(k.param('tlb_mm_cpumask_trim_timer', '1073'))) {
    clock[cpu] = 0;
    return true;
  }
  return false;
}

/** exit_lazy_flush_tlb(): "Is a kernel thread and is using mm as the lazy tlb":
 *    mmgrab(&init_mm); current->active_mm = &init_mm; switch_mm_irqs_off(mm, &init_mm, current); mmdrop(mm);
 *  with the grab and the drop given: functions of one argument `mm` (mmgrab and mmdrop here;
 *  shoot-lazies/02 converts them to mmgrab_lazy_tlb and mmdrop_lazy_tlb).
 *  Resume points: 1 after reading current->active_mm, 2 after the grab, 3 after the active_mm
 *  store, 4 after switch_mm_irqs_off(). */
export function switchLazyToInitMm(grab: FnId, drop: FnId): Step<'exit_lazy_flush_tlb'> {
  return (k, x, f, pc) => {
    switch (pc) {
      case 0: // entry
        if (f.skip) return NEXT;
        f.cur = k.cpus[x.cpu].curr.ref;
        f.active_mm = k.ld(x, f.cur + L.T_ACTIVE_MM);
        return again(1);
      case 1: { // after reading current->active_mm
        if (f.active_mm !== f.mm) return NEXT;
        k.warn(x, k.ld(x, f.cur + L.T_MM) !== NULL, 'WARN_ON_ONCE(current->mm != NULL) in exit_lazy_flush_tlb');
        k.count('exit_lazy_unlazy');
        k.call(x, grab as FnId<'mmgrab'>).mm = k.init_mm;
        return fuseCallAgain(2);
      }
      case 2: // after the grab of init_mm
        k.st(x, f.cur + L.T_ACTIVE_MM, k.init_mm);
        return again(3);
      case 3: { // after current->active_mm = &init_mm
        const c = k.call(x, H.switch_mm_irqs_off);
        c.prev = f.mm;
        c.next = k.init_mm;
        c.tsk = f.cur;
        return callAgain(4);
      }
      default: // 4: after switch_mm_irqs_off()
        k.call(x, drop as FnId<'mmdrop'>).mm = f.mm;
        return CALL;
    }
  };
}

export function registerPowerpcMm(r: StepRegistry) {
  // ---- void switch_mm_irqs_off(struct mm_struct *prev, struct mm_struct *next, struct task_struct *tsk)
  //  /* Mark this context has been used on the new CPU */
  //  if (!cpumask_test_cpu(smp_processor_id(), mm_cpumask(next))) {
  //      cpumask_set_cpu(smp_processor_id(), mm_cpumask(next)); inc_mm_active_cpus(next);
  //      smp_mb(); /* ... also needed by membarrier when switching between processes ... */
  //      new_on_cpu = true; }
  // Resume points: 1 after the cpumask test, 2 after cpumask_set_cpu(), 3 after inc_mm_active_cpus().
  r.add('switch_mm_irqs_off', 'new_on_cpu', (k, x, f, pc) => {
    switch (pc) {
      case 0: // entry
        f.new_on_cpu = false;
        f.cpumask_was_set = k.ld(x, bit(f.next, x.cpu)) !== 0;
        return again(1);
      case 1: // after cpumask_test_cpu()
        if (f.cpumask_was_set) return NEXT;
        k.cmpxchg(x, bit(f.next, x.cpu), 0, 1); // cpumask_set_cpu(): set_bit, an atomic RMW
        return again(2);
      case 2: // after cpumask_set_cpu()
        k.atomicAdd(x, activeCpus(k, f.next), 1, 'atomic_inc'); // inc_mm_active_cpus(next)
        return again(3);
      default: // 3: after inc_mm_active_cpus()
        // "This full barrier orders the store to the cpumask above vs a subsequent load which allows
        //  this CPU/MMU to begin loading translations for 'next' from page table PTEs into the TLB."
        k.mb(x, 'smp_mb() /* mm_cpumask store vs the MMU context-id load */');
        f.new_on_cpu = true;
        return YIELD;
    }
  });
  //  /* Nothing else to do if we aren't actually switching */
  //  if (prev == next) return;
  r.add('switch_mm_irqs_off', 'prev_eq_next', (_k, _x, f) => (f.prev === f.next ? RET : NEXT));
  //  if (new_on_cpu) radix_kvm_prefetch_workaround(next);
  //  else membarrier_arch_switch_mm(prev, next, tsk);
  // membarrier_arch_switch_mm(): "Only need the full barrier when switching between processes."
  //  if (likely(!(atomic_read(&next->membarrier_state) & MEMBARRIER_STATE_PRIVATE_EXPEDITED) || !prev))
  //      return;
  //  /* The membarrier system call requires a full memory barrier after storing to rq->curr,
  //     before going back to user-space. */  smp_mb();
  // Resume point 1: after reading next->membarrier_state.
  r.add('switch_mm_irqs_off', 'membarrier_arch_switch_mm', (k, x, f, pc) => {
    if (pc === 0) {
      if (f.new_on_cpu) return NEXT;
      f.membarrier_state = k.ld(x, f.next + L.MM_MEMBARRIER_STATE);
      return again(1);
    }
    if (!(f.membarrier_state & L.MEMBARRIER_STATE_PRIVATE_EXPEDITED) || f.prev === NULL) return NEXT;
    k.mb(x, 'smp_mb() /* membarrier_arch_switch_mm */');
    return YIELD;
  });
  //  switch_mmu_context(prev, next, tsk) -> radix__switch_mmu_context(): mtspr(SPRN_PID, next->context.id); isync();
  r.add('switch_mm_irqs_off', 'switch_mmu_context', (k, x, f) => {
    const pgd = k.ld(x, f.next + L.MM_PGD);
    k.ld(x, pgd); // the MMU walks next's process-table entry and page tables from here
    ppcState(k).pid[x.cpu] = f.next;
    k.fpGlobal(); // hwLoadedMm changed: oracles on other CPUs read it
    k.count('mtspr_pid');
    if (k.tracing) k.tr(x, `mtspr SPRN_PID <- ${k.name(f.next)}.context.id; isync`);
    return YIELD;
  });

  // enter_lazy_tlb(): "We don't currently use enter_lazy_tlb() for anything" (Book3E only clears
  // paca->pgd): no step.

  // switch_mm(): local_irq_save(); switch_mm_irqs_off(); local_irq_restore();
  registerSwitchMmIrqSave(r);
  // activate_mm(prev, next): switch_mm(prev, next, current);
  r.add('activate_mm', 'switch_mm', (k, x, f) => {
    const c = k.call(x, H.switch_mm);
    c.prev = f.prev;
    c.next = f.next;
    c.tsk = k.cpus[x.cpu].curr.ref;
    return CALL;
  });

  // ---- tlb_flush(tlb) -> radix__tlb_flush(struct mmu_gather *tlb): the arch's flush of an
  // mmu_gather, which the model calls as flush_tlb_mm_range(mm, freed_tables, fullmm).
  //  if (tlb->fullmm || tlb->need_flush_all) __flush_all_mm(mm, true);
  //  else if (!tlb->freed_tables) radix__flush_tlb_range_psize(mm, start, end, psize);
  //  else radix__flush_tlb_pwc_range_psize(mm, start, end, psize);
  r.add('flush_tlb_mm_range', 'radix__tlb_flush', (k, x, f) => {
    if (f.fullmm) {
      const c = k.call(x, H.__flush_all_mm);
      c.mm = f.mm;
      c.fullmm = true;
      return CALL;
    }
    const c = k.call(x, H.__radix__flush_tlb_range_psize);
    c.mm = f.mm;
    c.also_pwc = f.freed_tables;
    return CALL;
  });

  // __flush_all_mm(mm, fullmm) and __radix__flush_tlb_range_psize(mm, ..., also_pwc): the same
  // shape -- smp_mb(); type = flush_type_needed(mm, fullmm); then tlbiel here, or tlbie, or tlbiel
  // on every CPU of mm_cpumask by IPI.
  for (const h of ['__flush_all_mm', '__radix__flush_tlb_range_psize'] as const) {
    // "Order loads of mm_cpumask (in flush_type_needed) vs previous stores to clear ptes before
    //  the invalidate. See barrier in switch_mm_irqs_off"
    //  pid = mm->context.id; if (unlikely(pid == MMU_NO_CONTEXT)) return; preempt_disable(); smp_mb();
    r.add(h, 'smp_mb', (k, x, f) => {
      k.ld(x, ctxId(k, f.mm));
      k.mb(x, 'smp_mb() /* see radix__flush_tlb_mm */');
      return YIELD;
    });
    // Resume point 1: flush_type_needed() has returned.
    r.add(h, 'flush_type_needed', (k, x, f, pc) => {
      if (pc === 1) {
        f.type = k.ret(x, H.flush_type_needed).type;
        return NEXT;
      }
      const c = k.call(x, H.flush_type_needed);
      c.mm = f.mm;
      c.fullmm = f.fullmm;
      c.type = FLUSH_TYPE_GLOBAL;
      return callAgain(1);
    });
    // Resume point 1: after reading mm_cpumask for the tlbiel multicast.
    r.add(h, 'flush', (k, x, f, pc) => {
      if (pc === 1) {
        // _tlbiel_pid_multicast(mm, pid, ric): on_each_cpu_mask(mm_cpumask(mm), do_tlbiel_pid, &t, 1);
        const c = k.call(x, H.on_each_cpu_mask);
        c.mask = f.mask;
        c.fn = H.do_tlbiel_pid;
        c.purpose = 'tlb_flush';
        k.ipiArgs(c, H.do_tlbiel_pid).mm = f.mm;
        return CALL;
      }
      const type = f.type;
      if (k.tracing) k.tr(x, `${TYPE_NAMES[type]} for ${k.name(f.mm)}`);
      if (type === FLUSH_TYPE_NONE) return NEXT;
      if (type === FLUSH_TYPE_LOCAL) {
        tlbiel_pid(k, x, f.mm);
        return YIELD;
      }
      if (k.flag('powerpc_tlbie', true)) {
        // cputlb_use_tlbie(): _tlbie_pid(pid, RIC_FLUSH_ALL): "ptesync; tlbie; eieio; tlbsync; ptesync"
        // -- the interconnect invalidates every CPU's TLB and page-walk cache for the PID.
        tlbFlushedAll(k, f.mm);
        k.fpGlobal();
        k.mb(x, `_tlbie_pid(${k.name(f.mm)}): ptesync; tlbie; eieio; tlbsync; ptesync (broadcast)`);
        k.count('tlbie');
        return YIELD;
      }
      f.mask = cpumaskOf(k, x, f.mm);
      return again(1);
    });
  }
  // static void do_tlbiel_pid(void *info): _tlbiel_pid(t->pid, t->ric) -- a flush, never a switch.
  r.add('do_tlbiel_pid', '_tlbiel_pid', (k, x, f) => {
    tlbiel_pid(k, x, f.mm);
    return YIELD;
  });

  // ---- static enum tlb_flush_type flush_type_needed(struct mm_struct *mm, bool fullmm)
  //  int active_cpus = atomic_read(&mm->context.active_cpus);
  //  if (active_cpus == 0) return FLUSH_TYPE_NONE;
  //  if (active_cpus == 1 && cpumask_test_cpu(cpu, mm_cpumask(mm))) {
  //      if (current->mm != mm) { if (tick_and_test_trim_clock()) { exit_lazy_flush_tlb(mm, true); return FLUSH_TYPE_NONE; } }
  //      return FLUSH_TYPE_LOCAL; }
  // Resume points: 1 after reading active_cpus, 2 after the cpumask test, 3 after reading
  // current->mm, 4 after exit_lazy_flush_tlb().
  r.add('flush_type_needed', 'active_cpus', (k, x, f, pc) => {
    switch (pc) {
      case 0: // entry
        f.active_cpus = k.ld(x, activeCpus(k, f.mm));
        return again(1);
      case 1: // after atomic_read(&mm->context.active_cpus)
        if (f.active_cpus === 0) { f.type = FLUSH_TYPE_NONE; return RET; }
        if (f.active_cpus !== 1) return NEXT;
        f.mine = k.ld(x, bit(f.mm, x.cpu)) !== 0;
        return again(2);
      case 2: // after cpumask_test_cpu(cpu, mm_cpumask(mm))
        if (!f.mine) return NEXT;
        f.cur_mm = k.ld(x, k.cpus[x.cpu].curr.ref + L.T_MM);
        return again(3);
      case 3: { // after reading current->mm
        if (f.cur_mm !== f.mm && tick_and_test_trim_clock(k, x.cpu)) {
          const c = k.call(x, H.exit_lazy_flush_tlb);
          c.mm = f.mm;
          c.always_flush = true;
          return callAgain(4);
        }
        f.type = FLUSH_TYPE_LOCAL;
        return RET;
      }
      default: // 4: after exit_lazy_flush_tlb()
        f.type = FLUSH_TYPE_NONE;
        return RET;
    }
  });
  // (/* Coprocessors require TLBIE to invalidate nMMU. */ mm->context.copros is 0 in the model.)
  //  /* In the fullmm case there's no point doing the exit_flush_lazy_tlbs because the mm is being
  //     taken down anyway, and a TLBIE tends to be faster than an IPI+TLBIEL. */
  //  if (fullmm) return FLUSH_TYPE_GLOBAL;
  r.add('flush_type_needed', 'fullmm', (_k, _x, f) => {
    if (!f.fullmm) return NEXT;
    f.type = FLUSH_TYPE_GLOBAL;
    return RET;
  });
  //  /* If we are running the only thread of a single-threaded process, then we should almost
  //     always be able to trim off the rest of the CPU mask ... so always try trimming the mask. */
  //  if (atomic_read(&mm->mm_users) <= 1 && current->mm == mm) { exit_flush_lazy_tlbs(mm); return FLUSH_TYPE_LOCAL; }
  // Resume points: 1 after reading mm_users, 2 after reading current->mm, 3 after exit_flush_lazy_tlbs().
  r.add('flush_type_needed', 'single_threaded_trim', (k, x, f, pc) => {
    switch (pc) {
      case 0: // entry
        f.users = k.ld(x, f.mm + L.MM_USERS);
        return again(1);
      case 1: // after atomic_read(&mm->mm_users)
        if (f.users > 1) return NEXT;
        f.cur_mm = k.ld(x, k.cpus[x.cpu].curr.ref + L.T_MM);
        return again(2);
      case 2: // after reading current->mm
        if (f.cur_mm !== f.mm) return NEXT;
        k.call(x, H.exit_flush_lazy_tlbs).mm = f.mm;
        return callAgain(3);
      default: // 3: after exit_flush_lazy_tlbs()
        f.type = FLUSH_TYPE_LOCAL;
        return RET;
    }
  });
  //  /* Occasionally try to trim down the cpumask. It's possible this can bring the mask to zero,
  //     which results in no flush. */
  //  if (tick_and_test_trim_clock()) { exit_flush_lazy_tlbs(mm); if (current->mm == mm) return FLUSH_TYPE_LOCAL;
  //      if (cpumask_test_cpu(cpu, mm_cpumask(mm))) exit_lazy_flush_tlb(mm, true); return FLUSH_TYPE_NONE; }
  //  return FLUSH_TYPE_GLOBAL;
  // Resume points: 1 after exit_flush_lazy_tlbs(), 2 after reading current->mm, 3 after the
  // cpumask test, 4 after exit_lazy_flush_tlb().
  r.add('flush_type_needed', 'trim_clock', (k, x, f, pc) => {
    switch (pc) {
      case 0: // entry
        f.type = FLUSH_TYPE_GLOBAL;
        if (!tick_and_test_trim_clock(k, x.cpu)) return NEXT;
        k.call(x, H.exit_flush_lazy_tlbs).mm = f.mm;
        return callAgain(1);
      case 1: // after exit_flush_lazy_tlbs()
        f.cur_mm = k.ld(x, k.cpus[x.cpu].curr.ref + L.T_MM);
        return again(2);
      case 2: // after reading current->mm
        if (f.cur_mm === f.mm) { f.type = FLUSH_TYPE_LOCAL; return NEXT; }
        f.mine = k.ld(x, bit(f.mm, x.cpu)) !== 0;
        return again(3);
      case 3: // after cpumask_test_cpu(cpu, mm_cpumask(mm))
        if (f.mine) {
          const c = k.call(x, H.exit_lazy_flush_tlb);
          c.mm = f.mm;
          c.always_flush = true;
          return callAgain(4);
        }
        f.type = FLUSH_TYPE_NONE;
        return NEXT;
      default: // 4: after exit_lazy_flush_tlb()
        f.type = FLUSH_TYPE_NONE;
        return NEXT;
    }
  });

  // ---- static void exit_flush_lazy_tlbs(struct mm_struct *mm)
  //  smp_call_function_many(mm_cpumask(mm), do_exit_flush_lazy_tlb, (void *)mm, 1);
  // Resume point 1: after reading mm_cpumask.
  r.add('exit_flush_lazy_tlbs', 'smp_call_function_many', (k, x, f, pc) => {
    if (pc === 0) {
      f.mask = cpumaskOf(k, x, f.mm);
      return again(1);
    }
    k.count('exit_flush_lazy_tlbs');
    const c = k.call(x, H.smp_call_function_many);
    c.mask = f.mask;
    c.fn = H.do_exit_flush_lazy_tlb;
    c.purpose = 'tlb_flush';
    k.ipiArgs(c, H.do_exit_flush_lazy_tlb).mm = f.mm;
    return CALL;
  });
  // static void do_exit_flush_lazy_tlb(void *arg) { exit_lazy_flush_tlb(mm, true); }
  r.add('do_exit_flush_lazy_tlb', 'exit_lazy_flush_tlb', (k, x, f) => {
    const c = k.call(x, H.exit_lazy_flush_tlb);
    c.mm = f.mm;
    c.always_flush = true;
    return CALL;
  });

  // ---- void exit_lazy_flush_tlb(struct mm_struct *mm, bool always_flush)
  //  /* A kthread could have done a mmget_not_zero() after the flushing CPU checked mm_cpumask, and
  //     be in the process of kthread_use_mm when interrupted here. ... */
  //  if (current->mm == mm) goto out;
  r.add('exit_lazy_flush_tlb', 'current_mm', (k, x, f) => {
    const curMm = k.ld(x, k.cpus[x.cpu].curr.ref + L.T_MM);
    f.skip = curMm === f.mm;
    return YIELD;
  });
  //  if (current->active_mm == mm) { WARN_ON_ONCE(current->mm != NULL);
  //      /* Is a kernel thread and is using mm as the lazy tlb */
  //      mmgrab(&init_mm); current->active_mm = &init_mm; switch_mm_irqs_off(mm, &init_mm, current); mmdrop(mm); }
  r.add('exit_lazy_flush_tlb', 'switch_lazy_to_init_mm', switchLazyToInitMm(H.mmgrab, H.mmdrop));
  //  /* This IPI may be initiated from any source including those not running the mm, so there may
  //     be a racing IPI that comes after this one which finds the cpumask already clear. ... */
  //  if (cpumask_test_cpu(cpu, mm_cpumask(mm))) { atomic_dec(&mm->context.active_cpus);
  //      cpumask_clear_cpu(cpu, mm_cpumask(mm)); always_flush = true; }
  // Resume points: 1 after the cpumask test, 2 after the active_cpus decrement.
  r.add('exit_lazy_flush_tlb', 'cpumask_clear_cpu', (k, x, f, pc) => {
    switch (pc) {
      case 0: // entry
        if (f.skip) return NEXT;
        f.mine = k.ld(x, bit(f.mm, x.cpu)) !== 0;
        return again(1);
      case 1: // after cpumask_test_cpu()
        if (!f.mine) return NEXT;
        k.atomicAdd(x, activeCpus(k, f.mm), -1, 'atomic_dec');
        return again(2);
      default: // 2: after atomic_dec(&mm->context.active_cpus)
        k.cmpxchg(x, bit(f.mm, x.cpu), 1, 0);
        f.always_flush = true;
        return YIELD;
    }
  });
  //  out: if (always_flush) _tlbiel_pid(pid, RIC_FLUSH_ALL);
  r.add('exit_lazy_flush_tlb', 'out', (k, x, f) => {
    if (!f.always_flush) return NEXT;
    tlbiel_pid(k, x, f.mm);
    return YIELD;
  });

  // __mmdrop() -> destroy_context(mm): the PID and mm->context go with the mm.
  registerDestroyContext(r, 'powerpc');
  registerRcuTableFree(r); // PPC_BOOK3S_64: select MMU_GATHER_RCU_TABLE_FREE
}

/** clear_tasks_mm_cpumask()'s loop from task f.i on: the next live non-idle task's mm is read
 *  (a scheduling point, resume point 2), or the loop is over. */
function clearTasksNext(k: Kernel, x: Ctx, f: { i: number; mm: number }): number {
  for (; f.i < k.taskCount(); f.i++) {
    const t = k.tasks[f.i];
    if (t.isIdle || t.state === TS_DEAD) continue;
    f.mm = k.ld(x, t.ref + L.T_MM);
    return again(2);
  }
  return NEXT;
}

/** The bit of mm in clear_tasks_mm_cpumask()'s set of handled mms. */
function mmBit(k: Kernel, mm: number): number {
  const mi = k.mmInfo(mm);
  if (!mi || mi.index >= 32) throw new ModelError(`clear_tasks_mm_cpumask: ${k.name(mm)} is not one of the first 32 mms`);
  return 1 << mi.index;
}

export function registerPowerpcHotplug(r: StepRegistry) {
  // take_cpu_down() -> __cpu_disable() -> pseries_cpu_disable(): set_cpu_online(cpu, false); ...
  // cleanup_cpu_mmu_context(); -- on the dying CPU, inside stop_machine.
  r.add('__cpu_disable', 'cleanup_cpu_mmu_context', (k, x, f) => {
    k.call(x, H.cleanup_cpu_mmu_context).cpu = f.cpu;
    return CALL;
  });
  // void cleanup_cpu_mmu_context(void) { clear_tasks_mm_cpumask(cpu); tlbiel_all(); }
  // clear_tasks_mm_cpumask(cpu): WARN_ON(cpu_online(cpu)); for_each_process(p) { t = find_lock_task_mm(p);
  //     if (!t) continue; arch_clear_mm_cpumask_cpu(cpu, t->mm); task_unlock(t); }
  // arch_clear_mm_cpumask_cpu(cpu, mm): if (cpumask_test_cpu(cpu, mm_cpumask(mm))) {
  //     atomic_dec(&(mm)->context.active_cpus); cpumask_clear_cpu(cpu, mm_cpumask(mm)); }
  // The dying CPU may still be lazily on one of those mms (its idle task's active_mm) until
  // idle_task_exit(): harmless with refcounted lazy mms, the hotplug race of 21641bd9a7a7 under
  // MMU_LAZY_TLB_SHOOTDOWN.
  // Loop counter f.i (the task), f.seen (the mms done). Resume points: 1 the loop head (the next
  // task), 2 after reading t->mm, 3 after the cpumask test, 4 after the active_cpus decrement.
  r.add('cleanup_cpu_mmu_context', 'clear_tasks_mm_cpumask', (k, x, f, pc) => {
    switch (pc) {
      case 0: // entry
        k.warn(x, k.cpus[f.cpu].online, `WARN_ON(cpu_online(${f.cpu})) in clear_tasks_mm_cpumask`);
        f.i = 0;
        f.seen = 0;
        return clearTasksNext(k, x, f);
      case 1: // the loop head
        return clearTasksNext(k, x, f);
      case 2: { // after reading t->mm
        const seen = f.mm === NULL ? 0 : mmBit(k, f.mm);
        if (f.mm === NULL || (f.seen & seen) !== 0) { f.i++; return clearTasksNext(k, x, f); }
        f.seen |= seen;
        f.mine = k.ld(x, bit(f.mm, f.cpu)) !== 0;
        return again(3);
      }
      case 3: // after cpumask_test_cpu(cpu, mm_cpumask(mm))
        if (!f.mine) { f.i++; return clearTasksNext(k, x, f); }
        k.atomicAdd(x, activeCpus(k, f.mm), -1, 'atomic_dec');
        return again(4);
      default: // 4: after atomic_dec(&mm->context.active_cpus)
        k.cmpxchg(x, bit(f.mm, f.cpu), 1, 0);
        f.i++;
        return again(1);
    }
  });
  r.add('cleanup_cpu_mmu_context', 'tlbiel_all', (k, _x, f) => {
    for (const mi of k.mmList()) tlbFlushedLocal(k, f.cpu, mi.ref);
    return NEXT;
  });

  // arch_cpu_idle_dead() -> ppc_md.cpu_die() -> pseries_mach_cpu_die():
  //   local_irq_disable(); idle_task_exit(); xics/xive teardown; rtas_stop_self();
  r.add('arch_cpu_idle_dead', 'idle_task_exit', (k, x) => {
    k.call(x, H.idle_task_exit);
    return CALL;
  });
  // rtas_stop_self(): the BP's pseries_cpu_die() polls smp_query_cpu_stopped() == QCSS_STOPPED.
  r.add('arch_cpu_idle_dead', 'rtas_stop_self', (k, x) => {
    k.cpus[x.cpu].dead = true;
    k.fpGlobal();
    if (k.tracing) k.tr(x, `rtas_stop_self(cpu${x.cpu})`);
    return NEXT;
  });
}

export const powerpc: ArchPlugin = {
  options: [
    { name: 'powerpc_tlbie', type: 'bool', default: 'y', help: 'global flushes by broadcast tlbie (cputlb_use_tlbie()); n: tlbiel by IPI to all of mm_cpumask' },
    { name: 'tlb_mm_cpumask_trim_timer', type: 'int', min: 1, max: 1_000_000, default: '1073', help: 'flushes between mm_cpumask trims (1: trim on every flush)' },
  ],
  name: 'powerpc',
  description: 'powerpc 64s radix: exact sticky mm_cpumask + active_cpus, tlbie broadcast (or tlbiel by IPI to all of mm_cpumask), exit_flush_lazy_tlbs trims, PIDs',
  // a665eec0a22e (v5.10: exit_lazy_flush_tlb's current->mm check) and 01b0f0eae081 (v5.11:
  // offline trim) are in; e43c0a0c3c28 (v6.6: the exit flush shoots lazies) is not.
  kernels: '>=5.11.0',
  mmCpumaskExact: true,
  flushIpisReachLazy: 'always', // tlbiel multicast and exit_flush_lazy_tlbs IPI all of mm_cpumask
  exitShootsLazies: false, // fullmm -> FLUSH_TYPE_GLOBAL tlbie (v5.16); true from v6.6
  asids: true, // radix PIDs (mm->context.id), tagged TLB entries
  mmuGather: 'gather',
  lazyMmu: false, // arch_enter_lazy_mmu_mode(): `if (radix_enabled()) return;` (hash only)
  syncCore: 'exception-return', // rfid back to user space is context synchronizing
  wantIrqsOffActivateMm: true,
  tlbFlush: 'mixed', // tlbiel (local), tlbie (broadcast), tlbiel by IPI; exit_flush_lazy_tlbs by IPI
  state: PPC_STATE,
  hwLoadedMm: (k, c) => ppcState(k).pid[c],
  mayWalk: (k, c, mm) => ppcState(k).pid[c] === mm, // the radix walker follows SPRN_PID
  loadedMm: undefined, // the only record of the loaded mm is SPRN_PID itself
  inSwitchWindow: undefined, // the default: inside switch_mm_irqs_off()/switch_mm()
  lazyMmuState: undefined, // no lazy MMU mode on radix
  apply(r) {
    registerPowerpcMm(r);
    registerPowerpcHotplug(r);
  },
  boot(k) {
    const s = ppcState(k);
    s.pid.fill(k.init_mm);
    s.trimClock.fill(0);
    // every CPU starts on init_mm: its bit and active_cpus as switch_mm_irqs_off would have set them
    const ac = activeCpus(k, k.init_mm);
    for (let c = 0; c < k.ncpus; c++) k.m.mem[bit(k.init_mm, c)] = 1;
    k.m.mem[ac] = k.ncpus;
  },
  costs: {
    // [seed] Nick Piggin, seed 000 L6663-6666: a broadcast tlbie is "not _so much_ faster" than the
    // IPIs; [est] we take tlbie ~ one IPI round trip on chip minus the handler, ~2000 cycles.
    tlbie: 2000,
    // [kernel] radix_tlb.c tlb_local_single_page_flush_ceiling = POWER9_TLB_SETS_RADIX * 2: a full
    // PID tlbiel walks 128 sets; [est] ~1 cycle/set plus ptesync: ~400 cycles.
    tlbiel_pid: 400,
    // [est] same order as x86 CR3 (seed 000 gives only x86 figures, L6086 "250-300 cycles").
    mtspr_pid: 300,
    // [pub] anchors-upstream.md §7: "an IPI round-trip is ~1-3 us" (rough prior): 1 us at 4 GHz.
    ipi_round_trip: 4000,
  },
};

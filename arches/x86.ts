// x86-64 on bare metal, v5.16: arch/x86/mm/tlb.c (switch_mm_irqs_off, enter_lazy_tlb,
// leave_mm, flush_tlb_func, flush_tlb_mm_range, native_flush_tlb_multi), the temporary-mm users
// (text_poke in arch/x86/kernel/alternative.c, EFI in arch/x86/platform/efi/efi_64.c), cpuidle's
// CPUIDLE_FLAG_TLB_FLUSHED, play_dead_common, and perf's NMI-time get_segment_base().
//
// mm_cpumask on x86 holds every CPU whose loaded_mm is the mm, lazy ones included, so it is exact
// as long as nothing switches CR3 behind the scheduler's back (which leave_mm does until lazy-mm/20).
import {
  fns, frameExt, ptr, bool, int, cpus, struct, NEXT, RET, YIELD, FUSE, FUSE_RET, CALL, FUSE_CALL,
  callAgain, fuseCallAgain, again, goTo, FUSED,
  H, NULL, L, newMm, tlbFlushMm, syncCoreEvent, counterId,
  type ArchPlugin, type StepRegistry, type Kernel, type Ctx, type RecordView,
} from '../core/model/index.ts';

/** struct flush_tlb_info and the x86 flush functions that pass it along. */
export const X86 = fns({
  flush_tlb_info: { mm: ptr, new_tlb_gen: int, freed_tables: bool, initiating_cpu: int },
  flush_tlb_multi: { mask: cpus, info: struct('flush_tlb_info'), targets: cpus },
  flush_tlb_func: { info: struct('flush_tlb_info'), local: bool, loaded_mm: ptr, mm_tlb_gen: int },
});
/** x86's locals in the generic functions it implements. */
export const X86_EXT = frameExt({
  switch_mm_irqs_off: { real_prev: ptr, was_lazy: bool, same_up_to_date: bool, next_tlb_gen: int },
  switch_mm: { was: int },
  flush_tlb_mm_range: { mask: cpus, was: int, info: struct('flush_tlb_info') },
  efi_enter_mm: { prev: ptr },
  efi_leave_mm: { prev: ptr },
});
declare module '../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof X86> {}
  interface FrameExts { x86: typeof X86_EXT }
  interface KernelSteps {
    'switch_mm_irqs_off.read_cpu_tlbstate': true; 'switch_mm_irqs_off.clear_is_lazy': true;
    'switch_mm_irqs_off.same_mm': true; 'switch_mm_irqs_off.smp_mb': true; 'switch_mm_irqs_off.check_tlb_gen': true;
    'switch_mm_irqs_off.update_mm_cpumask': true;
    'switch_mm_irqs_off.load_new_mm_cr3': true; 'switch_mm_irqs_off.set_loaded_mm': true;
    'switch_mm_irqs_off.switch_ldt': true; 'enter_lazy_tlb.set_is_lazy': true;
    'switch_mm.switch_mm_irqs_off': true; 'activate_mm.switch_mm': true;
    'leave_mm.switch_to_init_mm': true; 'flush_tlb_mm_range.inc_mm_tlb_gen': true;
    'flush_tlb_mm_range.flush_tlb_multi': true; 'flush_tlb_multi.native_flush_tlb_multi': true;
    'flush_tlb_func.read_loaded_mm': true; 'flush_tlb_func.lazy_switch_to_init_mm': true;
    'flush_tlb_func.flush': true;
    'use_temporary_mm.lockdep_assert_irqs_disabled': true; 'use_temporary_mm.leave_mm': true;
    'use_temporary_mm.switch_mm_irqs_off': true; 'unuse_temporary_mm.switch_mm_irqs_off': true;
    'text_poke.use_temporary_mm': true; 'text_poke.unuse_temporary_mm': true;
    'efi_enter_mm.switch_to_efi_mm': true; 'efi_leave_mm.switch_to_prev_mm': true;
    'cpuidle_enter_state.leave_mm': true; 'arch_cpu_idle_dead.idle_task_exit': true;
    'arch_cpu_idle_dead.cpu_report_death': true; 'nmi.perf_callchain_user': true;
    'perf_callchain_user.get_segment_base': true;
  }
}

/** x86's per-run state: CR3 per CPU, the CPU leaving an mm inside switch_mm_irqs_off, the
 *  temporary mms. */
export const X86_STATE = { cr3: 'perCpu', switchingFrom: 'perCpu', poking_mm: 'word', efi_mm: 'word', efi_prev_mm: 'word' } as const;
export const x86State = (k: Kernel) => k.archState as RecordView<typeof X86_STATE>;

const CNT_CR3_WRITES = counterId('cr3_writes');
const CNT_FLUSH_UNLAZY = counterId('flush_unlazy');
const CNT_TLB_FLUSHES = counterId('tlb_flushes');
const loaded = (k: Kernel, c: number) => k.tlb[c] + L.TLB_LOADED_MM;
const isLazy = (k: Kernel, c: number) => k.tlb[c] + L.TLB_IS_LAZY;

/** load_new_mm_cr3(): MOV to CR3 is serializing (an F and an S for membarrier) and, without PCID
 *  reuse, flushes the non-global TLB and paging-structure caches of the previous mm. */
export function load_new_mm_cr3(k: Kernel, x: Ctx, next: number) {
  const s = x86State(k);
  const pgd = k.ld(x, next + L.MM_PGD);
  k.ld(x, pgd); // the MMU starts walking it
  const prev = s.cr3[x.cpu];
  s.cr3[x.cpu] = next;
  s.switchingFrom[x.cpu] = NULL;
  k.fpGlobal(); // the MMU's state: the lifetime oracles of other CPUs read it
  tlbFlushedLocal(k, x.cpu, prev);
  k.mb(x, `write CR3 <- ${k.name(next)}.pgd (serializing)`);
  syncCoreEvent(k, x);
  k.countId(CNT_CR3_WRITES);
}

/** This CPU's TLB and paging-structure caches no longer hold translations of mm. */
export function tlbFlushedLocal(k: Kernel, cpu: number, mm: number) {
  const mi = k.mmInfo(mm);
  if (mi && mi.isStaleWalker(cpu)) { mi.clearStaleWalker(cpu); k.fpGlobal(); } // ghost state other CPUs' frees read
  tlbFlushMm(k, cpu, mm); // and the page-level TLB entries (core/model/page)
}

function cpumaskOf(k: Kernel, x: Ctx, mm: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < k.ncpus; c++) if (k.ld(x, mm + L.MM_CPUMASK + c)) out.push(c);
  return out;
}

export function registerX86Mm(r: StepRegistry) {
  // void switch_mm_irqs_off(struct mm_struct *prev, struct mm_struct *next, struct task_struct *tsk)
  r.add('switch_mm_irqs_off', 'read_cpu_tlbstate', (k, x, f) => {
    // if (IS_ENABLED(CONFIG_PROVE_LOCKING)) WARN_ON_ONCE(!irqs_disabled());
    if (!k.cpus[x.cpu].irqsOff) k.violate('context', `switch_mm_irqs_off() with IRQs enabled on cpu${x.cpu}`, x);
    f.real_prev = k.ld(x, loaded(k, x.cpu));
    f.was_lazy = k.ld(x, isLazy(k, x.cpu)) !== 0;
    return FUSE;
  });
  r.add('switch_mm_irqs_off', 'clear_is_lazy', (k, x, f) => {
    if (!f.was_lazy) return NEXT;
    k.st(x, isLazy(k, x.cpu), 0);
    return YIELD;
  });
  // if (real_prev == next) { ... if (!was_lazy) return; smp_mb(); next_tlb_gen = ...; if up to date return; }
  // The smp_mb() and the tlb_gen check are steps of their own (as lazier-tlb/04 has them on
  // x86-4.18), so that `--drop-step switch_mm_irqs_off.smp_mb` removes the barrier alone: it is
  // also the full barrier membarrier() relies on after a kernel->user switch back to a lazily
  // held mm, which writes no CR3 (lazy-mm/01's comment). Their trace lines read as same_mm's.
  r.add('switch_mm_irqs_off', 'same_mm', (k, x, f) => {
    if (f.real_prev !== f.next) return NEXT;
    if (f.next !== k.init_mm && !k.ld(x, f.next + L.MM_CPUMASK + x.cpu)) {
      k.violate('warn', `WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(next))) for ${k.name(f.next)} on cpu${x.cpu}`, x);
    }
    if (!f.was_lazy) return FUSE_RET;
    return FUSE;
  });
  // "The barrier synchronizes with the tlb_gen increment in the TLB shootdown code."
  r.add('switch_mm_irqs_off', 'smp_mb', (k, x, f) => {
    if (f.real_prev !== f.next) return NEXT;
    k.mb(x);
    return YIELD;
  }, { traceAs: 'same_mm' });
  // next_tlb_gen = atomic64_read(&next->context.tlb_gen); if (...tlb_gen == next_tlb_gen) return;
  // Resume point 1: after reading next's tlb_gen.
  r.add('switch_mm_irqs_off', 'check_tlb_gen', (k, x, f, pc) => {
    if (pc === 1) {
      if (k.ld(x, k.tlb[x.cpu] + L.TLB_CTX_GEN) === f.next_tlb_gen) { f.same_up_to_date = true; return FUSE_RET; }
      return FUSE;
    }
    if (f.real_prev !== f.next) return NEXT;
    f.next_tlb_gen = k.ld(x, f.next + L.MM_TLB_GEN);
    return again(1);
  }, { traceAs: 'same_mm' });
  // else { cpumask_clear_cpu(cpu, mm_cpumask(real_prev)); cpumask_set_cpu(cpu, mm_cpumask(next)); ... }
  // Resume points: 1 after clearing prev's bit, 2 after setting next's.
  r.add('switch_mm_irqs_off', 'update_mm_cpumask', (k, x, f, pc) => {
    if (pc === 0) {
      if (f.real_prev === f.next) return NEXT;
      if (f.real_prev !== k.init_mm) {
        k.cmpxchg(x, f.real_prev + L.MM_CPUMASK + x.cpu, 1, 0); // clear_bit: a locked RMW
        x86State(k).switchingFrom[x.cpu] = f.real_prev;
        return again(1);
      }
      pc = 1;
    }
    if (pc === 1 && f.next !== k.init_mm) {
      k.cmpxchg(x, f.next + L.MM_CPUMASK + x.cpu, 0, 1);
      return again(2);
    }
    f.next_tlb_gen = k.ld(x, f.next + L.MM_TLB_GEN);
    // "Let nmi_uaccess_okay() know that we're changing CR3."
    k.st(x, loaded(k, x.cpu), L.LOADED_MM_SWITCHING);
    return YIELD;
  });
  r.add('switch_mm_irqs_off', 'load_new_mm_cr3', (k, x, f) => {
    k.st(x, k.tlb[x.cpu] + L.TLB_CTX_GEN, f.next_tlb_gen);
    load_new_mm_cr3(k, x, f.next);
    return YIELD;
  });
  // "Make sure we write CR3 before loaded_mm."
  r.add('switch_mm_irqs_off', 'set_loaded_mm', (k, x, f) => {
    k.st(x, loaded(k, x.cpu), f.next);
    return YIELD;
  });
  // if (next != real_prev) { cr4_update_pce_mm(next); switch_ldt(real_prev, next); }
  // switch_ldt(): "Load the LDT if either the old or new mm had an LDT" reads both
  // prev->context.ldt and next->context.ldt.
  r.add('switch_mm_irqs_off', 'switch_ldt', (k, x, f) => {
    if (f.real_prev === f.next || f.same_up_to_date) return NEXT;
    k.ld(x, f.real_prev + L.MM_LDT);
    k.ld(x, f.next + L.MM_LDT);
    return FUSE;
  });

  // void enter_lazy_tlb(struct mm_struct *mm, struct task_struct *tsk)
  r.add('enter_lazy_tlb', 'set_is_lazy', (k, x) => {
    if (k.ld(x, loaded(k, x.cpu)) === k.init_mm) return FUSE;
    k.st(x, isLazy(k, x.cpu), 1);
    return YIELD;
  });

  // switch_mm(): local_irq_save(); switch_mm_irqs_off(); local_irq_restore();
  r.add('switch_mm', 'switch_mm_irqs_off', (k, x, f, pc) => {
    const cpu = k.cpus[x.cpu];
    if (pc === 1) { cpu.irqsOff = f.was !== 0; return NEXT; }
    f.was = cpu.irqsOff ? 1 : 0;
    cpu.irqsOff = true;
    const c = k.call(x, H.switch_mm_irqs_off);
    c.prev = f.prev;
    c.next = f.next;
    c.tsk = f.tsk;
    return callAgain(1);
  });
  // #define activate_mm(prev, next) do { paravirt_activate_mm(); switch_mm((prev), (next), NULL); } while (0)
  r.add('activate_mm', 'switch_mm', (k, x, f) => {
    const c = k.call(x, H.switch_mm);
    c.prev = f.prev;
    c.next = f.next;
    c.tsk = NULL;
    return CALL;
  });

  // void leave_mm(int cpu)
  r.add('leave_mm', 'switch_to_init_mm', (k, x) => {
    const lm = k.ld(x, loaded(k, x.cpu));
    if (lm === k.init_mm) return FUSE;
    k.warn(x, !k.ld(x, isLazy(k, x.cpu)), 'WARN_ON(!this_cpu_read(cpu_tlbstate_shared.is_lazy)) in leave_mm');
    const c = k.call(x, H.switch_mm);
    c.prev = NULL;
    c.next = k.init_mm;
    c.tsk = NULL;
    return FUSE_CALL;
  });

  // void flush_tlb_mm_range(mm, start, end, stride_shift, freed_tables)
  r.add('flush_tlb_mm_range', 'inc_mm_tlb_gen', (k, x, f) => {
    f.new_tlb_gen = k.atomicAdd(x, f.mm + L.MM_TLB_GEN, 1, 'atomic64_inc_return');
    k.fullBarrierEvent(x);
    return YIELD;
  });
  // Resume points: 1 after reading mm_cpumask, 2 after the local flush.
  r.add('flush_tlb_mm_range', 'flush_tlb_multi', (k, x, f, pc) => {
    const cpu = k.cpus[x.cpu];
    if (pc === 0) {
      f.mask = cpumaskOf(k, x, f.mm);
      return again(1);
    }
    if (pc === 2) { cpu.irqsOff = f.was !== 0; return NEXT; }
    const info = k.at(x, H.flush_tlb_info, f.info);
    info.mm = f.mm;
    info.new_tlb_gen = f.new_tlb_gen;
    info.freed_tables = f.freed_tables;
    info.initiating_cpu = x.cpu;
    if (f.mask.some((c) => c !== x.cpu)) {
      const c = k.call(x, H.flush_tlb_multi);
      c.mask = f.mask;
      k.copyFrame(x, H.flush_tlb_info, c.info, f.info);
      return CALL;
    }
    if (k.ld(x, loaded(k, x.cpu)) !== f.mm) return FUSE;
    f.was = cpu.irqsOff ? 1 : 0;
    cpu.irqsOff = true;
    const c = k.call(x, H.flush_tlb_func);
    k.copyFrame(x, H.flush_tlb_info, c.info, f.info);
    c.local = true;
    return fuseCallAgain(2);
  });
  // native_flush_tlb_multi(): "if page tables are getting freed, we need to send the IPI
  // everywhere, to prevent CPUs in lazy TLB mode from tripping up on the new contents of what
  // used to be page tables, while doing a speculative memory access."
  // Resume point 1: the targets are known (after the is_lazy reads, a scheduling point).
  r.add('flush_tlb_multi', 'native_flush_tlb_multi', (k, x, f, pc) => {
    if (pc === 0) {
      if (k.at(x, H.flush_tlb_info, f.info).freed_tables) {
        f.targets = f.mask;
        return goTo(1);
      }
      // on_each_cpu_cond_mask(tlb_is_not_lazy, ...)
      const targets: number[] = [];
      for (const c of f.mask) {
        if (!k.ld(x, isLazy(k, c))) targets.push(c);
        else k.count('flush_ipis_skipped_lazy');
      }
      f.targets = targets;
      return again(1);
    }
    const c = k.call(x, H.on_each_cpu_mask);
    c.mask = f.targets;
    c.fn = H.flush_tlb_func;
    c.purpose = 'tlb_flush';
    k.copyFrame(x, H.flush_tlb_info, k.ipiArgs(c, H.flush_tlb_func).info, f.info);
    return CALL;
  });

  // static void flush_tlb_func(void *info)
  r.add('flush_tlb_func', 'read_loaded_mm', (k, x, f) => {
    const info = k.at(x, H.flush_tlb_info, f.info);
    f.loaded_mm = k.ld(x, loaded(k, x.cpu));
    // "Can only happen on remote CPUs"
    if (!f.local && info.mm && info.mm !== f.loaded_mm) return FUSE_RET;
    if (f.loaded_mm === k.init_mm) return FUSE_RET;
    f.mm_tlb_gen = k.ld(x, f.loaded_mm + L.MM_TLB_GEN);
    return FUSE;
  });
  // "We're in lazy mode. We need to at least flush our paging-structure cache to avoid
  //  speculatively reading garbage into our TLB. Since switching to init_mm is barely slower
  //  than a minimal flush, just switch to init_mm."
  r.add('flush_tlb_func', 'lazy_switch_to_init_mm', (k, x, _f, pc) => {
    if (pc === 1) return RET;
    if (!k.ld(x, isLazy(k, x.cpu))) return FUSE;
    k.countId(CNT_FLUSH_UNLAZY);
    const c = k.call(x, H.switch_mm_irqs_off);
    c.prev = NULL;
    c.next = k.init_mm;
    c.tsk = NULL;
    return fuseCallAgain(1);
  });
  r.add('flush_tlb_func', 'flush', (k, x, f) => {
    const local = k.ld(x, k.tlb[x.cpu] + L.TLB_CTX_GEN);
    if (local === f.mm_tlb_gen) return FUSE; // already up to date
    k.st(x, k.tlb[x.cpu] + L.TLB_CTX_GEN, f.mm_tlb_gen);
    tlbFlushedLocal(k, x.cpu, f.loaded_mm);
    k.countId(CNT_TLB_FLUSHES);
    if (k.tracing) k.tr(x, `flush TLB of ${k.name(f.loaded_mm)}`);
    return YIELD;
  });
}

export function registerX86Entry(r: StepRegistry) {
  // use_temporary_mm(): "Make sure not to be in TLB lazy mode, as otherwise we'll end up with a
  // stale address space WITHOUT being in lazy mode after restoring the previous mm."
  r.add('use_temporary_mm', 'lockdep_assert_irqs_disabled', (k, x) => {
    if (!k.cpus[x.cpu].irqsOff) k.violate('context', 'use_temporary_mm() with IRQs enabled (lockdep_assert_irqs_disabled)', x);
    return NEXT;
  });
  r.add('use_temporary_mm', 'leave_mm', (k, x) => {
    if (!k.ld(x, isLazy(k, x.cpu))) return FUSE;
    k.call(x, H.leave_mm);
    return FUSE_CALL;
  });
  r.add('use_temporary_mm', 'switch_mm_irqs_off', (k, x, f) => {
    f.prev_mm = k.ld(x, loaded(k, x.cpu));
    k.cpus[x.cpu].tempMm = f.mm;
    const c = k.call(x, H.switch_mm_irqs_off);
    c.prev = NULL;
    c.next = f.mm;
    c.tsk = k.cpus[x.cpu].curr.ref;
    return FUSE_CALL;
  });
  r.add('unuse_temporary_mm', 'switch_mm_irqs_off', (k, x, f) => {
    if (!k.cpus[x.cpu].irqsOff) k.violate('context', 'unuse_temporary_mm() with IRQs enabled (lockdep_assert_irqs_disabled)', x);
    k.cpus[x.cpu].tempMm = NULL;
    const c = k.call(x, H.switch_mm_irqs_off);
    c.prev = NULL;
    c.next = f.prev_mm;
    c.tsk = k.cpus[x.cpu].curr.ref;
    return CALL;
  });
  // __text_poke(): prev = use_temporary_mm(poking_mm); ...write...; unuse_temporary_mm(prev);
  r.add('text_poke', 'use_temporary_mm', (k, x, f) => {
    const tmp = k.at(x, H.temp_mm_state, f.tmp);
    tmp.mm = x86State(k).poking_mm;
    tmp.prev_mm = NULL;
    k.callOn(x, H.use_temporary_mm, f.tmp);
    return CALL;
  });
  r.add('text_poke', 'unuse_temporary_mm', (k, x, f) => {
    k.callOn(x, H.unuse_temporary_mm, f.tmp);
    return CALL;
  });
  // efi_enter_mm(): efi_prev_mm = current->active_mm; current->active_mm = &efi_mm; switch_mm(efi_prev_mm, &efi_mm, NULL);
  // Resume point 1: after the active_mm store.
  r.add('efi_enter_mm', 'switch_to_efi_mm', (k, x, f, pc) => {
    const s = x86State(k);
    if (pc === 1) {
      const c = k.call(x, H.switch_mm);
      c.prev = f.prev;
      c.next = s.efi_mm;
      c.tsk = NULL;
      return CALL;
    }
    const cur = k.cpus[x.cpu].curr.ref;
    f.prev = k.ld(x, cur + L.T_ACTIVE_MM);
    s.efi_prev_mm = f.prev;
    k.st(x, cur + L.T_ACTIVE_MM, s.efi_mm);
    return again(1);
  });
  // efi_leave_mm(): current->active_mm = efi_prev_mm; switch_mm(&efi_mm, efi_prev_mm, NULL);
  r.add('efi_leave_mm', 'switch_to_prev_mm', (k, x, f, pc) => {
    const s = x86State(k);
    if (pc === 1) {
      const c = k.call(x, H.switch_mm);
      c.prev = s.efi_mm;
      c.next = f.prev;
      c.tsk = NULL;
      return CALL;
    }
    const cur = k.cpus[x.cpu].curr.ref;
    f.prev = s.efi_prev_mm;
    k.st(x, cur + L.T_ACTIVE_MM, f.prev);
    return again(1);
  });
  // cpuidle_enter_state(): if (target_state->flags & CPUIDLE_FLAG_TLB_FLUSHED) leave_mm(dev->cpu);
  r.add('cpuidle_enter_state', 'leave_mm', (k, x, f) => {
    if (!f.tlb_flushed) return NEXT;
    k.call(x, H.leave_mm);
    return CALL;
  });
  // play_dead_common(): idle_task_exit(); (void)cpu_report_death(); local_irq_disable();
  r.add('arch_cpu_idle_dead', 'idle_task_exit', (k, x) => {
    k.call(x, H.idle_task_exit);
    return CALL;
  });
  r.add('arch_cpu_idle_dead', 'cpu_report_death', (k, x) => {
    k.cpus[x.cpu].dead = true;
    k.fpGlobal();
    if (k.tracing) k.tr(x, `cpu_report_death(cpu${x.cpu})`);
    return YIELD;
  });
  // perf NMI: perf_callchain_user() -> get_segment_base(): ldt = READ_ONCE(current->active_mm->context.ldt)
  r.add('nmi', 'perf_callchain_user', (k, x) => {
    k.call(x, H.perf_callchain_user);
    return CALL;
  });
  r.add('perf_callchain_user', 'get_segment_base', (k, x) => {
    const cur = k.cpus[x.cpu].curr.ref;
    const mm = k.ld(x, cur + L.T_ACTIVE_MM);
    if (mm === NULL) return FUSE;
    k.ld(x, mm + L.MM_LDT);
    return YIELD;
  });
}

export const x86: ArchPlugin = {
  name: 'x86',
  description: 'x86-64 bare metal: exact mm_cpumask incl. lazy CPUs, flush IPIs skip lazy CPUs unless page tables are freed, PCID',
  kernels: '>=4.20.0', // contains the v4.20 lazier-TLB redo (145f573b89a6, 016c4d92cd16); v4.18 is arches/x86-4.18.ts
  mmCpumaskExact: true,
  flushIpisReachLazy: 'freed_tables',
  exitShootsLazies: true,
  asids: true,
  mmuGather: 'gather',
  lazyMmu: false,
  syncCore: 'iret',
  wantIrqsOffActivateMm: false,
  state: X86_STATE,
  hwLoadedMm: (k, c) => x86State(k).cr3[c],
  // A CPU that has cleared itself from mm_cpumask inside switch_mm_irqs_off (IRQs off, about to
  // write CR3) no longer uses the old mm: that is why the flush may skip it.
  mayWalk: (k, c, mm) => x86State(k).cr3[c] === mm && x86State(k).switchingFrom[c] !== mm,
  // cpu_tlbstate.loaded_mm: the arch's own record (leave_mm() and the flush IPI move it and CR3 to
  // init_mm while current->active_mm stays: the scheduler's view is not the arch's).
  loadedMm: (k, c) => k.m.read(c, k.tlb[c] + L.TLB_LOADED_MM), // the CPU's own view (TSO store forwarding)
  apply(r) {
    registerX86Mm(r);
    registerX86Entry(r);
  },
  boot(k) {
    const s = x86State(k);
    s.cr3.fill(k.init_mm);
    s.switchingFrom.fill(NULL);
    s.poking_mm = newMm(k, 'poking_mm', 1);
    s.efi_mm = newMm(k, 'efi_mm', 1);
    s.efi_prev_mm = NULL;
  },
  costs: {
    // Nadav Amit in seed 000: "250-300 cycles" for a MOV to CR3 without a flush (Skylake).
    cr3_write: 275,
    // Andy Lutomirski in seed 000: "maybe 1k cycles" for two CR3 writes; Nadav: "600 cycles or so" PTI round trip.
    pti_round_trip: 600,
  },
};

export { FUSED, bool };

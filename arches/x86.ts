// x86-64 on bare metal, v5.16: arch/x86/mm/tlb.c (switch_mm_irqs_off, enter_lazy_tlb,
// leave_mm, flush_tlb_func, flush_tlb_mm_range, native_flush_tlb_multi), the temporary-mm users
// (text_poke in arch/x86/kernel/alternative.c, EFI in arch/x86/platform/efi/efi_64.c), cpuidle's
// CPUIDLE_FLAG_TLB_FLUSHED, play_dead_common, and perf's NMI-time get_segment_base().
//
// mm_cpumask on x86 holds every CPU whose loaded_mm is the mm, lazy ones included, so it is exact
// as long as nothing switches CR3 behind the scheduler's back (which leave_mm does until lazy-mm/20).
import type { ArchPlugin } from './types.ts';
import type { StepRegistry } from '../core/hooks.ts';
import { H, NULL, type Kernel, type Ctx } from '../core/kernel.ts';
import * as L from '../core/layout.ts';
import { newMm } from '../core/kernel/boot.ts';
import { on_each_cpu_mask } from '../core/kernel/ipi.ts';
import { tlbFlushMm } from '../core/page/state.ts';
import { syncCoreEvent } from '../core/kernel/membarrier.ts';

const loaded = (k: Kernel, c: number) => k.tlb[c] + L.TLB_LOADED_MM;
const isLazy = (k: Kernel, c: number) => k.tlb[c] + L.TLB_IS_LAZY;

/** load_new_mm_cr3(): MOV to CR3 is serializing (an F and an S for membarrier) and, without PCID
 *  reuse, flushes the non-global TLB and paging-structure caches of the previous mm. */
export function load_new_mm_cr3(k: Kernel, x: Ctx, next: number) {
  const pgd = k.ld(x, next + L.MM_PGD);
  k.ld(x, pgd); // the MMU starts walking it
  const prev = k.archState.cr3[x.cpu];
  k.archState.cr3[x.cpu] = next;
  k.archState.switchingFrom[x.cpu] = NULL;
  tlbFlushedLocal(k, x.cpu, prev);
  k.mb(x, `write CR3 <- ${k.name(next)}.pgd (serializing)`);
  syncCoreEvent(k, x);
  k.count('cr3_writes');
}

/** This CPU's TLB and paging-structure caches no longer hold translations of mm. */
export function tlbFlushedLocal(k: Kernel, cpu: number, mm: number) {
  const mi = k.mmInfo(mm);
  if (mi && mi.staleWalkers.length !== 0) mi.staleWalkers = mi.staleWalkers.filter((c) => c !== cpu);
  tlbFlushMm(k, cpu, mm); // and the page-level TLB entries (core/page)
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
    f.was_lazy = k.ld(x, isLazy(k, x.cpu));
  });
  r.add('switch_mm_irqs_off', 'clear_is_lazy', function* (k, x, f) {
    if (!f.was_lazy) return;
    k.st(x, isLazy(k, x.cpu), 0);
    yield 0;
  });
  // if (real_prev == next) { ... if (!was_lazy) return; smp_mb(); next_tlb_gen = ...; if up to date return; }
  r.add('switch_mm_irqs_off', 'same_mm', function* (k, x, f) {
    if (f.real_prev !== f.next) return;
    if (f.next !== k.init_mm && !k.ld(x, f.next + L.MM_CPUMASK + x.cpu)) {
      k.violate('warn', `WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(next))) for ${k.name(f.next)} on cpu${x.cpu}`, x);
    }
    if (!f.was_lazy) { f.ret_early = true; return; }
    // "The barrier synchronizes with the tlb_gen increment in the TLB shootdown code."
    k.mb(x);
    yield 0;
    const gen = k.ld(x, f.next + L.MM_TLB_GEN);
    yield 0;
    if (k.ld(x, k.tlb[x.cpu] + L.TLB_CTX_GEN) === gen) { f.same_up_to_date = true; f.ret_early = true; return; }
    f.next_tlb_gen = gen;
  });
  // else { cpumask_clear_cpu(cpu, mm_cpumask(real_prev)); cpumask_set_cpu(cpu, mm_cpumask(next)); ... }
  r.add('switch_mm_irqs_off', 'update_mm_cpumask', function* (k, x, f) {
    if (f.real_prev === f.next) return;
    if (f.real_prev !== k.init_mm) {
      k.cmpxchg(x, f.real_prev + L.MM_CPUMASK + x.cpu, 1, 0); // clear_bit: a locked RMW
      k.archState.switchingFrom[x.cpu] = f.real_prev;
      yield 0;
    }
    if (f.next !== k.init_mm) {
      k.cmpxchg(x, f.next + L.MM_CPUMASK + x.cpu, 0, 1);
      yield 0;
    }
    f.next_tlb_gen = k.ld(x, f.next + L.MM_TLB_GEN);
    // "Let nmi_uaccess_okay() know that we're changing CR3."
    k.st(x, loaded(k, x.cpu), L.LOADED_MM_SWITCHING);
    yield 0;
  });
  r.add('switch_mm_irqs_off', 'load_new_mm_cr3', function* (k, x, f) {
    k.st(x, k.tlb[x.cpu] + L.TLB_CTX_GEN, f.next_tlb_gen);
    load_new_mm_cr3(k, x, f.next);
    yield 0;
  });
  // "Make sure we write CR3 before loaded_mm."
  r.add('switch_mm_irqs_off', 'set_loaded_mm', function* (k, x, f) {
    k.st(x, loaded(k, x.cpu), f.next);
    yield 0;
  });
  // if (next != real_prev) { cr4_update_pce_mm(next); switch_ldt(real_prev, next); }
  // switch_ldt(): "Load the LDT if either the old or new mm had an LDT" reads both
  // prev->context.ldt and next->context.ldt.
  r.add('switch_mm_irqs_off', 'switch_ldt', (k, x, f) => {
    if (f.real_prev === f.next || f.same_up_to_date) return;
    k.ld(x, f.real_prev + L.MM_LDT);
    k.ld(x, f.next + L.MM_LDT);
  });

  // void enter_lazy_tlb(struct mm_struct *mm, struct task_struct *tsk)
  r.add('enter_lazy_tlb', 'set_is_lazy', function* (k, x) {
    if (k.ld(x, loaded(k, x.cpu)) === k.init_mm) return;
    k.st(x, isLazy(k, x.cpu), 1);
    yield 0;
  });

  // switch_mm(): local_irq_save(); switch_mm_irqs_off(); local_irq_restore();
  r.add('switch_mm', 'switch_mm_irqs_off', function* (k, x, f) {
    const cpu = k.cpus[x.cpu];
    const was = cpu.irqsOff;
    cpu.irqsOff = true;
    yield k.invoke(H.switch_mm_irqs_off, f);
    cpu.irqsOff = was;
  });
  // #define activate_mm(prev, next) do { paravirt_activate_mm(); switch_mm((prev), (next), NULL); } while (0)
  r.add('activate_mm', 'switch_mm', function* (k, x, f) {
    yield k.invoke(H.switch_mm, { prev: f.prev, next: f.next, tsk: null });
  });

  // void leave_mm(int cpu)
  r.add('leave_mm', 'switch_to_init_mm', function* (k, x) {
    const lm = k.ld(x, loaded(k, x.cpu));
    if (lm === k.init_mm) return;
    k.warn(x, !k.ld(x, isLazy(k, x.cpu)), 'WARN_ON(!this_cpu_read(cpu_tlbstate_shared.is_lazy)) in leave_mm');
    yield k.invoke(H.switch_mm, { prev: NULL, next: k.init_mm, tsk: null });
  });

  // void flush_tlb_mm_range(mm, start, end, stride_shift, freed_tables)
  r.add('flush_tlb_mm_range', 'inc_mm_tlb_gen', function* (k, x, f) {
    f.new_tlb_gen = k.atomicAdd(x, f.mm + L.MM_TLB_GEN, 1, 'atomic64_inc_return');
    k.fullBarrierEvent(x);
    yield 0;
  });
  r.add('flush_tlb_mm_range', 'flush_tlb_multi', function* (k, x, f) {
    const mask = cpumaskOf(k, x, f.mm);
    yield 0;
    const info = { mm: f.mm, new_tlb_gen: f.new_tlb_gen, freed_tables: f.freed_tables, initiating_cpu: x.cpu };
    if (mask.some((c) => c !== x.cpu)) {
      yield k.invoke(H.flush_tlb_multi, { mask, info });
    } else if (k.ld(x, loaded(k, x.cpu)) === f.mm) {
      const cpu = k.cpus[x.cpu];
      const was = cpu.irqsOff;
      cpu.irqsOff = true;
      yield k.invoke(H.flush_tlb_func, { info, local: true });
      cpu.irqsOff = was;
    }
  });
  // native_flush_tlb_multi(): "if page tables are getting freed, we need to send the IPI
  // everywhere, to prevent CPUs in lazy TLB mode from tripping up on the new contents of what
  // used to be page tables, while doing a speculative memory access."
  r.add('flush_tlb_multi', 'native_flush_tlb_multi', function* (k, x, f) {
    let targets: number[] = f.mask;
    if (!f.info.freed_tables) {
      // on_each_cpu_cond_mask(tlb_is_not_lazy, ...)
      targets = [];
      for (const c of f.mask) {
        if (!k.ld(x, isLazy(k, c))) targets.push(c);
        else k.count('flush_ipis_skipped_lazy');
      }
      yield 0;
    }
    yield* on_each_cpu_mask(k, x, targets, H.flush_tlb_func, { info: f.info }, true, 'tlb_flush');
  });

  // static void flush_tlb_func(void *info)
  r.add('flush_tlb_func', 'read_loaded_mm', (k, x, f) => {
    const info = f.info;
    f.loaded_mm = k.ld(x, loaded(k, x.cpu));
    // "Can only happen on remote CPUs"
    if (!f.local && info.mm && info.mm !== f.loaded_mm) { f.ret_early = true; return; }
    if (f.loaded_mm === k.init_mm) { f.ret_early = true; return; }
    f.mm_tlb_gen = k.ld(x, f.loaded_mm + L.MM_TLB_GEN);
  });
  // "We're in lazy mode. We need to at least flush our paging-structure cache to avoid
  //  speculatively reading garbage into our TLB. Since switching to init_mm is barely slower
  //  than a minimal flush, just switch to init_mm."
  r.add('flush_tlb_func', 'lazy_switch_to_init_mm', function* (k, x, f) {
    if (!k.ld(x, isLazy(k, x.cpu))) return;
    k.count('flush_unlazy');
    yield k.invoke(H.switch_mm_irqs_off, { prev: NULL, next: k.init_mm, tsk: null });
    f.ret_early = true;
  });
  r.add('flush_tlb_func', 'flush', function* (k, x, f) {
    const local = k.ld(x, k.tlb[x.cpu] + L.TLB_CTX_GEN);
    if (local === f.mm_tlb_gen) return; // already up to date
    k.st(x, k.tlb[x.cpu] + L.TLB_CTX_GEN, f.mm_tlb_gen);
    tlbFlushedLocal(k, x.cpu, f.loaded_mm);
    k.count('tlb_flushes');
    if (k.tracing) k.tr(x, `flush TLB of ${k.name(f.loaded_mm)}`);
    yield 0;
  });
}

export function registerX86Entry(r: StepRegistry) {
  // use_temporary_mm(): "Make sure not to be in TLB lazy mode, as otherwise we'll end up with a
  // stale address space WITHOUT being in lazy mode after restoring the previous mm."
  r.add('use_temporary_mm', 'lockdep_assert_irqs_disabled', (k, x) => {
    if (!k.cpus[x.cpu].irqsOff) k.violate('context', 'use_temporary_mm() with IRQs enabled (lockdep_assert_irqs_disabled)', x);
  });
  r.add('use_temporary_mm', 'leave_mm', function* (k, x) {
    if (!k.ld(x, isLazy(k, x.cpu))) return;
    yield k.invoke(H.leave_mm, {});
  });
  r.add('use_temporary_mm', 'switch_mm_irqs_off', function* (k, x, f) {
    f.prev_mm = k.ld(x, loaded(k, x.cpu));
    k.cpus[x.cpu].tempMm = f.mm;
    yield k.invoke(H.switch_mm_irqs_off, { prev: NULL, next: f.mm, tsk: k.cpus[x.cpu].curr });
  });
  r.add('unuse_temporary_mm', 'switch_mm_irqs_off', function* (k, x, f) {
    if (!k.cpus[x.cpu].irqsOff) k.violate('context', 'unuse_temporary_mm() with IRQs enabled (lockdep_assert_irqs_disabled)', x);
    k.cpus[x.cpu].tempMm = NULL;
    yield k.invoke(H.switch_mm_irqs_off, { prev: NULL, next: f.prev_mm, tsk: k.cpus[x.cpu].curr });
  });
  // __text_poke(): prev = use_temporary_mm(poking_mm); ...write...; unuse_temporary_mm(prev);
  r.add('text_poke', 'use_temporary_mm', function* (k, x, f) {
    f.tmp = { mm: k.archState.poking_mm };
    yield k.invoke(H.use_temporary_mm, f.tmp);
  });
  r.add('text_poke', 'unuse_temporary_mm', function* (k, x, f) {
    yield k.invoke(H.unuse_temporary_mm, f.tmp);
  });
  // efi_enter_mm(): efi_prev_mm = current->active_mm; current->active_mm = &efi_mm; switch_mm(efi_prev_mm, &efi_mm, NULL);
  r.add('efi_enter_mm', 'switch_to_efi_mm', function* (k, x) {
    const cur = k.cpus[x.cpu].curr.ref;
    const prev = k.ld(x, cur + L.T_ACTIVE_MM);
    k.archState.efi_prev_mm = prev;
    k.st(x, cur + L.T_ACTIVE_MM, k.archState.efi_mm);
    yield 0;
    yield k.invoke(H.switch_mm, { prev, next: k.archState.efi_mm, tsk: null });
  });
  // efi_leave_mm(): current->active_mm = efi_prev_mm; switch_mm(&efi_mm, efi_prev_mm, NULL);
  r.add('efi_leave_mm', 'switch_to_prev_mm', function* (k, x) {
    const cur = k.cpus[x.cpu].curr.ref;
    const prev = k.archState.efi_prev_mm;
    k.st(x, cur + L.T_ACTIVE_MM, prev);
    yield 0;
    yield k.invoke(H.switch_mm, { prev: k.archState.efi_mm, next: prev, tsk: null });
  });
  // cpuidle_enter_state(): if (target_state->flags & CPUIDLE_FLAG_TLB_FLUSHED) leave_mm(dev->cpu);
  r.add('cpuidle_enter_state', 'leave_mm', function* (k, x, f) {
    if (f.tlb_flushed) yield k.invoke(H.leave_mm, {});
  });
  // play_dead_common(): idle_task_exit(); (void)cpu_report_death(); local_irq_disable();
  r.add('arch_cpu_idle_dead', 'idle_task_exit', function* (k, x) {
    yield k.invoke(H.idle_task_exit, {});
  });
  r.add('arch_cpu_idle_dead', 'cpu_report_death', function* (k, x) {
    k.cpus[x.cpu].dead = true;
    k.fpGlobal();
    if (k.tracing) k.tr(x, `cpu_report_death(cpu${x.cpu})`);
    yield 0;
  });
  // perf NMI: perf_callchain_user() -> get_segment_base(): ldt = READ_ONCE(current->active_mm->context.ldt)
  r.add('nmi', 'perf_callchain_user', function* (k, x) {
    yield k.invoke(H.perf_callchain_user, {});
  });
  r.add('perf_callchain_user', 'get_segment_base', function* (k, x) {
    const cur = k.cpus[x.cpu].curr.ref;
    const mm = k.ld(x, cur + L.T_ACTIVE_MM);
    if (mm === NULL) return;
    k.ld(x, mm + L.MM_LDT);
    yield 0;
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
  hwLoadedMm: (k, c) => k.archState.cr3[c],
  // A CPU that has cleared itself from mm_cpumask inside switch_mm_irqs_off (IRQs off, about to
  // write CR3) no longer uses the old mm: that is why the flush may skip it.
  mayWalk: (k, c, mm) => k.archState.cr3[c] === mm && k.archState.switchingFrom[c] !== mm,
  // cpu_tlbstate.loaded_mm: the arch's own record (leave_mm() and the flush IPI move it and CR3 to
  // init_mm while current->active_mm stays: the scheduler's view is not the arch's).
  loadedMm: (k, c) => k.m.read(c, k.tlb[c] + L.TLB_LOADED_MM), // the CPU's own view (TSO store forwarding)
  apply(r) {
    registerX86Mm(r);
    registerX86Entry(r);
  },
  boot(k) {
    k.archState = {
      cr3: Array.from({ length: k.ncpus }, () => k.init_mm),
      switchingFrom: Array.from({ length: k.ncpus }, () => NULL),
      poking_mm: newMm(k, 'poking_mm', 1),
      efi_mm: newMm(k, 'efi_mm', 1),
      efi_prev_mm: NULL,
    };
  },
  costs: {
    // Nadav Amit in seed 000: "250-300 cycles" for a MOV to CR3 without a flush (Skylake).
    cr3_write: 275,
    // Andy Lutomirski in seed 000: "maybe 1k cycles" for two CR3 writes; Nadav: "600 cycles or so" PTI round trip.
    pti_round_trip: 600,
  },
};

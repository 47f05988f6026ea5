// x86-64 bare metal as of v4.18, before Rik van Riel's "make lazy TLB mode lazier" (the
// lazier-tlb series, whose base this is). Built from the x86 (v5.16) plugin with the TLB code
// put back the way v4.18 had it, as Peter Zijlstra's revert of the series shows it
// ("[PATCH 1/4] x86/mm/tlb: Revert the recent lazy TLB patches", 2018-08-22, anchors-upstream.md
// §2; seeds-001-003-004.md §2.2):
//  - enter_lazy_tlb(): `if (tlb_defer_switch_to_init_mm()) is_lazy = true; else
//    switch_mm(NULL, &init_mm, NULL);` with tlb_defer_switch_to_init_mm() == !PCID. The model's
//    default is a CPU without PCID, where lazy TLB mode existed; with --set X86_FEATURE_PCID=y (the
//    Haswell/Broadwell machines of Rik's numbers) a CPU leaves a user mm at once, and only
//    lazier-tlb/06 makes it lazy;
//  - switch_mm_irqs_off(): `is_lazy = false` unconditionally; real_prev == next just returns (no
//    tlb_gen catch-up); mm_cpumask bits are cleared and set even for init_mm; no
//    LOADED_MM_SWITCHING (v4.19);
//  - native_flush_tlb_others(): every CPU in mm_cpumask gets the flush IPI, lazy or not, and a
//    lazy one switches to init_mm in flush_tlb_func_common();
//  - no freed_tables distinction; page tables go through the RCU table batch (x86 selects
//    HAVE_RCU_TABLE_FREE): tlb_flush_mmu_free() -> tlb_table_flush() -> call_rcu_sched(). A lazy
//    idle CPU is in an RCU extended quiescent state and does not hold the grace period off, so the
//    model's immediate free in tlb_flush_mmu_free is when a lazy CPU's speculative walk can hit
//    the tables.
// The plugin also carries the generation-level stale-TLB oracle (core/oracles.ts): once a flush of
// mm has completed, no CPU may run user code of mm with a TLB generation older than it.
import {
  NEXT, YIELD, YIELD_RET, FUSE, FUSE_CALL, CALL, again,
  H, NULL, L,
  type ArchPlugin, type StepRegistry, type Kernel,
} from '../core/model/index.ts';
import { x86, x86State, registerX86Mm, registerX86Entry } from './x86.ts';
import { inSwitchMm } from './lib.ts';

declare module '../core/model/fns.ts' {
  interface KernelSteps {
    'switch_mm_irqs_off.cpumask_clear_set': true; 'enter_lazy_tlb.tlb_defer_switch_to_init_mm': true;
    'flush_tlb_multi.native_flush_tlb_others': true; 'flush_tlb_mm_range.flush_done': true;
    'user_access.check_tlb_gen': true;
  }
}

const loaded = (k: Kernel, c: number) => k.tlb[c] + L.TLB_LOADED_MM;
const isLazy = (k: Kernel, c: number) => k.tlb[c] + L.TLB_IS_LAZY;

/** The newest generation of mm whose flush has completed (ghost, for the stale-TLB oracle): kept
 *  in the mm's arch1 word, 0 while no flush of mm has completed (generations start at 1). */
const flushedGen = (k: Kernel, mm: number) => k.mmInfo(mm)?.arch1 ?? 0;

export function registerX86v418(r: StepRegistry) {
  // ---- switch_mm_irqs_off(), v4.18
  r.replace('switch_mm_irqs_off', 'read_cpu_tlbstate', (k, x, f) => {
    if (!k.cpus[x.cpu].irqsOff) k.violate('context', `switch_mm_irqs_off() with IRQs enabled on cpu${x.cpu}`, x);
    f.real_prev = k.ld(x, loaded(k, x.cpu));
    return FUSE;
  });
  // this_cpu_write(cpu_tlbstate.is_lazy, false);
  r.replace('switch_mm_irqs_off', 'clear_is_lazy', (k, x) => {
    k.st(x, isLazy(k, x.cpu), 0);
    return YIELD;
  });
  // if (real_prev == next) { ...WARN_ON_ONCE(!cpumask_test_cpu(...)) cpumask_set_cpu(...); return; }
  // (v4.18 has no lazy smp_mb() and tlb_gen check: lazier-tlb/04 adds them)
  r.remove('switch_mm_irqs_off', 'smp_mb');
  r.remove('switch_mm_irqs_off', 'check_tlb_gen');
  r.replace('switch_mm_irqs_off', 'same_mm', (k, x, f) => {
    if (f.real_prev !== f.next) return NEXT;
    if (f.real_prev !== k.init_mm && !k.ld(x, f.next + L.MM_CPUMASK + x.cpu)) {
      k.violate('warn', `WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(next))) for ${k.name(f.next)} on cpu${x.cpu}`, x);
      k.cmpxchg(x, f.next + L.MM_CPUMASK + x.cpu, 0, 1);
    }
    return YIELD_RET;
  });
  // } else { /* Stop remote flushes for the previous mm */ cpumask_clear_cpu(cpu, mm_cpumask(real_prev));
  //          /* Start remote flushes and then read tlb_gen. */ cpumask_set_cpu(cpu, mm_cpumask(next));
  //          next_tlb_gen = atomic64_read(&next->context.tlb_gen); choose_new_asid(...); ... }
  // Resume points: 1 after clearing prev's bit, 2 after setting next's.
  r.replace('switch_mm_irqs_off', 'update_mm_cpumask', (k, x, f, pc) => {
    switch (pc) {
      case 0: // entry
        if (f.real_prev === f.next) return NEXT; // the lazier same-mm flush path (lazier-tlb/04) comes here
        k.cmpxchg(x, f.real_prev + L.MM_CPUMASK + x.cpu, 1, 0);
        if (f.real_prev !== k.init_mm) x86State(k).switchingFrom[x.cpu] = f.real_prev;
        return again(1);
      case 1: // after cpumask_clear_cpu(cpu, mm_cpumask(real_prev))
        k.cmpxchg(x, f.next + L.MM_CPUMASK + x.cpu, 0, 1);
        return again(2);
      default: // 2: after cpumask_set_cpu(cpu, mm_cpumask(next))
        f.next_tlb_gen = k.ld(x, f.next + L.MM_TLB_GEN);
        return YIELD;
    }
  }, 'cpumask_clear_set');

  // ---- enter_lazy_tlb(), v4.18
  r.replace('enter_lazy_tlb', 'set_is_lazy', (k, x) => {
    if (k.ld(x, loaded(k, x.cpu)) === k.init_mm) return FUSE;
    // static inline bool tlb_defer_switch_to_init_mm(void) { return !static_cpu_has(X86_FEATURE_PCID); }
    if (!k.flag('X86_FEATURE_PCID', false)) {
      k.st(x, isLazy(k, x.cpu), 1);
      return YIELD;
    }
    k.count('enter_lazy_switch_to_init_mm');
    const c = k.call(x, H.switch_mm);
    c.prev = NULL;
    c.next = k.init_mm;
    c.tsk = NULL;
    return FUSE_CALL;
  }, 'tlb_defer_switch_to_init_mm');

  // ---- native_flush_tlb_others(), v4.18: smp_call_function_many(cpumask, flush_tlb_func_remote, ...)
  r.replace('flush_tlb_multi', 'native_flush_tlb_multi', (k, x, f) => {
    const c = k.call(x, H.on_each_cpu_mask);
    c.mask = f.mask;
    c.fn = H.flush_tlb_func;
    c.purpose = 'tlb_flush';
    k.copyFrame(x, H.flush_tlb_info, k.ipiArgs(c, H.flush_tlb_func).info, f.info);
    return CALL;
  }, 'native_flush_tlb_others');

  // ---- the stale-TLB oracle
  r.add('flush_tlb_mm_range', 'flush_done', (k, _x, f) => {
    const mi = k.mmInfo(f.mm)!;
    if (mi.arch1 < f.new_tlb_gen) mi.arch1 = f.new_tlb_gen;
    return NEXT;
  });
  r.add('user_access', 'check_tlb_gen', (k, x, f) => {
    const done = flushedGen(k, f.mm);
    if (done === 0) return NEXT;
    // the CPU's own view (its store buffer first, under TSO): these are its private TLB state
    const mine = k.m.read(x.cpu, k.tlb[x.cpu] + L.TLB_CTX_GEN);
    if (k.m.read(x.cpu, loaded(k, x.cpu)) === f.mm && mine < done)
      k.violate('stale-tlb', `cpu${x.cpu} runs user code of ${k.name(f.mm)} with TLB generation ${mine}, older than the completed flush to generation ${done}`, x);
    return NEXT;
  }, { before: 'mmu_walk' });
}

export const x86_418: ArchPlugin = {
  options: [
    { name: 'X86_FEATURE_PCID', type: 'bool', default: 'n', help: 'the CPU has PCID: tlb_defer_switch_to_init_mm() is false, so enter_lazy_tlb() switches to init_mm at once instead of staying lazy' },
  ],
  ...x86,
  name: 'x86-4.18',
  description: 'x86-64 bare metal as of v4.18 (before lazier-tlb): every flush IPI reaches lazy CPUs (which then switch to init_mm), mm_cpumask atomics on init_mm too; no PCID unless --set X86_FEATURE_PCID=y',
  kernels: '>=4.18.0 <4.19.0',
  flushIpisReachLazy: 'always',
  asids: false, // X86_FEATURE_PCID=n by default (see above)
  tlbFlush: 'ipi',
  loadedMm: (k, c) => k.m.read(c, loaded(k, c)), // cpu_tlbstate.loaded_mm, the CPU's own view (as x86)
  inSwitchWindow: (k, c) => inSwitchMm(k, c),
  lazyMmuState: undefined, // bare metal: no lazy MMU mode
  apply(r, k) {
    registerX86Mm(r);
    registerX86Entry(r);
    registerX86v418(r);
    void k;
  },
  // x86's state and boot; the flushed generations start at 0 with every mm record
  boot: x86.boot,
};

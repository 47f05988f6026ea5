// s390, v6.1: switch_mm_irqs_off()/finish_arch_post_lock_switch()/activate_mm() in
// arch/s390/include/asm/mmu_context.h, ptep_get_and_clear_full()/ptep_xchg_lazy()/
// ptep_flush_lazy() in arch/s390/include/asm/pgtable.h and arch/s390/mm/pgtable.c,
// __tlb_flush_mm()/__tlb_flush_mm_lazy() in arch/s390/include/asm/tlbflush.h, and the
// CONFIG_MMU_GATHER_NO_GATHER mmu_gather of arch/s390/include/asm/tlb.h.
//
// What differs from x86 (seed 002: Linus L3250-3265, L3799-3801; Gerald Schaefer L4156-4167):
//  - "we need to flush already when we change a PTE, which is done in ptep_get_and_clear() etc.":
//    clearing a PTE is IPTE, which invalidates the entry in every CPU's TLB before it completes.
//    "Only exception would be lazy flushing when only one active thread is attached, then we
//    would flush later in flush_tlb_mm/range(), or as soon as another thread is attached":
//    with context.cpu_attach_mask == this CPU the PTE is only invalidated and context.flush_mm
//    set; the flush happens in tlb_flush() (__tlb_flush_mm_lazy) or when a CPU attaches.
//  - No flush IPIs: __tlb_flush_mm() is IDTE/IPTE-global, broadcast by the hardware.
//  - The mmu_gather gathers no pages: __tlb_remove_page_size() frees at once
//    (free_page_and_swap_cache), the TLB having been flushed when the PTE was cleared.
//  - TLB entries are tagged with the ASCE: a CPU that switches away keeps them, and flushes them
//    when it attaches again if a lazy flush is pending (finish_arch_post_lock_switch).
//  - Lazy CPUs (kernel threads, idle) keep the user ASCE: no enter_lazy_tlb, no leave_mm.
// Not modelled: the PGSTE (KVM guest) side of ptep_xchg_*, the flush_count wait (the model's
// lazy PTE invalidation is one atomic step, so an attaching CPU either is seen by it or sees
// flush_mm), 4-level ASCE upgrades.
import {
  frameExt, ptr, NEXT, YIELD, CALL,
  H, L, page,
  type ArchPlugin, type StepRegistry, type Kernel, type Ctx, type RecordView,
} from '../core/model/index.ts';
import { tlbFlushedAll, mmContext, registerDestroyContext, registerSwitchMmIrqSave, inSwitchMm } from './lib.ts';
import { registerGenericHotplug } from './generic.ts';

/** s390's locals in the generic functions it implements. */
export const S390_EXT = frameExt({ switch_mm_irqs_off: { real_prev: ptr } });
declare module '../core/model/fns.ts' {
  interface FrameExts { s390: typeof S390_EXT }
  interface KernelSteps {
    'switch_mm_irqs_off.user_asce': true; 'switch_mm_irqs_off.cpu_attach_mask': true;
    'switch_mm_irqs_off.clear_prev_attach': true; 'switch_mm_irqs_off.finish_arch_post_lock_switch': true;
    'activate_mm.switch_mm': true; 'flush_tlb_mm_range.__tlb_flush_mm_lazy': true;
    'ptep_get_and_clear.ptep_xchg_lazy': true; '__tlb_remove_page_size.free_page_and_swap_cache': true;
  }
}

/** s390's per-run state: the user ASCE each CPU's MMU is using (S390_lowcore.user_asce). */
export const S390_STATE = { asce: 'perCpu' } as const;
const s390State = (k: Kernel) => k.archState as RecordView<typeof S390_STATE>;

/** mm->context: cpu_attach_mask (one word per CPU) and flush_mm. */
function ctx(k: Kernel, mm: number): number {
  const fields: string[] = [];
  for (let c = 0; c < k.ncpus; c++) fields.push(`cpu_attach_mask[${c}]`);
  fields.push('flush_mm:1'); // (named with its width: a field ending in "mm" would print as an mm pointer)
  return mmContext(k, mm, fields);
}
const attach = (k: Kernel, mm: number, c: number) => ctx(k, mm) + c;
const flushMm = (k: Kernel, mm: number) => ctx(k, mm) + k.ncpus;

/** __tlb_flush_mm(): "Reset TLB flush mask" (mm_cpumask = cpu_attach_mask), then IDTE (or a
 *  global flush): every CPU's TLB entries of mm are gone when it completes. */
function tlb_flush_mm(k: Kernel, x: Ctx, mm: number, what: string) {
  for (let c = 0; c < k.ncpus; c++) k.st(x, mm + L.MM_CPUMASK + c, k.ld(x, attach(k, mm, c)));
  tlbFlushedAll(k, mm);
  k.fpGlobal();
  k.count('tlb_flushes');
  k.mb(x, `${what}: IDTE ${k.name(mm)}.asce (broadcast)`);
}

/** __tlb_flush_mm_lazy(): if (mm->context.flush_mm) { mm->context.flush_mm = 0; __tlb_flush_mm(mm); }
 *  (the caller's scheduling point follows) */
function tlb_flush_mm_lazy(k: Kernel, x: Ctx, mm: number, force: boolean) {
  const pending = k.ld(x, flushMm(k, mm));
  if (!pending && !force) return;
  k.st(x, flushMm(k, mm), 0);
  tlb_flush_mm(k, x, mm, '__tlb_flush_mm');
}

export function registerS390Mm(r: StepRegistry) {
  // static inline void switch_mm_irqs_off(struct mm_struct *prev, struct mm_struct *next, ...)
  //   S390_lowcore.user_asce = next == &init_mm ? s390_invalid_asce : next->context.asce;
  //   cpumask_set_cpu(cpu, &next->context.cpu_attach_mask);
  //   __ctl_load(s390_invalid_asce, 7, 7);   /* Clear previous user-ASCE from CR7 */
  //   if (prev != next) cpumask_clear_cpu(cpu, &prev->context.cpu_attach_mask);
  r.add('switch_mm_irqs_off', 'user_asce', (k, x, f) => {
    const s = s390State(k);
    if (f.next !== k.init_mm) { const pgd = k.ld(x, f.next + L.MM_PGD); k.ld(x, pgd); }
    f.real_prev = s.asce[x.cpu];
    s.asce[x.cpu] = f.next;
    k.fpGlobal();
    if (k.tracing) k.tr(x, `S390_lowcore.user_asce = ${f.next === k.init_mm ? 's390_invalid_asce' : `${k.name(f.next)}.asce`}`);
    return YIELD;
  });
  r.add('switch_mm_irqs_off', 'cpu_attach_mask', (k, x, f) => {
    if (f.next === k.init_mm) return NEXT;
    k.st(x, attach(k, f.next, x.cpu), 1);
    return YIELD;
  });
  r.add('switch_mm_irqs_off', 'clear_prev_attach', (k, x, f) => {
    const prev = f.real_prev;
    if (!prev || prev === f.next || prev === k.init_mm) return NEXT;
    k.st(x, attach(k, prev, x.cpu), 0);
    return YIELD;
  });
  // finish_arch_post_lock_switch() (run here, at the end of the switch: the model's
  // finish_task_switch() has no arch hook): cpumask_set_cpu(cpu, mm_cpumask(mm));
  // __tlb_flush_mm_lazy(mm): a CPU that attaches flushes a pending lazy flush first.
  r.add('switch_mm_irqs_off', 'finish_arch_post_lock_switch', (k, x, f) => {
    if (f.next === k.init_mm) return NEXT;
    k.st(x, f.next + L.MM_CPUMASK + x.cpu, 1);
    tlb_flush_mm_lazy(k, x, f.next, false);
    return YIELD;
  });

  // switch_mm(): local_irq_save(flags); switch_mm_irqs_off(prev, next, tsk); local_irq_restore(flags);
  registerSwitchMmIrqSave(r);
  // activate_mm(prev, next): switch_mm(prev, next, current); cpumask_set_cpu(...); __ctl_load(...)
  r.add('activate_mm', 'switch_mm', (k, x, f) => {
    const c = k.call(x, H.switch_mm);
    c.prev = f.prev;
    c.next = f.next;
    c.tsk = k.cpus[x.cpu].curr.ref;
    return CALL;
  });

  // flush_tlb_mm()/flush_tlb_range() and the mmu_gather's tlb_flush(): __tlb_flush_mm_lazy(mm).
  // Freeing page tables (pte_free_tlb) sets context.flush_mm, so such a flush always flushes.
  r.add('flush_tlb_mm_range', '__tlb_flush_mm_lazy', (k, x, f) => {
    tlb_flush_mm_lazy(k, x, f.mm, !!f.freed_tables);
    return YIELD;
  });

  // ptep_get_and_clear_full(mm, addr, ptep, full): full ? plain invalidate : ptep_xchg_lazy()
  // -> ptep_flush_lazy(): "if (cpumask_equal(&mm->context.cpu_attach_mask, cpumask_of(cpu)))
  //    { set_pte(... _PAGE_INVALID); mm->context.flush_mm = 1; } else ptep_ipte_global(...)"
  r.replace('ptep_get_and_clear', 'native_ptep_get_and_clear', (k, x, f) => {
    const v = page.vmaAt(k, f.vma);
    const a = v.pt + page.ptLo(f.i);
    f.ret = page.ld64(k, x, a);
    page.st64(k, x, a, page.NONE);
    page.noteStored(k, a, page.NONE);
    let how = 'invalidate (fullmm)';
    if (!f.full) {
      let others = false;
      for (let c = 0; c < k.ncpus; c++) if (c !== x.cpu && k.ld(x, attach(k, v.mm, c))) others = true;
      if (others) {
        // IPTE: the entry is gone from every CPU's TLB when the instruction completes
        for (let c = 0; c < k.ncpus; c++) if (k.m.mem[v.tlb[c] + f.i]) { page.notefp(k, v.tlb[c] + f.i, true); k.m.mem[v.tlb[c] + f.i] = 0; }
        k.fpGlobal();
        k.count('ipte_global');
        how = 'IPTE (global)';
      } else {
        k.st(x, flushMm(k, v.mm), 1);
        how = 'invalidate, flush_mm = 1 (only this CPU attached)';
      }
    }
    if (k.tracing) k.tr(x, `${page.entryName(k, a)}: ${page.fmtEntry(k, f.ret)} -> ${how}`);
    return YIELD;
  }, 'ptep_xchg_lazy');

  // CONFIG_MMU_GATHER_NO_GATHER: "Release the page cache reference for a pte removed by
  // tlb_ptep_clear_flush. In both flush modes the tlb for a page cache page has already been
  // freed, so just do free_page_and_swap_cache."  return false;
  r.replace('__tlb_remove_page_size', 'batch_add', (k, x, f) => {
    if (!page.pgOf(k)) return NEXT;
    k.call(x, H.put_page).page = f.page;
    return CALL;
  }, 'free_page_and_swap_cache');
  r.remove('__tlb_remove_page_size', 'batch_full');
}

export const s390: ArchPlugin = {
  name: 's390',
  description: 's390: clearing a PTE flushes it from every TLB (IPTE), no flush IPIs (IDTE), no page gathering, ASCE-tagged TLBs',
  // The page-level model of v6.0/v6.1 (the delayed-rmap and pae-lockless bases); the mm-lifetime
  // parts of earlier kernels are not modelled for s390.
  kernels: '>=6.0.0',
  // mm_cpumask is the TLB "flush mask": sticky, reset from cpu_attach_mask at each __tlb_flush_mm()
  mmCpumaskExact: false,
  // no flush IPIs at all: IPTE/IDTE are broadcast by the hardware
  flushIpisReachLazy: 'never',
  exitShootsLazies: false,
  asids: true, // TLB entries are tagged with the ASCE
  mmuGather: 'immediate',
  lazyMmu: false,
  syncCore: 'none', // s390 does not select ARCH_HAS_MEMBARRIER_SYNC_CORE
  wantIrqsOffActivateMm: false,
  tlbFlush: 'broadcast',
  state: S390_STATE,
  hwLoadedMm: (k, c) => s390State(k).asce[c],
  mayWalk: (k, c, mm) => s390State(k).asce[c] === mm,
  loadedMm: undefined, // S390_lowcore.user_asce is the MMU's own register
  inSwitchWindow: inSwitchMm,
  lazyMmuState: undefined,
  apply(r) {
    registerS390Mm(r);
    registerGenericHotplug(r);
    registerDestroyContext(r, 's390 mm->context');
  },
  boot(k) {
    s390State(k).asce.fill(k.init_mm);
  },
  // No cycle counts for s390 appear in the seeds; the cost model has no s390 weights.
  costs: {},
};

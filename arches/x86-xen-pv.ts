// x86-64 as a Xen PV guest, v5.16: the x86 model (arches/x86.ts) with the paravirt MMU ops of
// arch/x86/xen/mmu_pv.c and the lazy modes of arch/x86/kernel/paravirt.c:
//  - write_cr3 -> xen_write_cr3(): the CR3 load is a multicall (MMUEXT_NEW_BASEPTR), batched while
//    the CPU is in PARAVIRT_LAZY_CPU mode (the context switch) and issued by xen_mc_flush();
//    per_cpu(xen_current_cr3) follows when the batch runs (the set_current_cr3 callback).
//  - flush_tlb_multi -> xen_flush_tlb_multi(): one MMUEXT_TLB_FLUSH_MULTI hypercall for the online
//    CPUs of the mask, lazy vCPUs included. No flush IPIs, and no flush_tlb_func(): a lazy vCPU is
//    flushed by the hypervisor and stays on the mm (loaded_mm, CR3).
//  - arch_exit_mmap -> xen_exit_mmap(): xen_drop_mm_ref() first -- drop_mm_ref_this_cpu() here,
//    then an IPI to every online CPU whose xen_current_cr3 is the mm's pgd ("It's possible that a
//    vcpu may have a stale reference to our cr3, because its in lazy mode" -- chosen by cr3, not
//    mm_cpumask). The handler leave_mm()s a CPU whose loaded_mm is the mm (behind the scheduler's
//    back: active_mm stays, lazy-mm/20 turns it into unlazy_mm_irqs_off()) and xen_mc_flush()es a
//    stale CR3. Then xen_pgd_unpin(): "Another cpu may still have their %cr3 pointing at the
//    pagetable, so we need to repoint it somewhere else before we can unpin it." This runs
//    before unmap_vmas/free_pgtables, so by the fullmm flush nobody is on the mm (Andy
//    Lutomirski, seed 003: "a heavier weight version of more or less the same thing that
//    arch_shoot_down_dead_mm() would be, except that it happens before exit_mmap()").
//  - lazy MMU mode (arches/lazy-mmu.ts): per-CPU paravirt_lazy_mode in {NONE, MMU, CPU}; enter_lazy()
//    BUG_ONs unless NONE (no nesting at v5.16); xen_leave_lazy_mmu() = xen_mc_flush() +
//    paravirt_leave_lazy_mmu(); the context switch runs paravirt_start_context_switch(prev) (leave
//    MMU mode, TIF_LAZY_MMU_UPDATES on prev, enter CPU mode) and xen_end_context_switch(next)
//    (xen_mc_flush(), leave CPU mode, re-enter MMU mode if next had it). Other modules queue work
//    with xen_mc_entry() + xen_mc_issue() below (the multicall helpers of arch/x86/xen/multicalls.h).
// Names are v5.16's: v6.2 moved the lazy code into Xen (xen_lazy_mode, XEN_LAZY_MMU) unchanged in
// shape; 49147beb0ccb ("x86/xen: allow nesting of same lazy mode", v6.6) added xen_lazy_nesting to
// enter_lazy/leave_lazy -- core/kernel/lazy_mmu.ts registers those steps ahead of the BUG_ON steps
// here (the lazy-mmu series' v6.14 base) and Ryan Roberts' series reverts them (lazy-mmu/04).
import type { ArchPlugin } from './types.ts';
import type { StepRegistry } from '../core/hooks.ts';
import { defineHooks } from '../core/hooks.ts';
import { H, NULL, type Kernel, type Ctx } from '../core/kernel.ts';
import * as L from '../core/layout.ts';
import { smp_call_function_many } from '../core/kernel/ipi.ts';
import { syncCoreEvent } from '../core/kernel/membarrier.ts';
import { x86, registerX86Mm, registerX86Entry } from './x86.ts';
import { LAZY_MMU } from './lazy-mmu.ts';
import { tlbFlushedLocal, inSwitchMm, registerRcuTableFree } from './lib.ts';

export const XEN = defineHooks([
  'arch_exit_mmap', 'xen_exit_mmap', 'xen_drop_mm_ref', 'drop_mm_ref_this_cpu', 'xen_mc_flush',
  'enter_lazy', 'leave_lazy',
]);

/** enum paravirt_lazy_mode */
export const PARAVIRT_LAZY_NONE = 0;
export const PARAVIRT_LAZY_MMU = 1;
export const PARAVIRT_LAZY_CPU = 2;
const MODE_NAMES = ['PARAVIRT_LAZY_NONE', 'PARAVIRT_LAZY_MMU', 'PARAVIRT_LAZY_CPU'];

/** One multicall entry: what the hypervisor does when the batch is issued. */
export interface McEntry { op: string; run: (k: Kernel, x: Ctx) => void }

const loaded = (k: Kernel, c: number) => k.tlb[c] + L.TLB_LOADED_MM;
const lazyMode = (k: Kernel, c: number): number => k.archState.lazy_mode[c];
const batch = (k: Kernel, c: number): McEntry[] => k.archState.mc[c];

/** xen_mc_entry()/MULTI_*(): append an operation to this CPU's multicall batch. */
export function xen_mc_entry(k: Kernel, x: Ctx, op: string, run: (k: Kernel, x: Ctx) => void) {
  batch(k, x.cpu).push({ op, run });
  if (k.tracing) k.tr(x, `xen_mc_entry(${op})`);
}

/** xen_mc_issue(mode): `if ((paravirt_get_lazy_mode() & mode) == 0) xen_mc_flush();` */
export function* xen_mc_issue(k: Kernel, x: Ctx, mode: number): Generator<number, void, unknown> {
  if ((lazyMode(k, x.cpu) & mode) === 0) yield k.invoke(XEN.xen_mc_flush, {});
  else k.count('xen_mc_deferred');
}

/** xen_write_cr3(cr3): this_cpu_write(xen_cr3, cr3); MMUEXT_NEW_BASEPTR; xen_mc_callback(set_current_cr3);
 *  xen_mc_issue(PARAVIRT_LAZY_CPU). */
function* xen_write_cr3(k: Kernel, x: Ctx, next: number): Generator<number, void, unknown> {
  const pgd = k.ld(x, next + L.MM_PGD); // __pa(mm->pgd)
  k.archState.xen_cr3[x.cpu] = next;
  xen_mc_entry(k, x, `MMUEXT_NEW_BASEPTR ${k.name(next)}.pgd`, (kk, xx) => {
    kk.ld(xx, pgd); // the hypervisor validates the (pinned) pgd and loads it
    const prev = kk.archState.cr3[xx.cpu];
    kk.archState.cr3[xx.cpu] = next; // set_current_cr3(): xen_current_cr3
    kk.archState.switchingFrom[xx.cpu] = NULL;
    tlbFlushedLocal(kk, xx.cpu, prev); // a new base pointer flushes the non-global TLB
    kk.count('cr3_writes');
  });
  yield* xen_mc_issue(k, x, PARAVIRT_LAZY_CPU);
}

export function registerXenPvMm(r: StepRegistry) {
  registerX86Mm(r);
  registerX86Entry(r);
  // EFI runtime services of a PV guest are hypercalls (arch/x86/xen/efi.c, EFI_PARAVIRT): the
  // efi_mm switch of efi_enter_mm()/efi_leave_mm() never runs.
  r.remove('efi_enter_mm', 'switch_to_efi_mm');
  r.remove('efi_leave_mm', 'switch_to_prev_mm');
  // PARAVIRT selects MMU_GATHER_RCU_TABLE_FREE: xen_flush_tlb_multi() sends no IPI for GUP-fast to hold up
  registerRcuTableFree(r);

  // switch_mm_irqs_off(): load_new_mm_cr3() -> write_cr3() is the xen_write_cr3 pv op.
  r.replace('switch_mm_irqs_off', 'load_new_mm_cr3', function* (k, x, f) {
    k.st(x, k.tlb[x.cpu] + L.TLB_CTX_GEN, f.next_tlb_gen);
    yield* xen_write_cr3(k, x, f.next);
    yield 0;
  });

  // flush_tlb_multi -> static void xen_flush_tlb_multi(const struct cpumask *cpus, const struct flush_tlb_info *info)
  //   if (cpumask_empty(cpus)) return;
  //   mcs = xen_mc_entry(...); /* Remove any offline CPUs */ cpumask_and(mask, cpus, cpu_online_mask);
  //   args->op.cmd = MMUEXT_TLB_FLUSH_MULTI; ... MULTI_mmuext_op(...); xen_mc_issue(PARAVIRT_LAZY_MMU);
  r.replace('flush_tlb_multi', 'native_flush_tlb_multi', function* (k, x, f) {
    if (f.mask.length === 0) return;
    const mm = f.info.mm;
    const targets: number[] = [];
    for (const c of f.mask) if (k.ld(x, k.online + c)) targets.push(c);
    yield 0;
    xen_mc_entry(k, x, `MMUEXT_TLB_FLUSH_MULTI ${k.name(mm)} {${targets.map((c) => `cpu${c}`).join(',')}}`, (kk) => {
      for (const c of targets) tlbFlushedLocal(kk, c, mm);
      kk.count('xen_tlb_flush_multi');
    });
    yield* xen_mc_issue(k, x, PARAVIRT_LAZY_MMU);
  }, 'xen_flush_tlb_multi');

  // ---- exit_mmap(): mmap_write_lock(mm); arch_exit_mmap(mm); ... tlb_gather_mmu_fullmm() ...
  const first = r.steps('exit_mmap')[0]?.name;
  r.add('exit_mmap', 'arch_exit_mmap', function* (k, _x, f) {
    yield k.invoke(XEN.arch_exit_mmap, { mm: f.mm });
  }, first ? { before: first } : {});
  // paravirt_arch_exit_mmap(mm) -> pv_ops.mmu.exit_mmap = xen_exit_mmap
  r.add('arch_exit_mmap', 'xen_exit_mmap', function* (k, _x, f) {
    yield k.invoke(XEN.xen_exit_mmap, { mm: f.mm });
  });
  // static void xen_exit_mmap(struct mm_struct *mm)
  //   get_cpu(); /* make sure we don't move around */ xen_drop_mm_ref(mm); put_cpu();
  r.add('xen_exit_mmap', 'xen_drop_mm_ref', function* (k, _x, f) {
    yield k.invoke(XEN.xen_drop_mm_ref, { mm: f.mm });
  });
  //   spin_lock(&mm->page_table_lock);
  //   /* pgd may not be pinned in the error exit path of execve */
  //   if (xen_page_pinned(mm->pgd)) xen_pgd_unpin(mm);
  r.add('xen_exit_mmap', 'xen_pgd_unpin', function* (k, x, f) {
    k.ld(x, f.mm + L.MM_PGD);
    for (let c = 0; c < k.ncpus; c++) {
      if (k.archState.cr3[c] === f.mm)
        k.violate('lifetime', `xen_pgd_unpin(${k.name(f.mm)}) while cpu${c}'s cr3 still points to ${k.name(f.mm)}.pgd ("Another cpu may still have their %cr3 pointing at the pagetable, so we need to repoint it somewhere else before we can unpin it.")`, x);
    }
    k.fpGlobal();
    k.count('xen_pgd_unpin');
    yield 0;
  });

  // static void xen_drop_mm_ref(struct mm_struct *mm)
  //   drop_mm_ref_this_cpu(mm);
  r.add('xen_drop_mm_ref', 'drop_mm_ref_this_cpu', function* (k, _x, f) {
    yield k.invoke(XEN.drop_mm_ref_this_cpu, { mm: f.mm });
  });
  //   /* Get the "official" set of cpus referring to our pagetable. */
  //   for_each_online_cpu(cpu) { if (per_cpu(xen_current_cr3, cpu) == __pa(mm->pgd)) cpumask_set_cpu(cpu, mask); }
  //   smp_call_function_many(mask, drop_mm_ref_this_cpu, mm, 1);
  r.add('xen_drop_mm_ref', 'smp_call_function_many', function* (k, x, f) {
    const mask: number[] = [];
    for (let c = 0; c < k.ncpus; c++) if (k.ld(x, k.online + c) && k.archState.cr3[c] === f.mm) mask.push(c);
    k.fpGlobal(); // per_cpu(xen_current_cr3, cpu) of the other CPUs
    yield 0;
    yield* smp_call_function_many(k, x, mask, XEN.drop_mm_ref_this_cpu, { mm: f.mm }, true, 'xen_drop_mm_ref');
  });
  // static void drop_mm_ref_this_cpu(void *info)
  //   if (this_cpu_read(cpu_tlbstate.loaded_mm) == mm) leave_mm(smp_processor_id());
  r.add('drop_mm_ref_this_cpu', 'leave_mm', function* (k, x, f) {
    const lm = k.ld(x, loaded(k, x.cpu));
    yield 0;
    if (lm !== f.mm) return;
    k.count('xen_drop_mm_ref_unlazy');
    yield k.invoke(H.leave_mm, {});
  });
  //   /* If this cpu still has a stale cr3 reference, then make sure it has been flushed. */
  //   if (this_cpu_read(xen_current_cr3) == __pa(mm->pgd)) xen_mc_flush();
  r.add('drop_mm_ref_this_cpu', 'xen_mc_flush', function* (k, x, f) {
    if (k.archState.cr3[x.cpu] !== f.mm) return;
    yield k.invoke(XEN.xen_mc_flush, {});
  });

  // ---- void xen_mc_flush(void): issue this CPU's batch as one HYPERVISOR_multicall, then run the
  // callbacks. A hypercall returns through the hypervisor's IRET: a full barrier and serializing.
  r.add('xen_mc_flush', 'HYPERVISOR_multicall', function* (k, x) {
    const b = batch(k, x.cpu);
    if (b.length === 0) return;
    const ops = b.splice(0, b.length);
    if (k.tracing) k.tr(x, `HYPERVISOR_multicall: ${ops.map((o) => o.op).join('; ')}`);
    for (const o of ops) o.run(k, x);
    k.fpGlobal();
    k.mb(x, 'HYPERVISOR_multicall (serializing)');
    syncCoreEvent(k, x);
    k.count('hypercalls');
    yield 0;
  });
}

export function registerXenPvLazy(r: StepRegistry) {
  // static inline void enter_lazy(enum paravirt_lazy_mode mode)
  //   BUG_ON(this_cpu_read(paravirt_lazy_mode) != PARAVIRT_LAZY_NONE);
  //   this_cpu_write(paravirt_lazy_mode, mode);
  r.add('enter_lazy', 'BUG_ON', (k, x, f) => {
    const m = lazyMode(k, x.cpu);
    if (m !== PARAVIRT_LAZY_NONE)
      k.violate('warn', `BUG_ON(this_cpu_read(paravirt_lazy_mode) != PARAVIRT_LAZY_NONE) in enter_lazy(${MODE_NAMES[f.mode]}): cpu${x.cpu} is in ${MODE_NAMES[m]}`, x);
  });
  r.add('enter_lazy', 'this_cpu_write', (k, x, f) => {
    k.archState.lazy_mode[x.cpu] = f.mode;
  });
  // static void leave_lazy(enum paravirt_lazy_mode mode)
  //   BUG_ON(this_cpu_read(paravirt_lazy_mode) != mode);
  //   this_cpu_write(paravirt_lazy_mode, PARAVIRT_LAZY_NONE);
  r.add('leave_lazy', 'BUG_ON', (k, x, f) => {
    const m = lazyMode(k, x.cpu);
    if (m !== f.mode) k.violate('warn', `BUG_ON(this_cpu_read(paravirt_lazy_mode) != mode) in leave_lazy(${MODE_NAMES[f.mode]}): cpu${x.cpu} is in ${MODE_NAMES[m]}`, x);
  });
  r.add('leave_lazy', 'this_cpu_write', (k, x) => {
    k.archState.lazy_mode[x.cpu] = PARAVIRT_LAZY_NONE;
  });

  // arch_enter_lazy_mmu_mode() -> pv_ops.mmu.lazy_mode.enter = paravirt_enter_lazy_mmu(): enter_lazy(PARAVIRT_LAZY_MMU)
  r.add('arch_enter_lazy_mmu_mode', 'paravirt_enter_lazy_mmu', function* (k) {
    yield k.invoke(XEN.enter_lazy, { mode: PARAVIRT_LAZY_MMU });
  });
  // arch_leave_lazy_mmu_mode() -> xen_leave_lazy_mmu(): preempt_disable(); xen_mc_flush();
  //   paravirt_leave_lazy_mmu(); preempt_enable();
  r.add('arch_leave_lazy_mmu_mode', 'xen_mc_flush', function* (k) {
    yield k.invoke(XEN.xen_mc_flush, {});
  });
  r.add('arch_leave_lazy_mmu_mode', 'paravirt_leave_lazy_mmu', function* (k) {
    yield k.invoke(XEN.leave_lazy, { mode: PARAVIRT_LAZY_MMU });
  });
  // arch_flush_lazy_mmu_mode() -> paravirt_flush_lazy_mmu(): preempt_disable();
  //   if (paravirt_get_lazy_mode() == PARAVIRT_LAZY_MMU) { arch_leave_lazy_mmu_mode(); arch_enter_lazy_mmu_mode(); }
  r.add('arch_flush_lazy_mmu_mode', 'paravirt_flush_lazy_mmu', function* (k, x) {
    if (lazyMode(k, x.cpu) !== PARAVIRT_LAZY_MMU) return;
    yield k.invoke(LAZY_MMU.arch_leave_lazy_mmu_mode, {});
    yield k.invoke(LAZY_MMU.arch_enter_lazy_mmu_mode, {});
  });

  // context_switch(): prepare_task_switch(rq, prev, next);
  //   /* For paravirt, this is coupled with an exit in switch_to to combine the page table reload
  //      and the switch backend into one hypercall. */ arch_start_context_switch(prev);
  r.add('context_switch', 'arch_start_context_switch', function* (k, _x, f) {
    yield k.invoke(LAZY_MMU.arch_start_context_switch, { prev: f.prev });
  }, { after: 'prepare_task_switch' });
  // __switch_to(): ... arch_end_context_switch(next_p);
  r.add('context_switch', 'arch_end_context_switch', function* (k, _x, f) {
    yield k.invoke(LAZY_MMU.arch_end_context_switch, { next: f.next });
  }, { before: 'switch_to' });
  // void paravirt_start_context_switch(struct task_struct *prev)
  //   if (this_cpu_read(paravirt_lazy_mode) == PARAVIRT_LAZY_MMU) {
  //       arch_leave_lazy_mmu_mode(); set_ti_thread_flag(task_thread_info(prev), TIF_LAZY_MMU_UPDATES); }
  //   enter_lazy(PARAVIRT_LAZY_CPU);
  r.add('arch_start_context_switch', 'arch_leave_lazy_mmu_mode', function* (k, x, f) {
    if (lazyMode(k, x.cpu) !== PARAVIRT_LAZY_MMU) return;
    yield k.invoke(LAZY_MMU.arch_leave_lazy_mmu_mode, {});
    k.archState.tif_lazy_mmu_updates.add(f.prev.ref);
  });
  r.add('arch_start_context_switch', 'enter_lazy', function* (k) {
    yield k.invoke(XEN.enter_lazy, { mode: PARAVIRT_LAZY_CPU });
  });
  // static void xen_end_context_switch(struct task_struct *next)
  //   xen_mc_flush(); paravirt_end_context_switch(next);
  r.add('arch_end_context_switch', 'xen_mc_flush', function* (k) {
    yield k.invoke(XEN.xen_mc_flush, {});
  });
  // void paravirt_end_context_switch(struct task_struct *next)
  //   leave_lazy(PARAVIRT_LAZY_CPU);
  //   if (test_and_clear_ti_thread_flag(task_thread_info(next), TIF_LAZY_MMU_UPDATES)) arch_enter_lazy_mmu_mode();
  r.add('arch_end_context_switch', 'paravirt_end_context_switch', function* (k, _x, f) {
    yield k.invoke(XEN.leave_lazy, { mode: PARAVIRT_LAZY_CPU });
    if (k.archState.tif_lazy_mmu_updates.delete(f.next.ref)) yield k.invoke(LAZY_MMU.arch_enter_lazy_mmu_mode, {});
  });
}

export const x86XenPv: ArchPlugin = {
  name: 'x86-xen-pv',
  description: 'x86-64 Xen PV guest: x86 mm_cpumask, TLB flush by hypercall (no IPIs, lazy vCPUs flushed but kept), exit drops CR3 refs before exit_mmap, multicall lazy MMU mode',
  kernels: '>=4.20.0', // the x86 model's range; names of the lazy code as before v6.2
  mmCpumaskExact: true, // x86's: every CPU whose loaded_mm is the mm
  flushIpisReachLazy: 'never', // MMUEXT_TLB_FLUSH_MULTI: the hypervisor flushes, nobody leaves the mm
  exitShootsLazies: true, // xen_exit_mmap() -> xen_drop_mm_ref()
  asids: false, // [INF] the hypervisor owns CR3/CR4 and uses PCIDs for its own address spaces (xen/arch/x86/pv/domain.c), none per guest mm
  mmuGather: 'gather',
  lazyMmu: true,
  syncCore: 'iret', // return to user through HYPERVISOR_iret
  wantIrqsOffActivateMm: false,
  tlbFlush: 'hypercall',
  hwLoadedMm: (k, c) => k.archState.cr3[c], // per_cpu(xen_current_cr3): what the hypervisor has loaded
  mayWalk: (k, c, mm) => k.archState.cr3[c] === mm && k.archState.switchingFrom[c] !== mm,
  loadedMm: (k, c) => k.m.read(c, loaded(k, c)), // the CPU's own view (TSO store forwarding)
  // The CR3 load of a context switch waits in the multicall batch until arch_end_context_switch().
  inSwitchWindow: (k, c) => inSwitchMm(k, c) || lazyMode(k, c) === PARAVIRT_LAZY_CPU,
  lazyMmuState: (k, c) => ({ active: lazyMode(k, c) === PARAVIRT_LAZY_MMU, pending: batch(k, c).length }),
  apply(r) {
    registerXenPvMm(r);
    registerXenPvLazy(r);
  },
  boot(k) {
    x86.boot!(k); // CR3 per CPU, poking_mm, efi_mm ...
    Object.assign(k.archState, {
      xen_cr3: Array.from({ length: k.ncpus }, () => k.init_mm),
      lazy_mode: Array.from({ length: k.ncpus }, () => PARAVIRT_LAZY_NONE),
      mc: Array.from({ length: k.ncpus }, (): McEntry[] => []),
      tif_lazy_mmu_updates: new Set<number>(),
    });
  },
  costs: {
    // [est] a PV hypercall round trip (syscall into Xen, IRET back): ~1000 cycles; no figure in the seeds.
    hypercall: 1000,
    // [est] MMUEXT_TLB_FLUSH_MULTI: the hypervisor IPIs the pCPUs running the vCPUs; one IPI round
    // trip "~1-3 us" (anchors-upstream.md §7, rough prior) at 2 GHz: ~4000 cycles.
    tlb_flush_multi: 4000,
    // [seed] Nadav Amit, seed 000 L6086: "MOV-CR3 without flush is 250-300 cycles" -- plus the
    // hypercall above when not batched with the context switch.
    cr3_write: 275,
  },
};

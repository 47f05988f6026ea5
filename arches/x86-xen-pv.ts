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
// enter_lazy/leave_lazy -- core/model/baseline/lazy_mmu.ts registers those steps ahead of the BUG_ON
// steps here (the lazy-mmu series' v6.14 base) and Ryan Roberts' series reverts them (lazy-mmu/04).
// The per-CPU lazy mode is declared there too (xenLazyMode()), since those v6.14 steps read it.
//
// Declared state: x86's (CR3 per CPU...), per_cpu(xen_cr3), TIF_LAZY_MMU_UPDATES of the tasks that
// have it (a small table of task_struct addresses), and each CPU's multicall batch: a table of
// (operation, address, value) entries with a count, replayed by xen_mc_flush() (mcRun).
import {
  fns, ptr, int, cpus, NEXT, RET, YIELD, CALL, again, callAgain, fuseCallAgain,
  H, NULL, L, ModelError, syncCoreEvent, xenLazyMode, lazyMmuPendingAdd, lazyMmuPendingDone,
  XEN_LAZY_NONE, XEN_LAZY_MMU, XEN_LAZY_CPU,
  type ArchPlugin, type StepRegistry, type Kernel, type Ctx, type RecordView, type StepOf,
} from '../core/model/index.ts';
import { x86, registerX86Mm, registerX86Entry, X86_STATE } from './x86.ts';
import { tlbFlushedLocal, inSwitchMm, registerRcuTableFree } from './lib.ts';

export const XEN = fns({
  arch_exit_mmap: { mm: ptr },
  xen_exit_mmap: { mm: ptr },
  xen_drop_mm_ref: { mm: ptr, mask: cpus },
  drop_mm_ref_this_cpu: { mm: ptr, lm: ptr },
  xen_mc_flush: {},
  enter_lazy: { mode: int },
  leave_lazy: { mode: int },
});
declare module '../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof XEN> {}
  interface KernelSteps {
    'set_pte.xen_batched_set_pte': true; 'flush_tlb_multi.xen_flush_tlb_multi': true; 'exit_mmap.arch_exit_mmap': true;
    'arch_exit_mmap.xen_exit_mmap': true; 'xen_exit_mmap.xen_drop_mm_ref': true; 'xen_exit_mmap.xen_pgd_unpin': true;
    'xen_drop_mm_ref.drop_mm_ref_this_cpu': true; 'xen_drop_mm_ref.smp_call_function_many': true;
    'drop_mm_ref_this_cpu.leave_mm': true; 'drop_mm_ref_this_cpu.xen_mc_flush': true;
    'xen_mc_flush.HYPERVISOR_multicall': true;
    'enter_lazy.BUG_ON': true; 'enter_lazy.this_cpu_write': true; 'leave_lazy.BUG_ON': true; 'leave_lazy.this_cpu_write': true;
    'arch_enter_lazy_mmu_mode.paravirt_enter_lazy_mmu': true; 'arch_leave_lazy_mmu_mode.xen_mc_flush': true;
    'arch_leave_lazy_mmu_mode.paravirt_leave_lazy_mmu': true; 'arch_flush_lazy_mmu_mode.paravirt_flush_lazy_mmu': true;
    'context_switch.arch_start_context_switch': true; 'context_switch.arch_end_context_switch': true;
    'arch_start_context_switch.arch_leave_lazy_mmu_mode': true; 'arch_start_context_switch.enter_lazy': true;
    'arch_end_context_switch.xen_mc_flush': true; 'arch_end_context_switch.paravirt_end_context_switch': true;
  }
}

/** enum paravirt_lazy_mode (v5.16's names of enum xen_lazy_mode) */
export const PARAVIRT_LAZY_NONE = XEN_LAZY_NONE;
export const PARAVIRT_LAZY_MMU = XEN_LAZY_MMU;
export const PARAVIRT_LAZY_CPU = XEN_LAZY_CPU;
const MODE_NAMES = ['PARAVIRT_LAZY_NONE', 'PARAVIRT_LAZY_MMU', 'PARAVIRT_LAZY_CPU'];

/** Multicall operations: what the hypervisor does when the batch is issued (mcRun). */
const MC_NEW_BASEPTR = 1; // MMUEXT_NEW_BASEPTR: address = the mm, value = its pgd (read at xen_write_cr3)
const MC_TLB_FLUSH_MULTI = 2; // MMUEXT_TLB_FLUSH_MULTI: address = the mm, value = the CPUs (a bitmask)
const MC_MMU_UPDATE = 3; // MULTI_mmu_update: store value at address (a PTE)
/** MC_BATCH (arch/x86/xen/multicalls.h) */
const MC_CAP = 32;
/** tasks with TIF_LAZY_MMU_UPDATES at once */
const TIF_CAP = 8;
const names = (n: string, cap: number) => Array.from({ length: cap }, (_, i) => `${n}${i}`);
const MC_OP = names('mc_op', MC_CAP), MC_A = names('mc_a', MC_CAP), MC_V = names('mc_v', MC_CAP);
const TIF = names('tif_lazy_mmu_updates', TIF_CAP);
/** x86's state, per_cpu(xen_cr3), the number of entries in each CPU's multicall batch, and the
 *  number of tasks with TIF_LAZY_MMU_UPDATES ... */
const XEN_BASE = { ...X86_STATE, xen_cr3: 'perCpu', mc_n: 'perCpu', tif_n: 'word' } as const;
/** ... and the tables: entry j of a CPU's batch (mc_op<j>, mc_a<j>, mc_v<j>: one per-CPU array
 *  each), the tasks with TIF_LAZY_MMU_UPDATES (tif_lazy_mmu_updates<i>: task_struct addresses). */
const XEN_STATE = {
  ...XEN_BASE,
  ...Object.fromEntries([...MC_OP, ...MC_A, ...MC_V].map((n) => [n, 'perCpu' as const])),
  ...Object.fromEntries(TIF.map((n) => [n, 'word' as const])),
};
const xen = (k: Kernel) => k.archState as RecordView<typeof XEN_BASE>;
/** a batch column (MC_OP[j] ...), per CPU */
const mcCol = (k: Kernel, name: string) => (k.archState as Record<string, Int32Array>)[name];
const tif = (k: Kernel) => k.archState as unknown as Record<string, number>;

const loaded = (k: Kernel, c: number) => k.tlb[c] + L.TLB_LOADED_MM;
const lazyMode = (k: Kernel, c: number): number => xenLazyMode(k)[c];

/** MULTI_*(): append an operation to this CPU's multicall batch (no trace). */
function mcPush(k: Kernel, x: Ctx, op: number, a: number, v: number) {
  const n = xen(k).mc_n;
  const j = n[x.cpu];
  if (j === MC_CAP) throw new ModelError(`cpu${x.cpu}'s multicall batch is full (${MC_CAP} entries; the model issues it only at xen_mc_flush())`);
  mcCol(k, MC_OP[j])[x.cpu] = op;
  mcCol(k, MC_A[j])[x.cpu] = a;
  mcCol(k, MC_V[j])[x.cpu] = v;
  n[x.cpu] = j + 1;
}

/** How traces name a multicall entry. */
function mcName(k: Kernel, op: number, a: number, v: number): string {
  switch (op) {
    case MC_NEW_BASEPTR: return `MMUEXT_NEW_BASEPTR ${k.name(a)}.pgd`;
    case MC_TLB_FLUSH_MULTI: return `MMUEXT_TLB_FLUSH_MULTI ${k.name(a)} {${maskCpus(v).map((c) => `cpu${c}`).join(',')}}`;
    case MC_MMU_UPDATE: return `MULTI_mmu_update ${k.m.nameOf(a)} = ${v}`;
  }
  throw new ModelError(`internal: multicall operation ${op}`);
}

/** What the hypervisor does for one entry of x's batch. */
function mcRun(k: Kernel, x: Ctx, op: number, a: number, v: number) {
  switch (op) {
    case MC_NEW_BASEPTR: {
      k.ld(x, v); // the hypervisor validates the (pinned) pgd and loads it
      const s = xen(k);
      const prev = s.cr3[x.cpu];
      s.cr3[x.cpu] = a; // set_current_cr3(): xen_current_cr3
      s.switchingFrom[x.cpu] = NULL;
      k.fpGlobal(); // the MMU's state: the lifetime oracles of other CPUs read it
      tlbFlushedLocal(k, x.cpu, prev); // a new base pointer flushes the non-global TLB
      k.count('cr3_writes');
      return;
    }
    case MC_TLB_FLUSH_MULTI:
      k.fpGlobal(); // other CPUs' TLBs
      for (const c of maskCpus(v)) tlbFlushedLocal(k, c, a);
      k.count('xen_tlb_flush_multi');
      return;
    case MC_MMU_UPDATE:
      k.st(x, a, v);
      lazyMmuPendingDone(k, a);
      return;
  }
}

const maskCpus = (v: number) => {
  const out: number[] = [];
  for (let c = 0; v >>> c; c++) if ((v >>> c) & 1) out.push(c);
  return out;
};
function cpuMask(k: Kernel, cs: readonly number[]): number {
  if (k.ncpus > 31) throw new ModelError(`the Xen PV model's MMUEXT_TLB_FLUSH_MULTI entry holds at most 31 CPUs (${k.ncpus} configured)`);
  let v = 0;
  for (const c of cs) v |= 1 << c;
  return v;
}

/** xen_mc_entry()/MULTI_*(): append an operation to this CPU's multicall batch. */
function xen_mc_entry(k: Kernel, x: Ctx, op: number, a: number, v: number) {
  mcPush(k, x, op, a, v);
  if (k.tracing) k.tr(x, `xen_mc_entry(${mcName(k, op, a, v)})`);
}

/** xen_mc_issue(mode): `if ((paravirt_get_lazy_mode() & mode) == 0) xen_mc_flush();` -- true if it
 *  called xen_mc_flush() (the step returns a CALL code). */
function xen_mc_issue(k: Kernel, x: Ctx, mode: number): boolean {
  if ((lazyMode(k, x.cpu) & mode) === 0) {
    k.call(x, H.xen_mc_flush);
    return true;
  }
  k.count('xen_mc_deferred');
  return false;
}

/** xen_write_cr3(cr3): this_cpu_write(xen_cr3, cr3); MMUEXT_NEW_BASEPTR; xen_mc_callback(set_current_cr3);
 *  xen_mc_issue(PARAVIRT_LAZY_CPU). True if it called xen_mc_flush(). */
function xen_write_cr3(k: Kernel, x: Ctx, next: number): boolean {
  const pgd = k.ld(x, next + L.MM_PGD); // __pa(mm->pgd)
  xen(k).xen_cr3[x.cpu] = next;
  xen_mc_entry(k, x, MC_NEW_BASEPTR, next, pgd);
  return xen_mc_issue(k, x, PARAVIRT_LAZY_CPU);
}

/** TIF_LAZY_MMU_UPDATES of task `tsk`: set_ti_thread_flag(). */
function tifSet(k: Kernel, tsk: number) {
  const s = xen(k), t = tif(k);
  for (let i = 0; i < s.tif_n; i++) if (t[TIF[i]] === tsk) return;
  if (s.tif_n === TIF_CAP) throw new ModelError(`more than ${TIF_CAP} tasks with TIF_LAZY_MMU_UPDATES`);
  t[TIF[s.tif_n++]] = tsk;
}
/** test_and_clear_ti_thread_flag(TIF_LAZY_MMU_UPDATES). */
function tifTestAndClear(k: Kernel, tsk: number): boolean {
  const s = xen(k), t = tif(k);
  for (let i = 0; i < s.tif_n; i++) {
    if (t[TIF[i]] !== tsk) continue;
    for (let j = i; j < s.tif_n - 1; j++) t[TIF[j]] = t[TIF[j + 1]];
    t[TIF[--s.tif_n]] = 0;
    return true;
  }
  return false;
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
  // Resume point 1: xen_mc_flush() has returned.
  r.replace('switch_mm_irqs_off', 'load_new_mm_cr3', (k, x, f, pc) => {
    if (pc === 1) return YIELD;
    k.st(x, k.tlb[x.cpu] + L.TLB_CTX_GEN, f.next_tlb_gen);
    return xen_write_cr3(k, x, f.next) ? fuseCallAgain(1) : YIELD;
  });

  // flush_tlb_multi -> static void xen_flush_tlb_multi(const struct cpumask *cpus, const struct flush_tlb_info *info)
  //   if (cpumask_empty(cpus)) return;
  //   mcs = xen_mc_entry(...); /* Remove any offline CPUs */ cpumask_and(mask, cpus, cpu_online_mask);
  //   args->op.cmd = MMUEXT_TLB_FLUSH_MULTI; ... MULTI_mmuext_op(...); xen_mc_issue(PARAVIRT_LAZY_MMU);
  // Resume point 1: after reading cpu_online_mask.
  r.replace('flush_tlb_multi', 'native_flush_tlb_multi', (k, x, f, pc) => {
    if (pc === 0) {
      const mask = f.mask;
      if (mask.length === 0) return NEXT;
      const targets: number[] = [];
      for (const c of mask) if (k.ld(x, k.online + c)) targets.push(c);
      f.targets = targets;
      return again(1);
    }
    const mm = k.at(x, H.flush_tlb_info, f.info).mm;
    xen_mc_entry(k, x, MC_TLB_FLUSH_MULTI, mm, cpuMask(k, f.targets));
    return xen_mc_issue(k, x, PARAVIRT_LAZY_MMU) ? CALL : NEXT;
  }, 'xen_flush_tlb_multi');

  // ---- exit_mmap(): mmap_write_lock(mm); arch_exit_mmap(mm); ... tlb_gather_mmu_fullmm() ...
  const first = r.steps('exit_mmap')[0]?.name as StepOf<'exit_mmap'> | undefined;
  r.add('exit_mmap', 'arch_exit_mmap', (k, x, f) => {
    k.call(x, H.arch_exit_mmap).mm = f.mm;
    return CALL;
  }, first ? { before: first } : {});
  // paravirt_arch_exit_mmap(mm) -> pv_ops.mmu.exit_mmap = xen_exit_mmap
  r.add('arch_exit_mmap', 'xen_exit_mmap', (k, x, f) => {
    k.call(x, H.xen_exit_mmap).mm = f.mm;
    return CALL;
  });
  // static void xen_exit_mmap(struct mm_struct *mm)
  //   get_cpu(); /* make sure we don't move around */ xen_drop_mm_ref(mm); put_cpu();
  r.add('xen_exit_mmap', 'xen_drop_mm_ref', (k, x, f) => {
    k.call(x, H.xen_drop_mm_ref).mm = f.mm;
    return CALL;
  });
  //   spin_lock(&mm->page_table_lock);
  //   /* pgd may not be pinned in the error exit path of execve */
  //   if (xen_page_pinned(mm->pgd)) xen_pgd_unpin(mm);
  r.add('xen_exit_mmap', 'xen_pgd_unpin', (k, x, f) => {
    k.ld(x, f.mm + L.MM_PGD);
    for (let c = 0; c < k.ncpus; c++) {
      if (xen(k).cr3[c] === f.mm)
        k.violate('lifetime', `xen_pgd_unpin(${k.name(f.mm)}) while cpu${c}'s cr3 still points to ${k.name(f.mm)}.pgd ("Another cpu may still have their %cr3 pointing at the pagetable, so we need to repoint it somewhere else before we can unpin it.")`, x);
    }
    k.fpGlobal();
    k.count('xen_pgd_unpin');
    return YIELD;
  });

  // static void xen_drop_mm_ref(struct mm_struct *mm)
  //   drop_mm_ref_this_cpu(mm);
  r.add('xen_drop_mm_ref', 'drop_mm_ref_this_cpu', (k, x, f) => {
    k.call(x, H.drop_mm_ref_this_cpu).mm = f.mm;
    return CALL;
  });
  //   /* Get the "official" set of cpus referring to our pagetable. */
  //   for_each_online_cpu(cpu) { if (per_cpu(xen_current_cr3, cpu) == __pa(mm->pgd)) cpumask_set_cpu(cpu, mask); }
  //   smp_call_function_many(mask, drop_mm_ref_this_cpu, mm, 1);
  // Resume point 1: after reading cpu_online_mask.
  r.add('xen_drop_mm_ref', 'smp_call_function_many', (k, x, f, pc) => {
    if (pc === 0) {
      const mask: number[] = [];
      for (let c = 0; c < k.ncpus; c++) if (k.ld(x, k.online + c) && xen(k).cr3[c] === f.mm) mask.push(c);
      f.mask = mask;
      k.fpGlobal(); // per_cpu(xen_current_cr3, cpu) of the other CPUs
      return again(1);
    }
    const c = k.call(x, H.smp_call_function_many);
    c.mask = f.mask;
    c.fn = H.drop_mm_ref_this_cpu;
    c.purpose = 'xen_drop_mm_ref';
    k.ipiArgs(c, H.drop_mm_ref_this_cpu).mm = f.mm;
    return CALL;
  });
  // static void drop_mm_ref_this_cpu(void *info)
  //   if (this_cpu_read(cpu_tlbstate.loaded_mm) == mm) leave_mm(smp_processor_id());
  // Resume point 1: after reading loaded_mm.
  r.add('drop_mm_ref_this_cpu', 'leave_mm', (k, x, f, pc) => {
    if (pc === 0) {
      f.lm = k.ld(x, loaded(k, x.cpu));
      return again(1);
    }
    if (f.lm !== f.mm) return NEXT;
    k.count('xen_drop_mm_ref_unlazy');
    k.call(x, H.leave_mm);
    return CALL;
  });
  //   /* If this cpu still has a stale cr3 reference, then make sure it has been flushed. */
  //   if (this_cpu_read(xen_current_cr3) == __pa(mm->pgd)) xen_mc_flush();
  r.add('drop_mm_ref_this_cpu', 'xen_mc_flush', (k, x, f) => {
    if (xen(k).cr3[x.cpu] !== f.mm) return NEXT;
    k.call(x, H.xen_mc_flush);
    return CALL;
  });

  // ---- void xen_mc_flush(void): issue this CPU's batch as one HYPERVISOR_multicall, then run the
  // callbacks. A hypercall returns through the hypervisor's IRET: a full barrier and serializing.
  r.add('xen_mc_flush', 'HYPERVISOR_multicall', (k, x) => {
    const n = xen(k).mc_n;
    const len = n[x.cpu];
    if (len === 0) return NEXT;
    n[x.cpu] = 0;
    const op = (j: number) => mcCol(k, MC_OP[j])[x.cpu], a = (j: number) => mcCol(k, MC_A[j])[x.cpu], v = (j: number) => mcCol(k, MC_V[j])[x.cpu];
    if (k.tracing) {
      const ops: string[] = [];
      for (let j = 0; j < len; j++) ops.push(mcName(k, op(j), a(j), v(j)));
      k.tr(x, `HYPERVISOR_multicall: ${ops.join('; ')}`);
    }
    for (let j = 0; j < len; j++) {
      mcRun(k, x, op(j), a(j), v(j));
      mcCol(k, MC_OP[j])[x.cpu] = mcCol(k, MC_A[j])[x.cpu] = mcCol(k, MC_V[j])[x.cpu] = 0;
    }
    k.fpGlobal();
    k.mb(x, 'HYPERVISOR_multicall (serializing)');
    syncCoreEvent(k, x);
    k.count('hypercalls');
    return YIELD;
  });
}

export function registerXenPvLazy(r: StepRegistry) {
  // xen_set_pte() -> static bool xen_batched_set_pte(pte_t *ptep, pte_t pteval)
  //   if (xen_get_lazy_mode() != XEN_LAZY_MMU) return false;
  //   mcs = xen_mc_entry(...); u.ptr = virt_to_machine(ptep).maddr; u.val = pte_val_ma(pteval);
  //   MULTI_mmu_update(mcs.mc, &u, 1, NULL, DOMID_SELF); xen_mc_issue(XEN_LAZY_MMU); return true;
  // (the v6.14 set_pte() of core/model/baseline/lazy_mmu.ts; the owner names the kernel code)
  const owner = r.owner;
  r.owner = 'arch/x86/xen';
  r.add('set_pte', 'xen_batched_set_pte', (k, x, f) => {
    if (lazyMode(k, x.cpu) !== PARAVIRT_LAZY_MMU) return NEXT;
    lazyMmuPendingAdd(k, f.a);
    mcPush(k, x, MC_MMU_UPDATE, f.a, f.v);
    k.count('xen_mc_deferred');
    if (k.tracing) k.tr(x, `xen_mc_entry(${mcName(k, MC_MMU_UPDATE, f.a, f.v)}): deferred`);
    return RET;
  }, { before: 'native_set_pte' });
  r.owner = owner;

  // static inline void enter_lazy(enum paravirt_lazy_mode mode)
  //   BUG_ON(this_cpu_read(paravirt_lazy_mode) != PARAVIRT_LAZY_NONE);
  //   this_cpu_write(paravirt_lazy_mode, mode);
  r.add('enter_lazy', 'BUG_ON', (k, x, f) => {
    const m = lazyMode(k, x.cpu);
    if (m !== PARAVIRT_LAZY_NONE)
      k.violate('warn', `BUG_ON(this_cpu_read(paravirt_lazy_mode) != PARAVIRT_LAZY_NONE) in enter_lazy(${MODE_NAMES[f.mode]}): cpu${x.cpu} is in ${MODE_NAMES[m]}`, x);
    return NEXT;
  });
  r.add('enter_lazy', 'this_cpu_write', (k, x, f) => {
    xenLazyMode(k)[x.cpu] = f.mode;
    return NEXT;
  });
  // static void leave_lazy(enum paravirt_lazy_mode mode)
  //   BUG_ON(this_cpu_read(paravirt_lazy_mode) != mode);
  //   this_cpu_write(paravirt_lazy_mode, PARAVIRT_LAZY_NONE);
  r.add('leave_lazy', 'BUG_ON', (k, x, f) => {
    const m = lazyMode(k, x.cpu);
    if (m !== f.mode) k.violate('warn', `BUG_ON(this_cpu_read(paravirt_lazy_mode) != mode) in leave_lazy(${MODE_NAMES[f.mode]}): cpu${x.cpu} is in ${MODE_NAMES[m]}`, x);
    return NEXT;
  });
  r.add('leave_lazy', 'this_cpu_write', (k, x) => {
    xenLazyMode(k)[x.cpu] = PARAVIRT_LAZY_NONE;
    return NEXT;
  });

  // arch_enter_lazy_mmu_mode() -> pv_ops.mmu.lazy_mode.enter = paravirt_enter_lazy_mmu(): enter_lazy(PARAVIRT_LAZY_MMU)
  r.add('arch_enter_lazy_mmu_mode', 'paravirt_enter_lazy_mmu', (k, x) => {
    k.call(x, H.enter_lazy).mode = PARAVIRT_LAZY_MMU;
    return CALL;
  });
  // arch_leave_lazy_mmu_mode() -> xen_leave_lazy_mmu(): preempt_disable(); xen_mc_flush();
  //   paravirt_leave_lazy_mmu(); preempt_enable();
  r.add('arch_leave_lazy_mmu_mode', 'xen_mc_flush', (k, x) => {
    k.call(x, H.xen_mc_flush);
    return CALL;
  });
  r.add('arch_leave_lazy_mmu_mode', 'paravirt_leave_lazy_mmu', (k, x) => {
    k.call(x, H.leave_lazy).mode = PARAVIRT_LAZY_MMU;
    return CALL;
  });
  // arch_flush_lazy_mmu_mode() -> paravirt_flush_lazy_mmu(): preempt_disable();
  //   if (paravirt_get_lazy_mode() == PARAVIRT_LAZY_MMU) { arch_leave_lazy_mmu_mode(); arch_enter_lazy_mmu_mode(); }
  // Resume point 1: arch_leave_lazy_mmu_mode() has returned.
  r.add('arch_flush_lazy_mmu_mode', 'paravirt_flush_lazy_mmu', (k, x, _f, pc) => {
    if (pc === 1) {
      k.call(x, H.arch_enter_lazy_mmu_mode);
      return CALL;
    }
    if (lazyMode(k, x.cpu) !== PARAVIRT_LAZY_MMU) return NEXT;
    k.call(x, H.arch_leave_lazy_mmu_mode);
    return callAgain(1);
  });

  // context_switch(): prepare_task_switch(rq, prev, next);
  //   /* For paravirt, this is coupled with an exit in switch_to to combine the page table reload
  //      and the switch backend into one hypercall. */ arch_start_context_switch(prev);
  r.add('context_switch', 'arch_start_context_switch', (k, x, f) => {
    k.call(x, H.arch_start_context_switch).prev = f.prev;
    return CALL;
  }, { after: 'prepare_task_switch' });
  // __switch_to(): ... arch_end_context_switch(next_p);
  r.add('context_switch', 'arch_end_context_switch', (k, x, f) => {
    k.call(x, H.arch_end_context_switch).next = f.next;
    return CALL;
  }, { before: 'switch_to' });
  // void paravirt_start_context_switch(struct task_struct *prev)
  //   if (this_cpu_read(paravirt_lazy_mode) == PARAVIRT_LAZY_MMU) {
  //       arch_leave_lazy_mmu_mode(); set_ti_thread_flag(task_thread_info(prev), TIF_LAZY_MMU_UPDATES); }
  //   enter_lazy(PARAVIRT_LAZY_CPU);
  // Resume point 1: arch_leave_lazy_mmu_mode() has returned.
  r.add('arch_start_context_switch', 'arch_leave_lazy_mmu_mode', (k, x, f, pc) => {
    if (pc === 1) {
      tifSet(k, f.prev);
      return NEXT;
    }
    if (lazyMode(k, x.cpu) !== PARAVIRT_LAZY_MMU) return NEXT;
    k.call(x, H.arch_leave_lazy_mmu_mode);
    return callAgain(1);
  });
  r.add('arch_start_context_switch', 'enter_lazy', (k, x) => {
    k.call(x, H.enter_lazy).mode = PARAVIRT_LAZY_CPU;
    return CALL;
  });
  // static void xen_end_context_switch(struct task_struct *next)
  //   xen_mc_flush(); paravirt_end_context_switch(next);
  r.add('arch_end_context_switch', 'xen_mc_flush', (k, x) => {
    k.call(x, H.xen_mc_flush);
    return CALL;
  });
  // void paravirt_end_context_switch(struct task_struct *next)
  //   leave_lazy(PARAVIRT_LAZY_CPU);
  //   if (test_and_clear_ti_thread_flag(task_thread_info(next), TIF_LAZY_MMU_UPDATES)) arch_enter_lazy_mmu_mode();
  // Resume point 1: leave_lazy() has returned.
  r.add('arch_end_context_switch', 'paravirt_end_context_switch', (k, x, f, pc) => {
    if (pc === 1) {
      if (!tifTestAndClear(k, f.next)) return NEXT;
      k.call(x, H.arch_enter_lazy_mmu_mode);
      return CALL;
    }
    k.call(x, H.leave_lazy).mode = PARAVIRT_LAZY_CPU;
    return callAgain(1);
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
  state: XEN_STATE,
  hwLoadedMm: (k, c) => xen(k).cr3[c], // per_cpu(xen_current_cr3): what the hypervisor has loaded
  mayWalk: (k, c, mm) => xen(k).cr3[c] === mm && xen(k).switchingFrom[c] !== mm,
  loadedMm: (k, c) => k.m.read(c, loaded(k, c)), // the CPU's own view (TSO store forwarding)
  // The CR3 load of a context switch waits in the multicall batch until arch_end_context_switch().
  inSwitchWindow: (k, c) => inSwitchMm(k, c) || lazyMode(k, c) === PARAVIRT_LAZY_CPU,
  lazyMmuState: (k, c) => ({ active: lazyMode(k, c) === PARAVIRT_LAZY_MMU, pending: xen(k).mc_n[c] }),
  apply(r) {
    registerXenPvMm(r);
    registerXenPvLazy(r);
  },
  boot(k) {
    x86.boot!(k); // CR3 per CPU, poking_mm, efi_mm ...
    const s = xen(k);
    s.xen_cr3.fill(k.init_mm);
    s.mc_n.fill(0);
    for (let j = 0; j < MC_CAP; j++) for (const col of [MC_OP, MC_A, MC_V]) mcCol(k, col[j]).fill(0);
    s.tif_n = 0;
    for (const t of TIF) tif(k)[t] = 0;
    // per_cpu(paravirt_lazy_mode) is the model's (xenLazyMode(); PARAVIRT_LAZY_NONE at boot)
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

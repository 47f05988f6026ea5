// Small pieces the arch modules share: reading mm_cpumask, the "this CPU's TLB no longer holds mm"
// ghost update, per-mm arch context words (mm->context.active_cpus, the ASID...), the scheduler's
// view of a CPU being lazily on an mm, and the default switch window the conformance suite uses.
import {
  frameExt, fns, int, NEXT, CALL, callAgain, FUSE_CALL,
  H, NULL, L, tlbFlushMm, tlbFlushMmAll,
  type StepRegistry, type Kernel, type Ctx,
} from '../core/model/index.ts';

export const ARCH_LIB = fns({ tlb_remove_table_smp_sync: {} });
export const ARCH_LIB_EXT = frameExt({ switch_mm: { was: int } });
declare module '../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof ARCH_LIB> {}
  interface FrameExts { 'arches/lib': typeof ARCH_LIB_EXT }
  interface KernelSteps {
    'switch_mm.switch_mm_irqs_off': true; 'switch_mm_irqs_off.switch_mm': true;
    '__mmdrop.destroy_context': true; 'tlb_flush_mmu.tlb_remove_table_rcu': true;
    'tlb_remove_table_smp_sync.deliver': true;
  }
}

/** mm_cpumask(mm) as a CPU list, one load per bit (the caller yields after it). */
export function cpumaskOf(k: Kernel, x: Ctx, mm: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < k.ncpus; c++) if (k.ld(x, mm + L.MM_CPUMASK + c)) out.push(c);
  return out;
}

/** CPU `cpu`'s TLB and paging-structure caches no longer hold translations of mm (ghost state the
 *  page-table lifetime oracle reads: baseline/refcount.ts, tlb_flush_mmu_free). */
export function tlbFlushedLocal(k: Kernel, cpu: number, mm: number) {
  const mi = k.mmInfo(mm);
  if (mi && mi.isStaleWalker(cpu)) { mi.clearStaleWalker(cpu); k.fpGlobal(); } // ghost state other CPUs' frees read
  tlbFlushMm(k, cpu, mm); // and the page-level TLB entries (core/model/page)
}

/** A broadcast invalidation (arm64 TLBI *IS, powerpc tlbie) reached every CPU's TLB. */
export function tlbFlushedAll(k: Kernel, mm: number) {
  const mi = k.mmInfo(mm);
  if (mi && mi.hasStaleWalkers) { mi.clearStaleWalkers(); k.fpGlobal(); }
  tlbFlushMmAll(k, mm);
}

/** The per-mm arch words (`mm->context`), allocated on first use as their own object (its address
 *  kept in the mm's arch0 word) and freed by destroy_context() (registerDestroyContext), so an
 *  access after __mmdrop is a KASAN report. `fields` are the kernel's names: ['active_cpus'], ['id']. */
export function mmContext(k: Kernel, mm: number, fields: readonly string[]): number {
  const mi = k.mmInfo(mm);
  // First use after the mm was freed: hand back the freed mm's own words, so the access is the
  // KASAN report it should be.
  if (mi === undefined || (mi.arch0 === 0 && k.m.dead[mm])) return mm;
  if (mi.arch0 === 0) mi.arch0 = k.m.alloc('mm_context_t', `${k.name(mm)}.context`, fields);
  return mi.arch0;
}

/** __mmdrop() -> destroy_context(mm): the arch frees mm->context with the mm. */
export function registerDestroyContext(r: StepRegistry, what: string) {
  r.replace('__mmdrop', 'destroy_context', (k, x, f) => {
    const c = k.mmInfo(f.mm)?.arch0 ?? 0;
    if (c !== 0) k.m.free(c, `cpu${x.cpu} destroy_context (${what})`);
    return NEXT;
  });
}

/** The scheduler's view, as cpu itself sees it (TSO: its own buffered stores included): cpu runs a
 *  task without an mm (idle, kthread) whose active_mm is mm. */
export function schedLazyOn(k: Kernel, cpu: number, mm: number): boolean {
  const cur = k.cpus[cpu].curr;
  return k.m.read(cpu, cur.ref + L.T_MM) === NULL && k.m.read(cpu, cur.ref + L.T_ACTIVE_MM) === mm;
}

/** switch_mm(): local_irq_save(flags); switch_mm_irqs_off(prev, next, tsk); local_irq_restore(flags);
 *  (x86, powerpc: the arch defines switch_mm_irqs_off itself) */
export function registerSwitchMmIrqSave(r: StepRegistry) {
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
}

/** include/linux/mmu_context.h: `#ifndef switch_mm_irqs_off #define switch_mm_irqs_off switch_mm`
 *  (arm64, sparc64, most arches): the scheduler's call runs the arch's switch_mm() body. */
export function registerSwitchMmIrqsOffAlias(r: StepRegistry) {
  r.add('switch_mm_irqs_off', 'switch_mm', (k, x, f) => {
    const c = k.call(x, H.switch_mm);
    c.prev = f.prev;
    c.next = f.next;
    c.tsk = f.tsk;
    return CALL;
  });
}

// ---- the default switch window (ArchPlugin.inSwitchWindow) ----------------------------------------

/** Is a context of cpu executing inside switch_mm_irqs_off() or switch_mm()? (the window in which
 *  an arch may have updated mm_cpumask, its loaded-mm record and the MMU in any order) */
export function inSwitchMm(k: Kernel, cpu: number): boolean {
  const c = k.cpus[cpu];
  for (let l = 0; l <= c.level; l++) {
    const x = c.ctx[l];
    if (k.inFn(x, H.switch_mm_irqs_off) || k.inFn(x, H.switch_mm)) return true;
  }
  return false;
}

// ---- MMU_GATHER_RCU_TABLE_FREE ------------------------------------------------------------------

/** CONFIG_MMU_GATHER_RCU_TABLE_FREE (arm64, powerpc 64s, sparc64, s390, x86 with PARAVIRT):
 *  tlb_remove_table() hands page-table pages to call_rcu() instead of freeing them after the TLB
 *  flush, because the flush sends no IPI that an IRQs-off walker (GUP-fast, the sparc64 TSB miss
 *  handler) would hold up. The model's grace period: a wait for every other online CPU to take an
 *  interrupt (what tlb_remove_table_sync_one() does when the batch cannot be allocated), so a CPU
 *  with IRQs off delays the free until its walk is over. Runs just before the page model frees the
 *  tables (core/model/page/zap.ts tlb_flush_mmu.tlb_table_flush), only when it has some to free:
 *  the page model's mmu_gather field `pt_free` counts them. */
export function registerRcuTableFree(r: StepRegistry) {
  r.add('tlb_flush_mmu', 'tlb_remove_table_rcu', (k, x, tlb) => {
    const o = k.fieldOffset[H.mmu_gather].get('pt_free');
    if (o === undefined || k.fw[x.id][k.ptr(tlb) + o] === 0) return NEXT;
    const others: number[] = [];
    for (let c = 0; c < k.ncpus; c++) if (c !== x.cpu) others.push(c);
    k.count('rcu_table_free');
    const c = k.call(x, H.smp_call_function_many);
    c.mask = others;
    c.fn = H.tlb_remove_table_smp_sync;
    c.purpose = 'tlb_remove_table';
    return CALL;
  }, r.has('tlb_flush_mmu', 'tlb_table_flush') ? { before: 'tlb_table_flush' as never } : {});
  // static void tlb_remove_table_smp_sync(void *arg) { /* Simply deliver the interrupt */ }
  r.add('tlb_remove_table_smp_sync', 'deliver', () => NEXT);
}

export { FUSE_CALL, callAgain };

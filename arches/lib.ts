// Small pieces the arch modules share: reading mm_cpumask, the "this CPU's TLB no longer holds mm"
// ghost update, per-mm arch context words (mm->context.active_cpus, the ASID...), the scheduler's
// view of a CPU being lazily on an mm, and the default switch window the conformance suite uses.
// Nothing here registers a step; arch modules call these from their own steps.
import type { StepRegistry } from '../core/hooks.ts';
import { H, NULL, type Kernel, type Ctx } from '../core/kernel.ts';
import * as L from '../core/layout.ts';
import { tlbFlushMm, tlbFlushMmAll } from '../core/page/state.ts';
import { defineHooks } from '../core/hooks.ts';
import { smp_call_function_many } from '../core/kernel/ipi.ts';

const RCU = defineHooks(['tlb_remove_table_smp_sync']);

/** mm_cpumask(mm) as a CPU list, one load per bit (the caller yields after it). */
export function cpumaskOf(k: Kernel, x: Ctx, mm: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < k.ncpus; c++) if (k.ld(x, mm + L.MM_CPUMASK + c)) out.push(c);
  return out;
}

/** CPU `cpu`'s TLB and paging-structure caches no longer hold translations of mm (ghost state the
 *  page-table lifetime oracle reads: core/kernel/refcount.ts, tlb_flush_mmu_free). */
export function tlbFlushedLocal(k: Kernel, cpu: number, mm: number) {
  const mi = k.mmInfo(mm);
  if (mi && mi.staleWalkers.length !== 0) mi.staleWalkers = mi.staleWalkers.filter((c) => c !== cpu);
  tlbFlushMm(k, cpu, mm); // and the page-level TLB entries (core/page)
}

/** A broadcast invalidation (arm64 TLBI *IS, powerpc tlbie) reached every CPU's TLB. */
export function tlbFlushedAll(k: Kernel, mm: number) {
  const mi = k.mmInfo(mm);
  if (mi && mi.staleWalkers.length !== 0) mi.staleWalkers = [];
  tlbFlushMmAll(k, mm);
}

/** The per-mm arch words (`mm->context`), allocated on first use as their own object and freed by
 *  destroy_context() (registerDestroyContext), so an access after __mmdrop is a KASAN report.
 *  `fields` are the kernel's names: ['active_cpus'], ['id'] ... */
export function mmContext(k: Kernel, mm: number, fields: readonly string[]): number {
  const map: Map<number, number> = (k.archState.mmContext ??= new Map<number, number>());
  let c = map.get(mm);
  // First use after the mm was freed: hand back the freed mm's own words, so the access is the
  // KASAN report it should be.
  if (c === undefined && k.m.dead[mm]) return mm;
  if (c === undefined) {
    c = k.m.alloc('mm_context_t', `${k.name(mm)}.context`, fields);
    map.set(mm, c);
  }
  return c;
}

/** __mmdrop() -> destroy_context(mm): the arch frees mm->context with the mm. */
export function registerDestroyContext(r: StepRegistry, what: string) {
  r.replace('__mmdrop', 'destroy_context', (k, x, f) => {
    const map: Map<number, number> | undefined = k.archState.mmContext;
    const c = map?.get(f.mm);
    if (c === undefined) return;
    k.m.free(c, `cpu${x.cpu} destroy_context (${what})`);
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
  r.add('switch_mm', 'switch_mm_irqs_off', function* (k, x, f) {
    const cpu = k.cpus[x.cpu];
    const was = cpu.irqsOff;
    cpu.irqsOff = true;
    yield k.invoke(H.switch_mm_irqs_off, f);
    cpu.irqsOff = was;
  });
}

/** include/linux/mmu_context.h: `#ifndef switch_mm_irqs_off #define switch_mm_irqs_off switch_mm`
 *  (arm64, sparc64, most arches): the scheduler's call runs the arch's switch_mm() body. */
export function registerSwitchMmIrqsOffAlias(r: StepRegistry) {
  r.add('switch_mm_irqs_off', 'switch_mm', function* (k, _x, f) {
    yield k.invoke(H.switch_mm, f);
  });
}

// ---- the default switch window (ArchPlugin.inSwitchWindow) ----------------------------------------

const switchSteps = new WeakMap<Kernel, Uint8Array>();

/** Is a context of cpu executing inside switch_mm_irqs_off() or switch_mm()? (the window in which
 *  an arch may have updated mm_cpumask, its loaded-mm record and the MMU in any order) */
export function inSwitchMm(k: Kernel, cpu: number): boolean {
  let isSw = switchSteps.get(k);
  if (!isSw) {
    isSw = new Uint8Array(k.stepTable.length + 64);
    k.stepTable.forEach((n, i) => { if (n.startsWith('switch_mm_irqs_off.') || n.startsWith('switch_mm.')) isSw![i] = 1; });
    switchSteps.set(k, isSw);
  }
  const c = k.cpus[cpu];
  for (let l = 0; l <= c.level; l++) {
    const x = c.ctx[l];
    for (let j = 0; j < x.fsp; j++) if (x.fHook[j] === H.switch_mm_irqs_off || x.fHook[j] === H.switch_mm) return true;
    for (let j = 0; j < x.sp; j++) if (isSw[x.stk[j]]) return true;
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
 *  tables (core/page/zap.ts tlb_flush_mmu.tlb_table_flush), only when it has some to free. */
export function registerRcuTableFree(r: StepRegistry) {
  r.add('tlb_flush_mmu', 'tlb_remove_table_rcu', function* (k, x, tlb) {
    if (!tlb.ptFree?.length) return;
    const others: number[] = [];
    for (let c = 0; c < k.ncpus; c++) if (c !== x.cpu) others.push(c);
    k.count('rcu_table_free');
    yield* smp_call_function_many(k, x, others, RCU.tlb_remove_table_smp_sync, {}, true, 'tlb_remove_table');
  }, r.has('tlb_flush_mmu', 'tlb_table_flush') ? { before: 'tlb_table_flush' } : {});
  // static void tlb_remove_table_smp_sync(void *arg) { /* Simply deliver the interrupt */ }
  r.add('tlb_remove_table_smp_sync', 'deliver', () => {});
}

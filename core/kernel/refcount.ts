// mm_struct lifetime, v5.16: mmgrab/mmdrop/__mmdrop (kernel/fork.c, include/linux/sched/mm.h),
// mmget/mmput/__mmput, exit_mmap with its fullmm mmu_gather (mm/mmap.c, mm/mmu_gather.c).
import type { StepRegistry } from '../hooks.ts';
import { H, NULL, type Kernel, type Ctx } from '../kernel.ts';
import * as L from '../layout.ts';

export function registerRefcount(r: StepRegistry) {
  // static inline void mmgrab(struct mm_struct *mm) { atomic_inc(&mm->mm_count); }
  r.add('mmgrab', 'atomic_inc', function* (k, x, f) {
    k.atomicAdd(x, f.mm + L.MM_COUNT, 1);
    k.count('mm_count_rmw');
    yield 0;
  });

  // static inline void mmdrop(struct mm_struct *mm)
  // "The implicit full barrier implied by atomic_dec_and_test() is required by the membarrier
  //  system call before returning to user-space, after storing to rq->curr."
  r.add('mmdrop', 'atomic_dec_and_test', function* (k, x, f) {
    const v = k.atomicAdd(x, f.mm + L.MM_COUNT, -1, 'atomic_dec_and_test');
    k.fullBarrierEvent(x);
    k.count('mm_count_rmw');
    if (v < 0) k.violate('refcount', `mm_count underflow on ${k.name(f.mm)} (${v})`, x);
    f.last = v === 0;
    yield 0;
  });
  r.add('mmdrop', '__mmdrop', function* (k, x, f) {
    if (f.last) yield k.invoke(H.__mmdrop, { mm: f.mm });
  });

  // void __mmdrop(struct mm_struct *mm): "Called when the last reference to the mm is dropped:
  // either by a lazy thread or by mmput. Free the page directory and the mm."
  r.add('__mmdrop', 'sanity_checks', (k, x, f) => checkMmdropContext(k, x, f.mm));
  r.add('__mmdrop', 'mm_free_pgd', function* (k, x, f) {
    const mi = k.mmInfo(f.mm)!;
    // The MMU of every CPU whose CR3 still points at this pgd would now walk freed memory.
    for (let c = 0; c < k.ncpus; c++) {
      if (k.arch.hwLoadedMm(k, c) === f.mm)
        k.violate('lifetime', `pgd of ${mi.name} freed while cpu${c}'s CR3 still points to it`, x);
    }
    k.fpGlobal(); // a free conflicts with every access to the object (DPOR)
    k.m.free(mi.pgd, `cpu${x.cpu} __mmdrop`);
    if (k.tracing) k.tr(x, `mm_free_pgd(${mi.name})`);
    yield 0;
  });
  r.add('__mmdrop', 'destroy_context', () => {});
  r.add('__mmdrop', 'free_mm', function* (k, x, f) {
    k.fpGlobal();
    k.m.free(f.mm, `cpu${x.cpu} __mmdrop`);
    k.count('mm_freed');
    if (k.tracing) k.tr(x, `free_mm(${k.name(f.mm)})`);
    yield 0;
  });

  // mmget: atomic_inc(&mm->mm_users)
  r.add('mmget', 'atomic_inc', function* (k, x, f) {
    const v = k.atomicAdd(x, f.mm + L.MM_USERS, 1);
    if (v === 1) k.violate('refcount', `mmget on ${k.name(f.mm)} with mm_users == 0 (use mmget_not_zero)`, x);
    yield 0;
  });

  // void mmput(struct mm_struct *mm) { might_sleep(); if (atomic_dec_and_test(&mm->mm_users)) __mmput(mm); }
  r.add('mmput', 'atomic_dec_and_test', function* (k, x, f) {
    const v = k.atomicAdd(x, f.mm + L.MM_USERS, -1, 'atomic_dec_and_test');
    k.fullBarrierEvent(x);
    if (v < 0) k.violate('refcount', `mm_users underflow on ${k.name(f.mm)}`, x);
    f.last = v === 0;
    if (f.last) k.mmInfo(f.mm)!.usersZero = true;
    yield 0;
  });
  r.add('mmput', '__mmput', function* (k, x, f) {
    if (f.last) yield k.invoke(H.__mmput, { mm: f.mm });
  });

  // static inline void __mmput(struct mm_struct *mm)
  r.add('__mmput', 'exit_mmap', function* (k, x, f) {
    yield k.invoke(H.exit_mmap, { mm: f.mm });
  });
  r.add('__mmput', 'mmdrop', function* (k, x, f) {
    yield k.invoke(H.mmdrop, { mm: f.mm });
  });

  // void exit_mmap(struct mm_struct *mm)
  r.add('exit_mmap', 'tlb_gather_mmu_fullmm', function* (k, _x, f) {
    const mi = k.mmInfo(f.mm)!;
    f.tlb = { mm: f.mm, fullmm: true, freed_tables: false, need_flush: false, pt: mi.pt2Freed ? mi.pt : -1 };
    yield k.invoke(H.tlb_gather_mmu, f.tlb); // __tlb_gather_mmu(tlb, mm, true)
  });
  r.add('exit_mmap', 'unmap_vmas', function* (k, x, f) {
    yield k.invoke(H.unmap_vmas, f.tlb);
  });
  r.add('exit_mmap', 'free_pgtables', function* (k, x, f) {
    yield k.invoke(H.free_pgtables, f.tlb);
  });
  r.add('exit_mmap', 'tlb_finish_mmu', function* (k, x, f) {
    yield k.invoke(H.tlb_finish_mmu, f.tlb);
  });

  // unmap_vmas: zap every PTE (the page-level model refines this); it makes a flush necessary.
  r.add('unmap_vmas', 'zap_page_range', (_k, _x, tlb) => {
    tlb.need_flush = true;
  });

  // free_pgtables: unlink the lower page-table levels. They are freed only after the TLB flush in
  // tlb_finish_mmu, because another CPU's paging-structure cache may still reference them.
  r.add('free_pgtables', 'unlink_page_tables', function* (k, x, tlb) {
    const mi = k.mmInfo(tlb.mm)!;
    const stale: number[] = [];
    for (let c = 0; c < k.ncpus; c++) if (mayWalk(k, c, tlb.mm)) stale.push(c);
    mi.staleWalkers = stale;
    tlb.freed_tables = true;
    tlb.need_flush = true;
    if (k.tracing) k.tr(x, `free_pgtables: unlink ${mi.name}'s page tables (walkers: ${cpuList(stale)})`);
    yield 0;
  });

  // tlb_finish_mmu -> tlb_flush_mmu -> tlb_flush_mmu_tlbonly (flush) + tlb_flush_mmu_free (free)
  r.add('tlb_finish_mmu', 'tlb_flush_mmu', function* (k, x, tlb) {
    yield k.invoke(H.tlb_flush_mmu, tlb);
  });
  r.add('tlb_flush_mmu', 'tlb_flush_mmu_tlbonly', function* (k, x, tlb) {
    yield k.invoke(H.tlb_flush_mmu_tlbonly, tlb);
  });
  // static inline void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb) (zap_pte_range() calls it
  // too, under the page-table lock): flush if anything was cleared, then __tlb_reset_range().
  r.add('tlb_flush_mmu_tlbonly', 'tlb_flush', function* (k, x, tlb) {
    if (!tlb.need_flush) return;
    tlb.need_flush = false;
    // tlb_flush(tlb): x86 calls flush_tlb_mm_range(); other arches read tlb->fullmm too (arches/).
    yield k.invoke(H.flush_tlb_mm_range, { mm: tlb.mm, freed_tables: tlb.freed_tables, full: true, fullmm: !!tlb.fullmm });
  });
  r.add('tlb_flush_mmu', 'tlb_flush_mmu_free', function* (k, x, tlb) {
    if (!tlb.freed_tables) return;
    const mi = k.mmInfo(tlb.mm)!;
    // A CPU that is now committed to leaving the mm (mid-switch, out of mm_cpumask) is fine.
    if (mi.staleWalkers.length !== 0) mi.staleWalkers = mi.staleWalkers.filter((c) => mayWalk(k, c, tlb.mm));
    if (mi.staleWalkers.length !== 0)
      k.violate('lifetime', `page tables of ${mi.name} freed while ${cpuList(mi.staleWalkers)} may still walk them (no TLB flush reached it)`, x);
    // exit_mmap frees what is left: both table pages unless munmap already freed one.
    const pts = tlb.pt >= 0 ? [tlb.pt] : [mi.pt, mi.pt2];
    k.fpGlobal();
    for (const pt of pts) k.m.free(pt, `cpu${x.cpu} tlb_flush_mmu_free`);
    if (pts.includes(mi.pt2)) mi.pt2Freed = true;
    if (pts.includes(mi.pt)) mi.pgtablesFreed = true;
    tlb.freed_tables = false;
    if (k.tracing) k.tr(x, `free page tables of ${mi.name}`);
    yield 0;
  });
}

function mayWalk(k: Kernel, c: number, mm: number): boolean {
  return k.arch.mayWalk ? k.arch.mayWalk(k, c, mm) : k.arch.hwLoadedMm(k, c) === mm;
}

export function cpuList(cpus: number | readonly number[]): string {
  const out: string[] = [];
  if (typeof cpus !== 'number') for (const c of cpus) out.push(`cpu${c}`);
  else for (let c = 0, mask = cpus; mask; c++, mask >>>= 1) if (mask & 1) out.push(`cpu${c}`);
  return out.length ? out.join(',') : 'none';
}

/** Context legality and sanity at __mmdrop (BUG_ONs, WARN_ONs and rules the kernel relies on). */
export function checkMmdropContext(k: Kernel, x: Ctx, mm: number) {
  const cpu = k.cpus[x.cpu];
  if (mm === k.init_mm) return k.violate('refcount', `__mmdrop(&init_mm): BUG_ON(mm == &init_mm)`, x);
  if (x.level === 2) k.violate('context', `__mmdrop(${k.name(mm)}) in NMI context`, x);
  else if (x.level === 1) k.violate('context', `__mmdrop(${k.name(mm)}) in hardirq context (pgd_free takes pgd_lock; mmdrop_async exists for this)`, x);
  if (!cpu.rcuWatching) k.violate('context', `__mmdrop(${k.name(mm)}) on cpu${x.cpu}, which RCU no longer watches (offline)`, x);
  const users = k.peek(mm + L.MM_USERS);
  if (users !== 0) k.violate('refcount', `__mmdrop(${k.name(mm)}) with mm_users == ${users}`, x);
  const cur = cpu.curr;
  if (x.level === 0 && k.peek(cur.ref + L.T_MM) === mm) k.violate('warn', `WARN_ON_ONCE(mm == current->mm) in __mmdrop`, x);
  if (x.level === 0 && k.peek(cur.ref + L.T_ACTIVE_MM) === mm) k.violate('warn', `WARN_ON_ONCE(mm == current->active_mm) in __mmdrop`, x);
}

export { NULL };

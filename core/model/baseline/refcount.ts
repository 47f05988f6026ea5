// mm_struct lifetime, v5.16: mmgrab/mmdrop/__mmdrop (kernel/fork.c, include/linux/sched/mm.h),
// mmget/mmput/__mmput, exit_mmap with its fullmm mmu_gather (mm/mmap.c, mm/mmu_gather.c).
import type { StepRegistry } from '../registry.ts';
import { fns, alias, ptr, bool, int, struct, NEXT, YIELD, FUSE, CALL } from '../fns.ts';
import { H, NULL, counterId, type Kernel, type Ctx } from '../kernel.ts';

const CNT_MM_COUNT_RMW = counterId('mm_count_rmw');
import * as L from '../layout.ts';
import { refGet, refPut, refTake, REF_COUNT, REF_USERS, OWN_SHARED } from '../ownership.ts';

export const REFCOUNT = fns({
  mmgrab: { mm: ptr },
  mmdrop: { mm: ptr, last: bool },
  __mmdrop: { mm: ptr },
  mmget: { mm: ptr },
  mmput: { mm: ptr, last: bool },
  __mmput: { mm: ptr },
  /** struct mmu_gather, on the zapping task's stack; the tlb_* functions get a pointer to it. The
   *  page model adds its batches (core/model/page/zap.ts). `pt`: the page-table page this gather
   *  frees (-1: both of exit_mmap). */
  mmu_gather: { mm: ptr, fullmm: bool, freed_tables: bool, need_flush: bool, pt: int },
  exit_mmap: { mm: ptr, tlb: struct('mmu_gather') },
  tlb_gather_mmu: alias('mmu_gather'),
  unmap_vmas: alias('mmu_gather'),
  free_pgtables: alias('mmu_gather'),
  tlb_finish_mmu: alias('mmu_gather'),
  tlb_flush_mmu: alias('mmu_gather'),
  tlb_flush_mmu_tlbonly: alias('mmu_gather'),
  flush_tlb_mm_range: { mm: ptr, freed_tables: bool, full: bool, fullmm: bool, new_tlb_gen: int },
});
declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof REFCOUNT> {}
  interface KernelSteps {
    'mmgrab.atomic_inc': true; 'mmdrop.__atomic_pre_full_fence': true; 'mmdrop.atomic_dec_and_test': true;
    'mmdrop.__atomic_post_full_fence': true; 'mmdrop.__mmdrop': true;
    '__mmdrop.sanity_checks': true; '__mmdrop.mm_free_pgd': true; '__mmdrop.destroy_context': true;
    '__mmdrop.free_mm': true; 'mmget.atomic_inc': true; 'mmput.atomic_dec_and_test': true;
    'mmput.__mmput': true; '__mmput.exit_mmap': true; '__mmput.mmdrop': true;
    'exit_mmap.tlb_gather_mmu_fullmm': true; 'exit_mmap.unmap_vmas': true;
    'exit_mmap.free_pgtables': true; 'exit_mmap.tlb_finish_mmu': true;
    'unmap_vmas.zap_page_range': true; 'free_pgtables.unlink_page_tables': true;
    'tlb_finish_mmu.tlb_flush_mmu': true; 'tlb_flush_mmu.tlb_flush_mmu_tlbonly': true;
    'tlb_flush_mmu_tlbonly.tlb_flush': true; 'tlb_flush_mmu.tlb_flush_mmu_free': true;
  }
}

export function registerRefcount(r: StepRegistry) {
  // static inline void mmgrab(struct mm_struct *mm) { atomic_inc(&mm->mm_count); }
  r.add('mmgrab', 'atomic_inc', (k, x, f) => {
    k.atomicAdd(x, f.mm + L.MM_COUNT, 1);
    refGet(k, x, f.mm, REF_COUNT);
    k.countId(CNT_MM_COUNT_RMW);
    return YIELD;
  });

  // static inline void mmdrop(struct mm_struct *mm)
  // "The implicit full barrier implied by atomic_dec_and_test() is required by the membarrier
  //  system call before returning to user-space, after storing to rq->curr."
  // atomic_dec_and_test() is fully ordered: the relaxed decrement between the two fences of
  // include/linux/atomic.h's fallback (on x86 the LOCK prefix is both). The fences are steps, so
  // `--drop-step mmdrop.__atomic_pre_full_fence --drop-step mmdrop.__atomic_post_full_fence`
  // asks whether membarrier needs this barrier (finish_task_switch()'s mmdrop(prev_mm)).
  r.add('mmdrop', '__atomic_pre_full_fence', (k, x) => { k.fence(x); return NEXT; });
  r.add('mmdrop', 'atomic_dec_and_test', (k, x, f) => {
    const v = k.atomicAdd(x, f.mm + L.MM_COUNT, -1, 'atomic_dec_and_test', false);
    refPut(k, x, f.mm, REF_COUNT);
    k.countId(CNT_MM_COUNT_RMW);
    if (v < 0) k.violate('refcount', `mm_count underflow on ${k.name(f.mm)} (${v})`, x);
    f.last = v === 0;
    return FUSE;
  });
  r.add('mmdrop', '__atomic_post_full_fence', (k, x) => { k.fence(x); return YIELD; });
  r.add('mmdrop', '__mmdrop', (k, x, f) => {
    if (!f.last) return NEXT;
    k.call(x, H.__mmdrop).mm = f.mm;
    return CALL;
  });

  // void __mmdrop(struct mm_struct *mm): "Called when the last reference to the mm is dropped:
  // either by a lazy thread or by mmput. Free the page directory and the mm."
  r.add('__mmdrop', 'sanity_checks', (k, x, f) => { checkMmdropContext(k, x, f.mm); return NEXT; });
  r.add('__mmdrop', 'mm_free_pgd', (k, x, f) => {
    const mi = k.mmInfo(f.mm)!;
    // The MMU of every CPU whose CR3 still points at this pgd would now walk freed memory.
    for (let c = 0; c < k.ncpus; c++) {
      if (k.arch.hwLoadedMm(k, c) === f.mm)
        k.violate('lifetime', `pgd of ${mi.name} freed while cpu${c}'s CR3 still points to it`, x);
    }
    k.fpGlobal(); // a free conflicts with every access to the object (DPOR)
    k.m.free(mi.pgd, `cpu${x.cpu} __mmdrop`);
    if (k.tracing) k.tr(x, `mm_free_pgd(${mi.name})`);
    return YIELD;
  });
  r.add('__mmdrop', 'destroy_context', () => NEXT);
  r.add('__mmdrop', 'free_mm', (k, x, f) => {
    k.fpGlobal();
    k.m.free(f.mm, `cpu${x.cpu} __mmdrop`);
    k.count('mm_freed');
    if (k.tracing) k.tr(x, `free_mm(${k.name(f.mm)})`);
    return YIELD;
  });

  // mmget: atomic_inc(&mm->mm_users)
  r.add('mmget', 'atomic_inc', (k, x, f) => {
    const v = k.atomicAdd(x, f.mm + L.MM_USERS, 1);
    refGet(k, x, f.mm, REF_USERS);
    if (v === 1) k.violate('refcount', `mmget on ${k.name(f.mm)} with mm_users == 0 (use mmget_not_zero)`, x);
    return YIELD;
  });

  // void mmput(struct mm_struct *mm) { might_sleep(); if (atomic_dec_and_test(&mm->mm_users)) __mmput(mm); }
  r.add('mmput', 'atomic_dec_and_test', (k, x, f) => {
    const v = k.atomicAdd(x, f.mm + L.MM_USERS, -1, 'atomic_dec_and_test');
    refPut(k, x, f.mm, REF_USERS);
    k.fullBarrierEvent(x);
    if (v < 0) k.violate('refcount', `mm_users underflow on ${k.name(f.mm)}`, x);
    f.last = v === 0;
    if (f.last) {
      k.mmInfo(f.mm)!.usersZero = true;
      refTake(k, x, f.mm, REF_COUNT, OWN_SHARED); // __mmput() will drop the users' shared reference
    }
    return YIELD;
  });
  r.add('mmput', '__mmput', (k, x, f) => {
    if (!f.last) return NEXT;
    k.call(x, H.__mmput).mm = f.mm;
    return CALL;
  });

  // static inline void __mmput(struct mm_struct *mm)
  r.add('__mmput', 'exit_mmap', (k, x, f) => {
    k.call(x, H.exit_mmap).mm = f.mm;
    return CALL;
  });
  r.add('__mmput', 'mmdrop', (k, x, f) => {
    k.call(x, H.mmdrop).mm = f.mm;
    return CALL;
  });

  // void exit_mmap(struct mm_struct *mm)
  r.add('exit_mmap', 'tlb_gather_mmu_fullmm', (k, x, f) => {
    const mi = k.mmInfo(f.mm)!;
    const tlb = k.at(x, H.mmu_gather, f.tlb);
    tlb.mm = f.mm;
    tlb.fullmm = true;
    tlb.freed_tables = false;
    tlb.need_flush = false;
    tlb.pt = mi.pt2Freed ? mi.pt : -1;
    k.callOn(x, H.tlb_gather_mmu, f.tlb); // __tlb_gather_mmu(tlb, mm, true)
    return CALL;
  });
  r.add('exit_mmap', 'unmap_vmas', (k, x, f) => { k.callOn(x, H.unmap_vmas, f.tlb); return CALL; });
  r.add('exit_mmap', 'free_pgtables', (k, x, f) => { k.callOn(x, H.free_pgtables, f.tlb); return CALL; });
  r.add('exit_mmap', 'tlb_finish_mmu', (k, x, f) => { k.callOn(x, H.tlb_finish_mmu, f.tlb); return CALL; });

  // unmap_vmas: zap every PTE (the page-level model refines this); it makes a flush necessary.
  r.add('unmap_vmas', 'zap_page_range', (_k, _x, tlb) => {
    tlb.need_flush = true;
    return NEXT;
  });

  // free_pgtables: unlink the lower page-table levels. They are freed only after the TLB flush in
  // tlb_finish_mmu, because another CPU's paging-structure cache may still reference them.
  r.add('free_pgtables', 'unlink_page_tables', (k, x, tlb) => {
    const mi = k.mmInfo(tlb.mm)!;
    const stale: number[] = [];
    for (let c = 0; c < k.ncpus; c++) if (mayWalk(k, c, tlb.mm)) stale.push(c);
    mi.staleWalkers = stale;
    k.fpGlobal(); // reads every CPU's MMU state and sets ghost state flushes on other CPUs clear
    tlb.freed_tables = true;
    tlb.need_flush = true;
    if (k.tracing) k.tr(x, `free_pgtables: unlink ${mi.name}'s page tables (walkers: ${cpuList(stale)})`);
    return YIELD;
  });

  // tlb_finish_mmu -> tlb_flush_mmu -> tlb_flush_mmu_tlbonly (flush) + tlb_flush_mmu_free (free)
  r.add('tlb_finish_mmu', 'tlb_flush_mmu', (k, x, tlb) => { k.callOn(x, H.tlb_flush_mmu, k.ptr(tlb)); return CALL; });
  r.add('tlb_flush_mmu', 'tlb_flush_mmu_tlbonly', (k, x, tlb) => { k.callOn(x, H.tlb_flush_mmu_tlbonly, k.ptr(tlb)); return CALL; });
  // static inline void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb) (zap_pte_range() calls it
  // too, under the page-table lock): flush if anything was cleared, then __tlb_reset_range().
  r.add('tlb_flush_mmu_tlbonly', 'tlb_flush', (k, x, tlb) => {
    if (!tlb.need_flush) return NEXT;
    tlb.need_flush = false;
    // tlb_flush(tlb): x86 calls flush_tlb_mm_range(); other arches read tlb->fullmm too (arches/).
    const c = k.call(x, H.flush_tlb_mm_range);
    c.mm = tlb.mm;
    c.freed_tables = tlb.freed_tables;
    c.full = true;
    c.fullmm = tlb.fullmm;
    return CALL;
  });
  r.add('tlb_flush_mmu', 'tlb_flush_mmu_free', (k, x, tlb) => {
    if (!tlb.freed_tables) return NEXT;
    const mi = k.mmInfo(tlb.mm)!;
    // A CPU that is now committed to leaving the mm (mid-switch, out of mm_cpumask) is fine.
    if (mi.hasStaleWalkers) mi.staleWalkers = mi.staleWalkers.filter((c) => mayWalk(k, c, tlb.mm));
    if (mi.hasStaleWalkers)
      k.violate('lifetime', `page tables of ${mi.name} freed while ${cpuList(mi.staleWalkers)} may still walk them (no TLB flush reached it)`, x);
    // exit_mmap frees what is left: both table pages unless munmap already freed one.
    const pts = tlb.pt >= 0 ? [tlb.pt] : [mi.pt, mi.pt2];
    k.fpGlobal();
    for (const pt of pts) k.m.free(pt, `cpu${x.cpu} tlb_flush_mmu_free`);
    if (pts.includes(mi.pt2)) mi.pt2Freed = true;
    if (pts.includes(mi.pt)) mi.pgtablesFreed = true;
    tlb.freed_tables = false;
    if (k.tracing) k.tr(x, `free page tables of ${mi.name}`);
    return YIELD;
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
  // The checks read what this CPU reads (its own buffered stores first): current->active_mm it
  // has just set to &init_mm may still be in its store buffer (powerpc exit_lazy_flush_tlb()).
  const users = k.view(x.cpu, mm + L.MM_USERS);
  if (users !== 0) k.violate('refcount', `__mmdrop(${k.name(mm)}) with mm_users == ${users}`, x);
  const cur = cpu.curr;
  if (x.level === 0 && k.view(x.cpu, cur.ref + L.T_MM) === mm) k.violate('warn', `WARN_ON_ONCE(mm == current->mm) in __mmdrop`, x);
  if (x.level === 0 && k.view(x.cpu, cur.ref + L.T_ACTIVE_MM) === mm) k.violate('warn', `WARN_ON_ONCE(mm == current->active_mm) in __mmdrop`, x);
}

export { NULL, int };

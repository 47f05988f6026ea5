// Lazy MMU mode: the kernel functions, for the arches that batch page-table updates (sparc64,
// x86 under Xen PV; powerpc only with the hash MMU, which the powerpc model is not) and for the
// series that changes their rules (Ryan Roberts, "Fix lazy mmu mode", 2025: seeds/001,
// reference/seeds-001-003-004.md §1).
//
// Not to be confused with lazy *TLB* mode (a kthread or idle borrowing the previous mm). Lazy MMU
// mode brackets a *region* of page-table updates (zap_pte_range, apply_to_pte_range, ...):
//
//   arch_enter_lazy_mmu_mode()   frame {}          start batching on this CPU
//   arch_leave_lazy_mmu_mode()   frame {}          issue what was batched, stop batching
//   arch_flush_lazy_mmu_mode()   frame {}          issue what was batched, keep batching
//   arch_start_context_switch()  frame { prev }    paravirt: unwind the mode of the outgoing task
//   arch_end_context_switch()    frame { next }    paravirt: flush, re-enter the incoming task's mode
//
// The generic versions (include/linux/pgtable.h, `#ifndef __HAVE_ARCH_ENTER_LAZY_MMU_MODE`) are
// empty: an arch without lazy MMU mode (ArchPlugin.lazyMmu == false) registers no step on them.
// The model declares them (core/model/baseline/lazy_mmu.ts, with the callers and the rules); callers
// write `k.call(x, H.arch_enter_lazy_mmu_mode); return CALL;`. An arch with the mode reports its
// per-CPU state through ArchPlugin.lazyMmuState(k, cpu) = { active, pending }.
//
// What each arch batches (v5.16):
//   sparc64 (arches/sparc64.ts): struct tlb_batch per CPU: tb->active, tb->tlb_nr. The PTE store
//     is immediate; tlb_batch_add() queues the TLB/TSB invalidation of the old PTE while active,
//     arch_leave_lazy_mmu_mode() runs flush_tlb_pending(). No preempt_disable() and nothing at
//     context switch: "not robust to preemption" (Ryan, seed 001) -- his patch adds it.
//   x86 Xen PV (arches/x86-xen-pv.ts): per-CPU paravirt_lazy_mode in {NONE, MMU, CPU}; PTE writes
//     and TLB flushes become multicall entries (xen_mc_entry), issued by xen_mc_flush() on leave,
//     or at once when not lazy (xen_mc_issue). enter_lazy() BUG_ONs on any mode but NONE (no
//     nesting at v5.16; 49147beb0ccb added xen_lazy_nesting later, c36549ff8d84 reverted it).
//     The context switch runs in PARAVIRT_LAZY_CPU mode: arch_start_context_switch(prev) leaves
//     MMU mode (TIF_LAZY_MMU_UPDATES on prev) and enters CPU mode, so the CR3 load is batched
//     until arch_end_context_switch(next) flushes and re-enters MMU mode for next if it had it.
//     The per-CPU lazy mode and the v6.14 nesting counter are declared by the model, whose steps
//     read them too (xenLazyMode()).
export { LAZY_MMU } from '../core/model/index.ts';

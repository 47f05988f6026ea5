// Field layouts of the modelled kernel objects. Names are the kernel's, so traces read like C.

export const MM_USERS = 0;
export const MM_COUNT = 1;
export const MM_MEMBARRIER_STATE = 2;
export const MM_TLB_GEN = 3; // mm->context.tlb_gen
export const MM_PGD = 4; // mm->pgd (pointer to the pgd object)
export const MM_USER_DATA = 5; // two words of user memory (litmus variables x, y)
export const MM_LDT = 7; // mm->context.ldt (read by perf's NMI handler)
export const MM_CPUMASK = 8; // mm_cpumask(mm): one word per CPU
const mmFieldCache: string[][] = [];
export function mmFields(ncpus: number): string[] {
  const hit = mmFieldCache[ncpus];
  if (hit) return hit;
  const f = ['mm_users', 'mm_count', 'membarrier_state', 'context.tlb_gen', 'pgd', 'user.x', 'user.y', 'context.ldt'];
  for (let c = 0; c < ncpus; c++) f.push(`mm_cpumask[${c}]`);
  mmFieldCache[ncpus] = f;
  return f;
}

export const PGD_FIELDS = ['pgd[0]'];
export const PT_FIELDS = ['pte_table'];

export const T_MM = 0;
export const T_ACTIVE_MM = 1;
export const T_STATE = 2;
export const TASK_FIELDS = ['mm', 'active_mm', '__state'];
export const TASK_RUNNING = 0;
export const TASK_INTERRUPTIBLE = 1;
export const TASK_DEAD = 0x80;

export const RQ_CURR = 0;
export const RQ_PREV_MM = 1;
export const RQ_LAZY_MM = 2; // lazy-mm/16
export const RQ_DROP_MM = 3; // lazy-mm/16
export const RQ_MEMBARRIER_STATE = 4;
export const RQ_FIELDS = ['curr', 'prev_mm', 'lazy_mm', 'drop_mm', 'membarrier_state'];

export const TLB_LOADED_MM = 0; // cpu_tlbstate.loaded_mm
export const TLB_IS_LAZY = 1; // cpu_tlbstate_shared.is_lazy
export const TLB_CTX_GEN = 2; // cpu_tlbstate.ctxs[loaded_mm_asid].tlb_gen
export const TLB_FIELDS = ['loaded_mm', 'is_lazy', 'ctxs[asid].tlb_gen'];
/** x86 LOADED_MM_SWITCHING: loaded_mm holds this while CR3 is being changed. */
export const LOADED_MM_SWITCHING = -1;

const onlineCache: string[][] = [];
export function onlineFields(ncpus: number): string[] {
  return (onlineCache[ncpus] ??= Array.from({ length: ncpus }, (_, c) => `[${c}]`));
}

// mm->membarrier_state bits (include/uapi/linux/membarrier.h, kernel/sched/membarrier.c)
export const MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY = 1 << 0;
export const MEMBARRIER_STATE_PRIVATE_EXPEDITED = 1 << 1;
export const MEMBARRIER_STATE_GLOBAL_EXPEDITED_READY = 1 << 2;
export const MEMBARRIER_STATE_GLOBAL_EXPEDITED = 1 << 3;
export const MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY = 1 << 4;
export const MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 5;

// membarrier, v5.16 kernel/sched/membarrier.c and include/linux/sched/mm.h, and the checker for
// its rule. Patch 01 of lazy-mm documents the rule: a full barrier (F) before and after updating
// rq->curr->mm (by a store to rq->curr or to ->mm). membarrier() skips a CPU only when it reads
// rq->curr->mm != M, and relies on (I-PRE) an F on that CPU between its last access of M and the
// store that produced the value it read, and (I-POST) an F between a store that makes
// rq->curr->mm == M again and the CPU's next access of M; for SYNC_CORE also (I-SYNC) a core
// serialization (S) before that CPU next returns to user code of M.
//  - *strict* (default): the rule checked structurally for registered mms, whether or not a
//    membarrier() raced: every store changing rq->curr->mm needs an F earlier in the same kernel
//    function invocation; a store making it a registered M needs an F (and an S for SYNC_CORE)
//    before the next ACCESS(M) (for S: before the next user-mode access).
//  - *observed*: only what a concurrent membarrier() actually relied on: it skipped a CPU whose
//    store of the value it read had no F after the CPU's last ACCESS(M) (I-PRE), or a CPU that
//    then reached ACCESS(M) with no F (or S) after its store of M (I-POST, I-SYNC).
//
// The checker's per-CPU state is declared (kernel.ts C_*). "Before" is measured in events: an F
// in the same event as the invocation start counts as being in the invocation, an F in the same
// event as an access does not count as after it; the *_THIS_EVENT flags, cleared at the end of
// every event, say which.
import type { StepRegistry } from '../registry.ts';
import type { OptionDecl } from '../options.ts';
import { fns, ptr, int, cpus, NEXT, YIELD, FUSE, FUSE_RET, CALL, again, goTo } from '../fns.ts';
import {
  H, NULL, C_F_SINCE_INV, C_F_THIS_EVENT, C_ACCESS_THIS_EVENT, C_F_SINCE_ACCESS, C_LAST_ACCESS_MM,
  C_UNFENCED, C_SKIPPED, C_ACCESSED, C_NEED_SYNC, type Kernel, type Ctx,
} from '../kernel.ts';
import * as L from '../layout.ts';

export const MEMBARRIER = fns({
  membarrier_private_expedited: { mm: ptr, ret: int, mask: cpus, c: int, p: ptr, pmm: ptr },
  membarrier_switch_mm: { prev_mm: ptr, next_mm: ptr },
  membarrier_update_current_mm: { mm: ptr },
  membarrier_exec_mmap: { mm: ptr },
  membarrier_mm_sync_core_before_usermode: { mm: ptr, state: int },
  ipi_mb: {},
  ipi_sync_core: {},
});
declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof MEMBARRIER> {}
  interface KernelSteps {
    'membarrier_switch_mm.update_rq_state': true; 'membarrier_update_current_mm.update_rq_state': true;
    'membarrier_exec_mmap.smp_mb': true; 'membarrier_exec_mmap.clear_state': true;
    'membarrier_mm_sync_core_before_usermode.sync_core': true;
    'membarrier_private_expedited.check_ready': true; 'membarrier_private_expedited.smp_mb_entry': true;
    'membarrier_private_expedited.scan_rq_curr': true; 'membarrier_private_expedited.smp_call_function_many': true;
    'membarrier_private_expedited.smp_mb_exit': true; 'ipi_mb.smp_mb': true; 'ipi_sync_core.smp_mb': true;
  }
}

const EXPEDITED = L.MEMBARRIER_STATE_PRIVATE_EXPEDITED | L.MEMBARRIER_STATE_GLOBAL_EXPEDITED;
const SYNC_CORE = L.MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE;

function registered(k: Kernel, mm: number): boolean {
  return mm > 0 && !k.m.dead[mm] && (k.peek(mm + L.MM_MEMBARRIER_STATE) & EXPEDITED) !== 0;
}
function syncCoreRegistered(k: Kernel, mm: number): boolean {
  // Only where returning to user mode may not serialize the core (x86 SYSRET/SYSEXIT); arm, arm64
  // and powerpc return through a context-synchronizing ERET/RFI (lazy-mm/07's documentation).
  return k.arch.syncCore === 'iret' && mm > 0 && !k.m.dead[mm] && (k.peek(mm + L.MM_MEMBARRIER_STATE) & SYNC_CORE) !== 0;
}
/** --set membarrier_checker=...: which rule the membarrier oracle applies. */
export const MEMBARRIER_OPTIONS: OptionDecl[] = [
  { name: 'membarrier_checker', type: 'enum', values: ['strict', 'observed', 'off'], default: 'strict', help: 'membarrier oracle: strict (a full barrier around every rq->curr->mm change of a registered mm), observed (only what a concurrent membarrier() relied on), off' },
];

function checker(k: Kernel): string {
  return k.param('membarrier_checker', 'strict');
}

/** A kernel function invocation that may change rq->curr->mm starts: the strict rule wants an F
 *  between here and the store. */
export function membarrierInvocationStart(k: Kernel, x: Ctx) {
  const cpu = k.cpus[x.cpu];
  cpu.setWord(C_F_SINCE_INV, cpu.word(C_F_THIS_EVENT));
}

/** Called where a CPU changes rq->curr->mm (a W_CURR or W_TASK_MM event). */
export function membarrierWriteCheck(k: Kernel, x: Ctx, what: string, oldMm: number, newMm: number) {
  const mode = checker(k);
  if (mode === 'off') return;
  const cpu = k.cpus[x.cpu];
  if (mode === 'strict' && (registered(k, oldMm) || registered(k, newMm)) && !cpu.word(C_F_SINCE_INV))
    k.violate('membarrier', `strict rule: store to ${what} (${k.name(oldMm)} -> ${k.name(newMm)}) on cpu${x.cpu} without a full barrier before it in ${k.stepOf(x).split('.')[0]}()`, x);
  const last = cpu.word(C_LAST_ACCESS_MM);
  cpu.setWord(C_UNFENCED, last !== NULL && !cpu.word(C_F_SINCE_ACCESS) && newMm !== last ? last : 0);
  cpu.setWord(C_SKIPPED, 0);
  cpu.setWord(C_ACCESSED, 0);
  cpu.needPostF = registered(k, newMm) ? newMm : 0;
  cpu.setWord(C_NEED_SYNC, syncCoreRegistered(k, newMm) ? newMm : 0);
}

/** A user-space access (ACCESS(mm) for the checker): a user-mode access by current, or a uaccess
 *  by a kthread in kthread_use_mm(). Only user-mode code needs the core serialized. */
export function membarrierAccessCheck(k: Kernel, x: Ctx, mm: number, userMode = true) {
  const mode = checker(k);
  if (mode === 'off' || mm === NULL) return;
  const cpu = k.cpus[x.cpu];
  const skipped = cpu.word(C_SKIPPED);
  if (cpu.needPostF === mm && (mode === 'strict' || skipped === mm))
    k.violate('membarrier', mode === 'strict'
      ? `strict rule: cpu${x.cpu} accesses user memory of ${k.name(mm)} with no full barrier after the store that made it rq->curr->mm`
      : `observed: cpu${x.cpu} accesses user memory of ${k.name(mm)} with no full barrier after its switch to it, which a concurrent membarrier() skipped`, x);
  if (userMode && cpu.word(C_NEED_SYNC) === mm && (mode === 'strict' || skipped === mm))
    k.violate('membarrier', `${mode === 'strict' ? 'strict rule' : 'observed'}: cpu${x.cpu} runs user code of ${k.name(mm)} (SYNC_CORE) with no core serialization after the store that made it rq->curr->mm`, x);
  if (cpu.needPostF === mm) cpu.setWord(C_ACCESSED, mm);
  if (registered(k, mm)) {
    cpu.setWord(C_LAST_ACCESS_MM, mm);
    cpu.setWord(C_F_SINCE_ACCESS, 0);
    cpu.setWord(C_ACCESS_THIS_EVENT, 1);
  }
}

/** A core-serializing event (S) on this CPU: sync_core(), a CR3 write, IRET... */
export function syncCoreEvent(k: Kernel, x: Ctx) {
  k.cpus[x.cpu].setWord(C_NEED_SYNC, 0);
}

export function registerMembarrier(r: StepRegistry) {
  // static inline void membarrier_switch_mm(struct rq *rq, struct mm_struct *prev_mm, struct mm_struct *next_mm)
  r.add('membarrier_switch_mm', 'update_rq_state', (k, x, f) => {
    if (f.prev_mm === f.next_mm) return NEXT;
    const state = k.ld(x, f.next_mm + L.MM_MEMBARRIER_STATE);
    const a = k.rq[x.cpu] + L.RQ_MEMBARRIER_STATE;
    if (k.ld(x, a) === state) return FUSE; // no store: the loads go with what follows
    k.st(x, a, state);
    return YIELD;
  });
  // membarrier_update_current_mm(next_mm): rq->membarrier_state = next_mm ? next_mm->membarrier_state : 0
  r.add('membarrier_update_current_mm', 'update_rq_state', (k, x, f) => {
    const state = f.mm !== NULL ? k.ld(x, f.mm + L.MM_MEMBARRIER_STATE) : 0;
    const a = k.rq[x.cpu] + L.RQ_MEMBARRIER_STATE;
    if (k.ld(x, a) === state) return FUSE;
    k.st(x, a, state);
    return YIELD;
  });
  // membarrier_exec_mmap(mm): smp_mb(); atomic_set(&mm->membarrier_state, 0); this_cpu_write(runqueues.membarrier_state, 0);
  r.add('membarrier_exec_mmap', 'smp_mb', (k, x) => {
    k.mb(x);
    return YIELD;
  });
  r.add('membarrier_exec_mmap', 'clear_state', (k, x, f) => {
    k.st(x, f.mm + L.MM_MEMBARRIER_STATE, 0);
    k.st(x, k.rq[x.cpu] + L.RQ_MEMBARRIER_STATE, 0);
    return YIELD;
  });
  // v5.16 include/linux/sched/mm.h (seed 000 L424-433, the lines lazy-mm/02 deletes):
  //   static inline void membarrier_mm_sync_core_before_usermode(struct mm_struct *mm)
  //   { if (current->mm != mm) return;
  //     if (likely(!(atomic_read(&mm->membarrier_state) & MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE)))
  //             return;
  //     sync_core_before_usermode(); }
  // It is defined for every arch under CONFIG_MEMBARRIER, so the atomic_read() of
  // mm->membarrier_state (on mm_count's cache line in v5.16) happens on every arch; only
  // sync_core_before_usermode() is x86-only (ARCH_HAS_SYNC_CORE_BEFORE_USERMODE; empty elsewhere,
  // include/linux/sync_core.h). A 2025 patch on the lists ("help the compiler generate more efficient
  // code on architectures where sync_core_before_usermode() is a no-op") skips the read there.
  // Resume point 1: after the read.
  r.add('membarrier_mm_sync_core_before_usermode', 'sync_core', (k, x, f, pc) => {
    if (pc === 0) {
      if (k.ld(x, k.cpus[x.cpu].curr.ref + L.T_MM) !== f.mm) return FUSE;
      f.state = k.ld(x, f.mm + L.MM_MEMBARRIER_STATE);
      return again(1);
    }
    if (k.arch.syncCore !== 'iret' || (f.state & L.MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE) === 0) return NEXT;
    k.count('sync_core');
    syncCoreEvent(k, x);
    if (k.tracing) k.tr(x, 'sync_core_before_usermode()');
    return NEXT;
  });

  // static int membarrier_private_expedited(int flags, int cpu_id)
  r.add('membarrier_private_expedited', 'check_ready', (k, x, f) => {
    const state = k.ld(x, f.mm + L.MM_MEMBARRIER_STATE);
    if (!(state & L.MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY)) { f.ret = -1; return FUSE_RET; }
    return YIELD;
  });
  // "Matches memory barriers around rq->curr modification in scheduler."
  r.add('membarrier_private_expedited', 'smp_mb_entry', (k, x) => {
    k.mb(x, 'smp_mb() /* system call entry is not a mb. */');
    return YIELD;
  });
  // for_each_online_cpu(cpu) { p = rcu_dereference(cpu_rq(cpu)->curr); if (p && p->mm == mm) set }
  // Resume points: 0 the next CPU (f.c), 1 after reading its rq->curr (f.p), 2 after p->mm (f.pmm).
  r.add('membarrier_private_expedited', 'scan_rq_curr', (k, x, f, pc) => {
    if (pc === 1) {
      if (f.p === NULL) { f.c++; return goTo(0); }
      f.pmm = k.ld(x, f.p + L.T_MM);
      return again(2);
    }
    if (pc === 2) {
      if (f.pmm === f.mm) { if (f.c !== x.cpu) f.mask = [...f.mask, f.c]; }
      else observedSkip(k, x, f.c, f.mm, f.p, f.pmm);
      f.c++;
      return goTo(0);
    }
    for (; f.c < k.ncpus; f.c++) {
      if (!k.ld(x, k.online + f.c)) continue; // an offline CPU: on to the next in the same event
      f.p = k.ld(x, k.rq[f.c] + L.RQ_CURR);
      return again(1);
    }
    return k.acc ? FUSE : NEXT;
  });
  r.add('membarrier_private_expedited', 'smp_call_function_many', (k, x, f) => {
    const c = k.call(x, H.smp_call_function_many);
    c.mask = f.mask;
    c.fn = H.ipi_mb;
    c.purpose = 'membarrier';
    return CALL;
  });
  r.add('membarrier_private_expedited', 'smp_mb_exit', (k, x) => {
    k.mb(x, 'smp_mb() /* exit from system call is not a mb */');
    return YIELD;
  });

  r.add('ipi_mb', 'smp_mb', (k, x) => {
    k.mb(x);
    return YIELD;
  });
  r.add('ipi_sync_core', 'smp_mb', (k, x) => {
    k.mb(x);
    k.count('sync_core');
    syncCoreEvent(k, x);
    return YIELD;
  });
}

/** membarrier() on x.cpu read rq[c]->curr == p and p->mm == pmm != mm and skips cpu c. */
function observedSkip(k: Kernel, x: Ctx, c: number, mm: number, p: number, pmm: number) {
  if (checker(k) !== 'observed') return;
  k.fpGlobal(); // reads and writes cpu c's checker state (and its store buffer)
  const cpu = k.cpus[c];
  // I-POST/I-SYNC: c has stored mm as rq->curr->mm, not yet followed by F (or S): membarrier()
  // relies on that F before c's next ACCESS(mm) (checked there) -- and c must not have accessed
  // mm since that store already.
  if (cpu.needPostF === mm && cpu.word(C_ACCESSED) === mm)
    k.violate('membarrier', `observed: membarrier() on cpu${x.cpu} skipped cpu${c}, which already accessed user memory of ${k.name(mm)} after its switch to it with no full barrier`, x);
  if (cpu.needPostF === mm || cpu.word(C_NEED_SYNC) === mm) cpu.setWord(C_SKIPPED, mm);
  // I-PRE: the value read is c's latest store (c sees it too, nothing of c's is still buffered),
  // and that store had no F after c's last ACCESS(mm).
  if (cpu.word(C_UNFENCED) === mm && k.m.read(c, k.rq[c] + L.RQ_CURR) === p && k.m.read(c, p + L.T_MM) === pmm)
    k.violate('membarrier', `observed: membarrier() on cpu${x.cpu} skipped cpu${c}, whose store that took ${k.name(mm)} off rq->curr->mm had no full barrier after its last access of ${k.name(mm)}`, x);
}

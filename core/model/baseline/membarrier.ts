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
//  - *observed*: only what a concurrent membarrier() caller can observe under the memory model.
//    I-POST: membarrier() read rq[c]->curr (and its ->mm) while c's store that made it M was
//    still in c's store buffer, and c had already loaded user memory of M: that load may come
//    before membarrier()'s barrier in memory order (the store-buffering outcome). Under SC no
//    store is ever buffered, so it is never reported; a load after the read is ordered after it
//    and is fine. I-PRE (c's accesses of M before it switched away, with no F in between) cannot
//    be observed under SC or TSO (stores commit in order, loads are not reordered after later
//    stores): not reported. I-SYNC (a skipped CPU runs user code of a SYNC_CORE mm with no core
//    serialization after its switch to it) is about the instruction stream, not store buffers:
//    reported under any memory model.
//
// The checker's per-CPU state is declared (kernel.ts C_*). "Before" is measured in events: an F
// in the same event as the invocation start counts as being in the invocation (C_F_THIS_EVENT,
// cleared at the end of every event, says which).
import type { StepRegistry } from '../registry.ts';
import type { OptionDecl } from '../options.ts';
import { fns, ptr, int, cpus, NEXT, YIELD, FUSE, FUSE_RET, CALL, again, goTo } from '../fns.ts';
import {
  H, NULL, STATE_PARTS, partSlot, counterId, C_F_SINCE_INV, C_F_THIS_EVENT,
  C_SKIPPED, C_NEED_SYNC, C_EARLY_LOAD, type Kernel, type Ctx,
} from '../kernel.ts';
import { W_TASK_MM } from '../ownership.ts';
import * as L from '../layout.ts';

export const MEMBARRIER = fns({
  membarrier_private_expedited: { mm: ptr, ret: int, mask: cpus, c: int, p: ptr, pmm: ptr, early: int },
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

const CNT_SYNC_CORE = counterId('sync_core');
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

// The checker's mode (--set membarrier_checker=strict|observed|off), read once per kernel.
const MODE = partSlot();
STATE_PARTS.push({ declare(k) { k.parts[MODE] = k.param('membarrier_checker', 'strict'); }, boot() {} });
function checker(k: Kernel): string {
  return k.parts[MODE] as string;
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
  cpu.setWord(C_SKIPPED, 0);
  cpu.needPostF = registered(k, newMm) ? newMm : 0;
  cpu.setWord(C_NEED_SYNC, syncCoreRegistered(k, newMm) ? newMm : 0);
  // a load before this store is no longer early once every earlier switch has committed
  if (mode === 'observed' && pendingSwitches(k, x.cpu) <= 1) cpu.setWord(C_EARLY_LOAD, 0);
}

/** Stores of cpu c that change rq->curr->mm and are still in its store buffer (to rq->curr or
 *  to a task's ->mm): what other CPUs do not see yet. */
function pendingSwitches(k: Kernel, c: number): number {
  const len = k.m.sbLen[c];
  if (len === 0) return 0;
  const b = k.m.sb[c], curr = k.rq[c] + L.RQ_CURR;
  let n = 0;
  for (let i = 0; i < 2 * len; i += 2) if (b[i] === curr || k.m.watch[b[i]] === W_TASK_MM) n++;
  return n;
}

/** A user-space access (ACCESS(mm) for the checker): a user-mode access by current, or a uaccess
 *  by a kthread in kthread_use_mm(). Only user-mode code needs the core serialized. */
export function membarrierAccessCheck(k: Kernel, x: Ctx, mm: number, userMode = true, load = true) {
  const mode = checker(k);
  if (mode === 'off' || mm === NULL) return;
  const cpu = k.cpus[x.cpu];
  const skipped = cpu.word(C_SKIPPED);
  if (cpu.needPostF === mm && mode === 'strict')
    k.violate('membarrier', `strict rule: cpu${x.cpu} accesses user memory of ${k.name(mm)} with no full barrier after the store that made it rq->curr->mm`, x);
  // observed: a load that may pass this CPU's still-buffered switch to mm (TSO)
  if (mode === 'observed' && load && registered(k, mm) && pendingSwitches(k, x.cpu) > 0) {
    k.fpGlobal(); // membarrier() on another CPU reads this flag
    cpu.setWord(C_EARLY_LOAD, mm);
  }
  if (userMode && cpu.word(C_NEED_SYNC) === mm && (mode === 'strict' || skipped === mm))
    k.violate('membarrier', `${mode === 'strict' ? 'strict rule' : 'observed'}: cpu${x.cpu} runs user code of ${k.name(mm)} (SYNC_CORE) with no core serialization after the store that made it rq->curr->mm`, x);
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
    k.countId(CNT_SYNC_CORE);
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
      else observedSkip(k, x, f.c, f.mm, f.early !== 0);
      f.c++;
      return goTo(0);
    }
    for (; f.c < k.ncpus; f.c++) {
      if (!k.ld(x, k.online + f.c)) continue; // an offline CPU: on to the next in the same event
      f.p = k.ld(x, k.rq[f.c] + L.RQ_CURR);
      f.early = earlyLoad(k, f.c, f.mm) ? 1 : 0;
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

/** At membarrier()'s read of rq[c]->curr: had c already loaded user memory of mm while its
 *  switch to mm, still in its store buffer, was invisible to this read? (observed checker) */
function earlyLoad(k: Kernel, c: number, mm: number): boolean {
  if (checker(k) !== 'observed') return false;
  k.fpGlobal(); // reads cpu c's checker state and store buffer
  return k.cpus[c].word(C_EARLY_LOAD) === mm && pendingSwitches(k, c) > 0;
}

/** membarrier() on x.cpu read rq[c]->curr and its ->mm != mm and skips cpu c; `early`: at the
 *  read, c had loaded user memory of mm past its buffered switch to it. */
function observedSkip(k: Kernel, x: Ctx, c: number, mm: number, early: boolean) {
  if (checker(k) !== 'observed') return;
  k.fpGlobal(); // reads and writes cpu c's checker state
  const cpu = k.cpus[c];
  // I-POST: the load may be ordered before this membarrier()'s barrier (store buffering)
  if (early)
    k.violate('membarrier', `observed: membarrier() on cpu${x.cpu} skipped cpu${c}, which had already loaded user memory of ${k.name(mm)} while its switch to ${k.name(mm)} was still in its store buffer (no full barrier after the switch)`, x);
  // I-SYNC: c must serialize before it next runs user code of mm (checked at that access)
  if (cpu.word(C_NEED_SYNC) === mm) cpu.setWord(C_SKIPPED, mm);
}

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
import type { StepRegistry } from '../hooks.ts';
import { H, NULL, type Kernel, type Ctx, type CpuState } from '../kernel.ts';
import * as L from '../layout.ts';
import { smp_call_function_many } from './ipi.ts';

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
function checker(k: Kernel): string {
  return k.param('membarrier_checker', 'strict');
}

/** Checker state per CPU beyond CpuState's lastF/invStart/needPostF. Keyed by the run's CpuState
 *  objects, so it starts fresh with every run. */
interface Track {
  lastAccessMm: number; // registered mm of this CPU's last ACCESS
  lastAccessAt: number; // when (the clock of CpuState.lastF)
  unfenced: number; // that mm, if the CPU's last rq->curr->mm store had no F after that ACCESS
  skipped: number; // a membarrier() on this mm skipped the CPU after its store of the mm (observed)
  accessed: number; // the CPU accessed that mm after its store of it, before any F (observed)
  needSync: number; // SYNC_CORE mm stored as rq->curr->mm with no core serialization since
}
const tracks = new WeakMap<CpuState, Track>();
function track(cpu: CpuState): Track {
  let t = tracks.get(cpu);
  if (!t) { t = { lastAccessMm: 0, lastAccessAt: 0, unfenced: 0, skipped: 0, accessed: 0, needSync: 0 }; tracks.set(cpu, t); }
  return t;
}

/** Called where a CPU changes rq->curr->mm (a W_CURR or W_TASK_MM event). */
export function membarrierWriteCheck(k: Kernel, x: Ctx, what: string, oldMm: number, newMm: number) {
  const mode = checker(k);
  if (mode === 'off') return;
  const cpu = k.cpus[x.cpu];
  const t = track(cpu);
  if (mode === 'strict' && (registered(k, oldMm) || registered(k, newMm)) && cpu.lastF <= cpu.invStart)
    k.violate('membarrier', `strict rule: store to ${what} (${k.name(oldMm)} -> ${k.name(newMm)}) on cpu${x.cpu} without a full barrier before it in ${k.stepOf(x).split('.')[0]}()`, x);
  t.unfenced = t.lastAccessMm !== NULL && cpu.lastF <= t.lastAccessAt && newMm !== t.lastAccessMm ? t.lastAccessMm : 0;
  t.skipped = 0;
  t.accessed = 0;
  cpu.needPostF = registered(k, newMm) ? newMm : 0;
  t.needSync = syncCoreRegistered(k, newMm) ? newMm : 0;
}

/** A user-space access (ACCESS(mm) for the checker): a user-mode access by current, or a uaccess
 *  by a kthread in kthread_use_mm(). Only user-mode code needs the core serialized. */
export function membarrierAccessCheck(k: Kernel, x: Ctx, mm: number, userMode = true) {
  const mode = checker(k);
  if (mode === 'off' || mm === NULL) return;
  const cpu = k.cpus[x.cpu];
  const t = track(cpu);
  if (cpu.needPostF === mm && (mode === 'strict' || t.skipped === mm))
    k.violate('membarrier', mode === 'strict'
      ? `strict rule: cpu${x.cpu} accesses user memory of ${k.name(mm)} with no full barrier after the store that made it rq->curr->mm`
      : `observed: cpu${x.cpu} accesses user memory of ${k.name(mm)} with no full barrier after its switch to it, which a concurrent membarrier() skipped`, x);
  if (userMode && t.needSync === mm && (mode === 'strict' || t.skipped === mm))
    k.violate('membarrier', `${mode === 'strict' ? 'strict rule' : 'observed'}: cpu${x.cpu} runs user code of ${k.name(mm)} (SYNC_CORE) with no core serialization after the store that made it rq->curr->mm`, x);
  if (cpu.needPostF === mm) t.accessed = mm;
  if (registered(k, mm)) {
    t.lastAccessMm = mm;
    t.lastAccessAt = k.actions + 1;
  }
}

/** A core-serializing event (S) on this CPU: sync_core(), a CR3 write, IRET... */
export function syncCoreEvent(k: Kernel, x: Ctx) {
  const t = tracks.get(k.cpus[x.cpu]);
  if (t) t.needSync = 0;
}

export function registerMembarrier(r: StepRegistry) {
  // static inline void membarrier_switch_mm(struct rq *rq, struct mm_struct *prev_mm, struct mm_struct *next_mm)
  r.add('membarrier_switch_mm', 'update_rq_state', function* (k, x, f) {
    if (f.prev_mm === f.next_mm) return;
    const state = k.ld(x, f.next_mm + L.MM_MEMBARRIER_STATE);
    const a = k.rq[x.cpu] + L.RQ_MEMBARRIER_STATE;
    if (k.ld(x, a) === state) return;
    k.st(x, a, state);
    yield 0;
  });
  // membarrier_update_current_mm(next_mm): rq->membarrier_state = next_mm ? next_mm->membarrier_state : 0
  r.add('membarrier_update_current_mm', 'update_rq_state', function* (k, x, f) {
    const state = f.mm !== NULL ? k.ld(x, f.mm + L.MM_MEMBARRIER_STATE) : 0;
    const a = k.rq[x.cpu] + L.RQ_MEMBARRIER_STATE;
    if (k.ld(x, a) === state) return;
    k.st(x, a, state);
    yield 0;
  });
  // membarrier_exec_mmap(mm): smp_mb(); atomic_set(&mm->membarrier_state, 0); this_cpu_write(runqueues.membarrier_state, 0);
  r.add('membarrier_exec_mmap', 'smp_mb', function* (k, x) {
    k.mb(x);
    yield 0;
  });
  r.add('membarrier_exec_mmap', 'clear_state', function* (k, x, f) {
    k.st(x, f.mm + L.MM_MEMBARRIER_STATE, 0);
    k.st(x, k.rq[x.cpu] + L.RQ_MEMBARRIER_STATE, 0);
    yield 0;
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
  r.add('membarrier_mm_sync_core_before_usermode', 'sync_core', function* (k, x, f) {
    if (k.ld(x, k.cpus[x.cpu].curr.ref + L.T_MM) !== f.mm) return;
    const state = k.ld(x, f.mm + L.MM_MEMBARRIER_STATE);
    yield 0;
    if (k.arch.syncCore !== 'iret' || (state & L.MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE) === 0) return;
    k.count('sync_core');
    syncCoreEvent(k, x);
    if (k.tracing) k.tr(x, 'sync_core_before_usermode()');
  });

  // static int membarrier_private_expedited(int flags, int cpu_id)
  r.add('membarrier_private_expedited', 'check_ready', function* (k, x, f) {
    const state = k.ld(x, f.mm + L.MM_MEMBARRIER_STATE);
    if (!(state & L.MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY)) { f.ret = -1; f.ret_early = true; return; }
    yield 0;
  });
  // "Matches memory barriers around rq->curr modification in scheduler."
  r.add('membarrier_private_expedited', 'smp_mb_entry', function* (k, x) {
    k.mb(x, 'smp_mb() /* system call entry is not a mb. */');
    yield 0;
  });
  // for_each_online_cpu(cpu) { p = rcu_dereference(cpu_rq(cpu)->curr); if (p && p->mm == mm) set }
  r.add('membarrier_private_expedited', 'scan_rq_curr', function* (k, x, f) {
    f.mask = [];
    for (let c = 0; c < k.ncpus; c++) {
      if (!k.ld(x, k.online + c)) continue;
      const p = k.ld(x, k.rq[c] + L.RQ_CURR);
      yield 0;
      if (p === NULL) continue;
      const pmm = k.ld(x, p + L.T_MM);
      yield 0;
      if (pmm === f.mm) { if (c !== x.cpu) f.mask.push(c); }
      else observedSkip(k, x, c, f.mm, p, pmm);
    }
  });
  r.add('membarrier_private_expedited', 'smp_call_function_many', function* (k, x, f) {
    yield* smp_call_function_many(k, x, f.mask, H.ipi_mb, {}, true, 'membarrier');
  });
  r.add('membarrier_private_expedited', 'smp_mb_exit', function* (k, x) {
    k.mb(x, 'smp_mb() /* exit from system call is not a mb */');
    yield 0;
  });

  r.add('ipi_mb', 'smp_mb', function* (k, x) {
    k.mb(x);
    yield 0;
  });
  r.add('ipi_sync_core', 'smp_mb', function* (k, x) {
    k.mb(x);
    k.count('sync_core');
    syncCoreEvent(k, x);
    yield 0;
  });
}

/** membarrier() on x.cpu read rq[c]->curr == p and p->mm == pmm != mm and skips cpu c. */
function observedSkip(k: Kernel, x: Ctx, c: number, mm: number, p: number, pmm: number) {
  if (checker(k) !== 'observed') return;
  const cpu = k.cpus[c];
  const t = track(cpu);
  // I-POST/I-SYNC: c has stored mm as rq->curr->mm, not yet followed by F (or S): membarrier()
  // relies on that F before c's next ACCESS(mm) (checked there) -- and c must not have accessed
  // mm since that store already.
  if (cpu.needPostF === mm && t.accessed === mm)
    k.violate('membarrier', `observed: membarrier() on cpu${x.cpu} skipped cpu${c}, which already accessed user memory of ${k.name(mm)} after its switch to it with no full barrier`, x);
  if (cpu.needPostF === mm || t.needSync === mm) t.skipped = mm;
  // I-PRE: the value read is c's latest store (c sees it too, nothing of c's is still buffered),
  // and that store had no F after c's last ACCESS(mm).
  if (t.unfenced === mm && k.m.read(c, k.rq[c] + L.RQ_CURR) === p && k.m.read(c, p + L.T_MM) === pmm)
    k.violate('membarrier', `observed: membarrier() on cpu${x.cpu} skipped cpu${c}, whose store that took ${k.name(mm)} off rq->curr->mm had no full barrier after its last access of ${k.name(mm)}`, x);
}

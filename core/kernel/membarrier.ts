// membarrier, v5.16 kernel/sched/membarrier.c and include/linux/sched/mm.h, and the checker for
// its rule. Patch 01 of lazy-mm documents the rule: a full barrier (F) before and after updating
// rq->curr->mm. The *strict* checker enforces it structurally for membarrier-registered mms;
// the *observed* checker reports a CPU that a concurrent membarrier() skipped while it was in the
// window between the mm store and its F.
import type { StepRegistry } from '../hooks.ts';
import { H, NULL, type Kernel, type Ctx } from '../kernel.ts';
import * as L from '../layout.ts';
import { smp_call_function_many } from './ipi.ts';

const EXPEDITED = L.MEMBARRIER_STATE_PRIVATE_EXPEDITED | L.MEMBARRIER_STATE_GLOBAL_EXPEDITED;

function registered(k: Kernel, mm: number): boolean {
  return mm > 0 && !k.m.dead[mm] && (k.peek(mm + L.MM_MEMBARRIER_STATE) & EXPEDITED) !== 0;
}

/** Called where a CPU changes rq->curr->mm (a W_CURR or W_TASK_MM event). */
export function membarrierWriteCheck(k: Kernel, x: Ctx, what: string, oldMm: number, newMm: number) {
  if (k.param('membarrier_checker', 'strict') === 'off') return;
  const cpu = k.cpus[x.cpu];
  const strict = k.param('membarrier_checker', 'strict') === 'strict';
  if (strict && (registered(k, oldMm) || registered(k, newMm)) && cpu.lastF <= cpu.invStart)
    k.violate('membarrier', `strict rule: store to ${what} (${k.name(oldMm)} -> ${k.name(newMm)}) on cpu${x.cpu} without a full barrier before it in ${k.stepOf(x).split('.')[0]}()`, x);
  cpu.needPostF = registered(k, newMm) ? newMm : 0;
}

/** A user-space access (ACCESS(mm) for the checker). */
export function membarrierAccessCheck(k: Kernel, x: Ctx, mm: number) {
  const cpu = k.cpus[x.cpu];
  if (cpu.needPostF === mm && mm !== NULL && k.param('membarrier_checker', 'strict') !== 'off')
    k.violate('membarrier', `strict rule: cpu${x.cpu} accesses user memory of ${k.name(mm)} with no full barrier after the store that made it rq->curr->mm`, x);
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
  // membarrier_mm_sync_core_before_usermode(mm): sync_core_before_usermode() if the mm is
  // registered for SYNC_CORE and is the current mm.
  r.add('membarrier_mm_sync_core_before_usermode', 'sync_core', (k, x, f) => {
    if (k.cpus[x.cpu].curr && f.mm !== NULL && !k.m.dead[f.mm] &&
        (k.peek(f.mm + L.MM_MEMBARRIER_STATE) & L.MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE) !== 0) {
      k.count('sync_core');
      if (k.tracing) k.tr(x, 'sync_core_before_usermode()');
    }
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
      else observedSkip(k, x, c, f.mm);
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
    yield 0;
  });
}

/** Observed rule: membarrier skipped cpu c, but c is between storing mm and its post-store F. */
function observedSkip(k: Kernel, x: Ctx, c: number, mm: number) {
  if (k.param('membarrier_checker', 'strict') !== 'observed') return;
  if (k.cpus[c].needPostF === mm)
    k.violate('membarrier', `observed: membarrier() on cpu${x.cpu} skipped cpu${c}, which runs ${k.name(mm)} before its post-switch barrier`, x);
}

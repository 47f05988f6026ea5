// Boot state: init_mm, one idle task per CPU lazily on init_mm (sched_init's mmgrab(&init_mm);
// enter_lazy_tlb()), cpu_online_mask; and the constructors scenarios use for mms and tasks.
import { NULL } from '../memory.ts';
import { STATE_PARTS, TS_RUNNABLE, TS_RUNNING, TS_WAITING, type Kernel, type TaskView } from '../kernel.ts';
import * as L from '../layout.ts';
import type { Op } from '../program.ts';
import { refAdd, REF_COUNT, REF_USERS, OWN_SHARED, OWN_PERM, W_TASK_MM, W_TASK_ACTIVE_MM, W_RQ_PREV_MM, W_RQ_DROP_MM } from '../ownership.ts';

/** A new mm_struct (mm_alloc + mm_init) with `users` mm_users references, owned by `holder`
 *  (ownership.ts; 0: the caller gives them owners) and the mm_count reference they share. */
export function newMm(k: Kernel, name: string, users: number, isInit = false, holder = OWN_PERM): number {
  const mm = k.m.alloc('mm_struct', name, L.mmFields(k.ncpus));
  const pgd = k.m.alloc('pgd', `${name}.pgd`, L.PGD_FIELDS);
  const pt = k.m.alloc('page table', `${name}.pte`, L.PT_FIELDS);
  const pt2 = k.m.alloc('page table', `${name}.pte2`, L.PT_FIELDS);
  k.m.mem[mm + L.MM_USERS] = users;
  k.m.mem[mm + L.MM_COUNT] = 1; // mm_init(): the reference all users share
  k.m.mem[mm + L.MM_PGD] = pgd;
  k.m.mem[mm + L.MM_TLB_GEN] = 1;
  k.newMmRecord(mm, name, pgd, pt, pt2, isInit);
  if (!isInit) {
    refAdd(k, mm, REF_COUNT, OWN_SHARED, 'mm_init');
    if (holder !== 0) for (let i = 0; i < users; i++) refAdd(k, mm, REF_USERS, holder, 'mm_init');
  }
  return mm;
}

export function newTask(k: Kernel, name: string, o: { kthread: boolean; cpu: number; mm: number; prog: Op[]; idle?: boolean; started?: boolean }): TaskView {
  const ref = k.m.alloc('task_struct', name, L.TASK_FIELDS);
  k.m.mem[ref + L.T_MM] = o.mm;
  k.m.mem[ref + L.T_ACTIVE_MM] = o.mm;
  k.m.watch[ref + L.T_MM] = W_TASK_MM;
  k.m.watch[ref + L.T_ACTIVE_MM] = W_TASK_ACTIVE_MM;
  const t = k.newTaskRecord();
  t.init(ref, name, o.kthread, !!o.idle, o.cpu, o.prog);
  k.m.setAux(k.m.objIndex(ref), t.tid + 1);
  t.state = o.started === false ? TS_WAITING : TS_RUNNABLE;
  k.rqTasks[o.cpu].push(t);
  return t;
}

/** Fresh run state: memory, init_mm, per-CPU rq/tlbstate/idle. */
export function boot(k: Kernel) {
  k.resetState();
  k.resetRq(k.ncpus);
  k.online = k.m.alloc('cpumask', 'cpu_online_mask', L.onlineFields(k.ncpus));
  // init_mm: static mm_users = 2, mm_count = 1; each CPU's idle task then takes a reference.
  k.init_mm = newMm(k, 'init_mm', 2, true);
  k.m.mem[k.init_mm + L.MM_COUNT] = 1 + k.ncpus;
  k.rq = [];
  k.tlb = [];
  for (let c = 0; c < k.ncpus; c++) {
    const idle = newTask(k, `swapper/${c}`, { kthread: true, cpu: c, mm: NULL, prog: [], idle: true });
    k.m.mem[idle.ref + L.T_ACTIVE_MM] = k.init_mm;
    idle.state = TS_RUNNING;
    const rq = k.m.alloc('rq', `rq${c}`, L.RQ_FIELDS);
    k.m.mem[rq + L.RQ_CURR] = idle.ref;
    k.m.watch[rq + L.RQ_PREV_MM] = W_RQ_PREV_MM;
    k.m.watch[rq + L.RQ_DROP_MM] = W_RQ_DROP_MM;
    const tlb = k.m.alloc('cpu_tlbstate', `cpu_tlbstate${c}`, L.TLB_FIELDS);
    k.m.mem[tlb + L.TLB_LOADED_MM] = k.init_mm;
    k.m.mem[k.online + c] = 1;
    k.rq.push(rq);
    k.tlb.push(tlb);
    const cpu = k.cpus[c];
    cpu.curr = idle;
    cpu.idle = idle;
    cpu.rcuWatching = true;
    cpu.online = true;
  }
  for (const p of STATE_PARTS) p.boot(k);
  k.arch.boot?.(k);
}

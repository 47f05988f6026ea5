// Boot state: init_mm, one idle task per CPU lazily on init_mm (sched_init's mmgrab(&init_mm);
// enter_lazy_tlb()), cpu_online_mask; and the constructors scenarios use for mms and tasks.
import { Memory, NULL } from '../machine/memory.ts';
import { Ctx, type Kernel, type TaskInfo, type CpuState } from '../kernel.ts';
import * as L from '../layout.ts';
import type { Op } from '../program.ts';

/** Shared empty CPU list (staleWalkers is replaced, never mutated). */
const NO_CPUS: readonly number[] = Object.freeze([]);

export function newMm(k: Kernel, name: string, users: number, isInit = false): number {
  const mm = k.m.alloc('mm_struct', name, L.mmFields(k.ncpus));
  const pgd = k.m.alloc('pgd', `${name}.pgd`, L.PGD_FIELDS);
  const pt = k.m.alloc('page table', `${name}.pte`, L.PT_FIELDS);
  const pt2 = k.m.alloc('page table', `${name}.pte2`, L.PT_FIELDS);
  k.m.mem[mm + L.MM_USERS] = users;
  k.m.mem[mm + L.MM_COUNT] = 1; // mm_init(): the reference all users share
  k.m.mem[mm + L.MM_PGD] = pgd;
  k.m.mem[mm + L.MM_TLB_GEN] = 1;
  k.mms.set(mm, { ref: mm, name, pgd, pt, pt2, pt2Freed: false, isInit, staleWalkers: NO_CPUS, pgtablesFreed: false, usersZero: false });
  return mm;
}

export function newTask(k: Kernel, name: string, o: { kthread: boolean; cpu: number; mm: number; prog: Op[]; idle?: boolean; started?: boolean }): TaskInfo {
  const ref = k.m.alloc('task_struct', name, L.TASK_FIELDS);
  k.m.mem[ref + L.T_MM] = o.mm;
  k.m.mem[ref + L.T_ACTIVE_MM] = o.mm;
  const t: TaskInfo = {
    ref, name, kthread: o.kthread, isIdle: !!o.idle, cpu: o.cpu, prog: o.prog, pc: 0,
    state: o.started === false ? 'waiting' : 'runnable', timer: false, pendingWakes: 0, usingMm: NULL,
    heldUsers: 0, reaped: false, pinned: [],
  };
  k.tasks.push(t);
  k.taskByRef.set(ref, t);
  (k.rqTasks[o.cpu] ??= []).push(t);
  return t;
}

/** Execution contexts are reused across runs (allocation is most of a short run's cost). */
function ctxsFor(k: Kernel, c: number): Ctx[] {
  const pool = (k.ctxPool ??= []);
  let cs = pool[c];
  if (!cs) { cs = [new Ctx(c, 0), new Ctx(c, 1), new Ctx(c, 2)]; pool[c] = cs; }
  for (const x of cs) {
    x.gen = null;
    x.sp = 0;
    x.wait = null;
    for (let j = 0; j < x.fsp; j++) { x.fGen[j] = null; x.fFrame[j] = null; }
    x.fsp = 0;
  }
  return cs;
}

/** Fresh run state: memory, init_mm, per-CPU rq/tlbstate/idle. */
export function boot(k: Kernel) {
  if (k.m) k.m.reset();
  else k.m = new Memory(k.ncpus, k.tso);
  k.tasks = [];
  k.taskByRef = new Map();
  k.rqTasks = Array.from({ length: k.ncpus }, () => []);
  k.mms = new Map();
  k.violations = [];
  k.fatal = false;
  k.actions = 0;
  k.trace = [];
  k.counters = Object.create(null);
  k.warnedOnce.clear();
  k.online = k.m.alloc('cpumask', 'cpu_online_mask', L.onlineFields(k.ncpus));
  // init_mm: static mm_users = 2, mm_count = 1; each CPU's idle task then takes a reference.
  k.init_mm = newMm(k, 'init_mm', 2, true);
  k.m.mem[k.init_mm + L.MM_COUNT] = 1 + k.ncpus;
  k.rq = [];
  k.tlb = [];
  k.cpus = [];
  for (let c = 0; c < k.ncpus; c++) {
    const idle = newTask(k, `swapper/${c}`, { kthread: true, cpu: c, mm: NULL, prog: [], idle: true });
    k.m.mem[idle.ref + L.T_ACTIVE_MM] = k.init_mm;
    idle.state = 'running';
    const rq = k.m.alloc('rq', `rq${c}`, L.RQ_FIELDS);
    k.m.mem[rq + L.RQ_CURR] = idle.ref;
    const tlb = k.m.alloc('cpu_tlbstate', `cpu_tlbstate${c}`, L.TLB_FIELDS);
    k.m.mem[tlb + L.TLB_LOADED_MM] = k.init_mm;
    k.m.mem[k.online + c] = 1;
    k.rq.push(rq);
    k.tlb.push(tlb);
    const cpu: CpuState = {
      id: c, curr: idle, idle, irqsOff: false, rqLocked: false, rcuWatching: true, online: true,
      dying: false, dead: false, upRequested: false, pending: [], nmiBudget: 0, nmiArg: {},
      ctx: ctxsFor(k, c), level: 0, nmiSaved: 0, lastF: 0, invStart: 0,
      needPostF: 0, tempMm: NULL,
    };
    k.cpus.push(cpu);
  }
  k.arch.boot?.(k);
}

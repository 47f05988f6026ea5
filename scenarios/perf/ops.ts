// Program operations the performance workloads need, declared as sys_<op> functions (OpMap
// augmentation and opFns(), docs/DEVELOPING.md). They model the workload side (pipes, loops, fork,
// user work); everything mm-related goes through the kernel model's own ops and hooks.
import {
  opFns, opIn, STATE_PARTS, partSlot, counterId, NEXT, YIELD, again, TS_WAITING, TS_DEAD, L, newMm, newTask, wake, refAdd, REF_USERS,
  type Op, type Kernel, type RecordView, type StepRegistry, BASELINE_PARTS,
} from '../../core/model/index.ts';

declare module '../../core/model/program.ts' {
  interface OpMap {
    /** jump back to program index `to`; `times` bounds it (omitted: forever). `ops: false` keeps
     *  it out of the will-it-scale iteration count (an outer loop). */
    loop: { to: number; times?: number; ops?: boolean };
    /** write(2) one byte to a pipe: wakes its reader if it waits */
    pipe_write: { pipe: string };
    /** read(2) one byte from a pipe: blocks (pipe_wait) while it is empty */
    pipe_read: { pipe: string };
    /** fork(2) a single-threaded child process on this CPU running `prog` (then exit);
     *  notifyParent: the child wakes its parent before it exits (exit_notify/wait4) */
    spawn: { prog: Op[]; notifyParent?: boolean };
    /** mmap(2) a fresh anonymous region: the page table its first touch will need (after a munmap
     *  freed the previous one) */
    mmap_region: object;
    /** user-mode work between system calls (costs time only) */
    compute: object;
  }
}

const CNT_ITERATIONS = counterId('iterations');

export const PERF_OPS = opFns({
  sys_loop: {}, sys_pipe_write: {}, sys_pipe_read: {}, sys_spawn: {}, sys_mmap_region: {}, sys_compute: {},
});
declare module '../../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof PERF_OPS> {}
}

/** A pipe: its memory object and its reader, fixed at setup (the same in every run). */
interface Pipe { addr: number; reader: string; readerTid: number }
/** this kernel's pipes by name (Kernel.parts: no hash lookup by kernel per operation) */
const PIPES = partSlot();

/** Create a pipe in a scenario's setup (per run: memory is fresh after boot). */
export function makePipe(k: Kernel, name: string, reader: string) {
  let m = k.parts[PIPES] as Map<string, Pipe> | undefined;
  if (!m) { m = new Map(); k.parts[PIPES] = m; }
  const addr = k.m.alloc('pipe', name, ['pipe_inode_info.nr_bufs']);
  m.set(name, { addr, reader, readerTid: -1 });
}

function pipeOf(k: Kernel, name: string): Pipe {
  const p = (k.parts[PIPES] as Map<string, Pipe> | undefined)?.get(name);
  if (!p) throw new Error(`no pipe '${name}' (create it with makePipe in the scenario's setup)`);
  return p;
}

/** Children spawned so far in this run (names them: repeatable run after run). */
const SPAWN_STATE = { spawned: 'word' } as const;
const spawnState = new WeakMap<Kernel, RecordView<typeof SPAWN_STATE>>();
STATE_PARTS.push({
  declare: (k) => { spawnState.set(k, k.declareRecord('workload spawns', SPAWN_STATE)); },
  boot: (k) => { spawnState.get(k)!.spawned = 0; },
});

function registerPerfOps(r: StepRegistry) {
  r.add('sys_loop', 'loop', (k, _x, f) => {
    const op = opIn<'loop'>(k, f);
    const t = k.task(f.tsk);
    if (op.ops !== false) k.countId(CNT_ITERATIONS);
    const at = t.pc - 1;
    if (op.times === undefined) t.pc = op.to;
    else {
      const left = (t.loopLeft(at) ?? op.times) - 1;
      if (left > 0) { t.setLoopLeft(at, left); t.pc = op.to; } else t.setLoopLeft(at, 0);
    }
    return YIELD; // a scheduling point: a loop never spins inside one event
  });

  // Resume point 1: after the count's update, the wakeup of a waiting reader.
  r.add('sys_pipe_write', 'pipe_write', (k, x, f, pc) => {
    const p = pipeOf(k, opIn<'pipe_write'>(k, f).pipe);
    if (pc === 0) {
      const v = k.ld(x, p.addr);
      k.st(x, p.addr, v + 1);
      return again(1);
    }
    // wake_up_interruptible_sync_poll(&pipe->rd_wait): try_to_wake_up() if the reader sleeps.
    if (p.readerTid < 0) p.readerTid = k.taskByName(p.reader)?.tid ?? -1;
    const rd = p.readerTid >= 0 ? k.tasks[p.readerTid] : undefined;
    if (rd && rd.state === TS_WAITING) {
      k.st(x, rd.ref + L.T_STATE, L.TASK_RUNNING);
      wake(k, rd);
      return YIELD;
    }
    return NEXT;
  });

  r.add('sys_pipe_read', 'pipe_read', (k, x, f) => {
    const p = pipeOf(k, opIn<'pipe_read'>(k, f).pipe);
    const t = k.task(f.tsk);
    // The check and prepare_to_wait() are one step: no wakeup can fall between them.
    const v = k.ld(x, p.addr);
    if (v > 0) {
      k.st(x, p.addr, v - 1);
      return YIELD;
    }
    t.state = TS_WAITING;
    k.st(x, t.ref + L.T_STATE, L.TASK_INTERRUPTIBLE);
    t.pc--; // pipe_wait(): the read goes on after the wakeup
    k.fpGlobal();
    return YIELD;
  });

  r.add('sys_spawn', 'fork', (k, x, f) => {
    const op = opIn<'spawn'>(k, f);
    const t = k.task(f.tsk);
    const s = spawnState.get(k)!;
    const seq = ++s.spawned;
    const name = `${t.name}.c${seq}`;
    // copy_mm() of a fork: a new mm with one user (the child); dup_mmap's work is in op.spawn's cost.
    const mm = newMm(k, name, 1, false, 0);
    const prog: Op[] = op.notifyParent ? [...op.prog, { op: 'wake', task: t.name }] : op.prog.slice();
    const child = newTask(k, `${name}.t0`, { kthread: false, cpu: x.cpu, mm, prog, started: true });
    refAdd(k, mm, REF_USERS, child.ref + L.T_MM, 'fork'); // the child's mm_users reference
    k.fpGlobal();
    return YIELD;
  });

  r.add('sys_mmap_region', 'mmap_region', (k, x, f) => {
    const mm = k.ld(x, f.tsk + L.T_MM);
    const mi = k.mmInfo(mm);
    if (mi && mi.pt2Freed) {
      mi.pt2 = k.m.alloc('page table', `${mi.name}.pte2`, L.PT_FIELDS);
      mi.pt2Freed = false;
    }
    return YIELD;
  });

  r.add('sys_compute', 'compute', () => YIELD);
}
BASELINE_PARTS.push(registerPerfOps);

export { TS_DEAD };

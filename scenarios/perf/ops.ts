// Program operations the performance workloads need, added through OpMap augmentation and
// registerOp (docs/DEVELOPING.md). They model the workload side (pipes, loops, fork, user work);
// everything mm-related goes through the kernel model's own ops and hooks.
import { registerOp, type Op } from '../../core/program.ts';
import type { Kernel, TaskInfo } from '../../core/kernel.ts';
import * as L from '../../core/layout.ts';
import { wake } from '../../core/kernel/sched.ts';
import { newMm, newTask } from '../../core/kernel/boot.ts';

declare module '../../core/program.ts' {
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

interface Pipe { addr: number; reader: string; readerTask: TaskInfo | null }
const PIPES = new WeakMap<Kernel, Map<string, Pipe>>();

/** Create a pipe in a scenario's setup (per run: memory is fresh after boot). */
export function makePipe(k: Kernel, name: string, reader: string) {
  let m = PIPES.get(k);
  if (!m) { m = new Map(); PIPES.set(k, m); }
  const addr = k.m.alloc('pipe', name, ['pipe_inode_info.nr_bufs']);
  m.set(name, { addr, reader, readerTask: null });
}

function pipeOf(k: Kernel, name: string): Pipe {
  const p = PIPES.get(k)?.get(name);
  if (!p) throw new Error(`no pipe '${name}' (create it with makePipe in the scenario's setup)`);
  return p;
}

const LOOPS = new WeakMap<TaskInfo, Map<number, number>>();

registerOp('loop', function* (k, x, t, op) {
  if (op.ops !== false) k.count('iterations');
  const at = t.pc - 1;
  if (op.times === undefined) t.pc = op.to;
  else {
    let m = LOOPS.get(t);
    if (!m) { m = new Map(); LOOPS.set(t, m); }
    const left = (m.get(at) ?? op.times) - 1;
    if (left > 0) { m.set(at, left); t.pc = op.to; } else m.delete(at);
  }
  yield 0; // a scheduling point: a loop never spins inside one event
});

registerOp('pipe_write', function* (k, x, _t, op) {
  const p = pipeOf(k, op.pipe);
  const v = k.ld(x, p.addr);
  k.st(x, p.addr, v + 1);
  yield 0;
  // wake_up_interruptible_sync_poll(&pipe->rd_wait): try_to_wake_up() if the reader sleeps.
  const r = (p.readerTask ??= k.tasks.find((o) => o.name === p.reader) ?? null);
  if (r && r.state === 'waiting') {
    k.st(x, r.ref + L.T_STATE, L.TASK_RUNNING);
    wake(k, r);
    yield 0;
  }
});

registerOp('pipe_read', function* (k, x, t, op) {
  const p = pipeOf(k, op.pipe);
  // The check and prepare_to_wait() are one step: no wakeup can fall between them.
  const v = k.ld(x, p.addr);
  if (v > 0) {
    k.st(x, p.addr, v - 1);
    yield 0;
    return;
  }
  t.state = 'waiting';
  k.st(x, t.ref + L.T_STATE, L.TASK_INTERRUPTIBLE);
  t.pc--; // pipe_wait(): the read goes on after the wakeup
  k.fpGlobal();
  yield 0;
});

/** Child numbering per run (k.mms is fresh at every boot), so names repeat run after run. */
const SPAWNED = new WeakMap<object, number>();
registerOp('spawn', function* (k, x, t, op) {
  // release_task() of children that are dead and switched away from: keeps the task list short.
  if (k.tasks.some((o) => o.state === 'dead' && o.reaped)) {
    k.tasks = k.tasks.filter((o) => !(o.state === 'dead' && o.reaped));
    for (const [ref, o] of k.taskByRef) if (o.state === 'dead' && o.reaped) k.taskByRef.delete(ref);
  }
  const seq = (SPAWNED.get(k.mms) ?? 0) + 1;
  SPAWNED.set(k.mms, seq);
  const name = `${t.name}.c${seq}`;
  // copy_mm() of a fork: a new mm with one user (the child); dup_mmap's work is in op.spawn's cost.
  const mm = newMm(k, name, 1);
  const prog: Op[] = op.notifyParent ? [...op.prog, { op: 'wake', task: t.name }] : op.prog.slice();
  newTask(k, `${name}.t0`, { kthread: false, cpu: x.cpu, mm, prog, started: true });
  k.fpGlobal();
  yield 0;
});

registerOp('mmap_region', function* (k, x, t) {
  const mm = k.ld(x, t.ref + L.T_MM);
  const mi = k.mmInfo(mm);
  if (mi && mi.pt2Freed) {
    mi.pt2 = k.m.alloc('page table', `${mi.name}.pte2`, L.PT_FIELDS);
    mi.pt2Freed = false;
  }
  yield 0;
});

registerOp('compute', function* () {
  yield 0;
});

// What tasks do: a scenario gives each task a program of system-call-level operations. The
// explorer decides when each CPU moves; the program only says what the task wants.
//
// Each operation is a kernel function `sys_<op>` (baseline/syscalls.ts) whose frame holds the task
// and the index of the op in its program; traces label its steps `sys_<op>`. OpMap is open: a
// module that adds operations augments it (declare module ... interface OpMap), declares its
// `sys_<op>` function with opFns() and registers its steps like any other function's.
import { labelledFns, task, int, type Schema } from './fns.ts';

export interface OpMap {
  touch: object; // user-space access to the task's mm (a membarrier ACCESS event)
  store: { v: 'x' | 'y'; val: number }; // user store (litmus)
  load: { v: 'x' | 'y'; reg: string }; // user load into a named register (litmus)
  sleep: object; // nanosleep: block until this CPU's timer fires
  wait: object; // block until another task wakes us
  wake: { task: string };
  exit: object;
  exec: object; // execve into a fresh mm
  clone: { task: string }; // start a prepared thread (CLONE_VM: mmget)
  munmap: object; // unmap and free page tables: a freed_tables TLB flush
  madvise_dontneed: object; // zap without freeing tables
  membarrier: object; // MEMBARRIER_CMD_PRIVATE_EXPEDITED
  kthread_use_mm: { mm: string };
  kthread_unuse_mm: object;
  mmget_not_zero: { mm: string };
  mmput: { mm: string };
  mmdrop: { mm: string }; // drop a reference the task pinned (see ScenarioBuilder.kthread pins)
  cpu_down: { cpu: number };
  cpu_up: { cpu: number };
  text_poke: object;
  efi_call: object;
  cpuidle_tlb_flushed: object;
}

export type Op = { [K in keyof OpMap]: { op: K } & OpMap[K] }[keyof OpMap];
export type OpName = keyof OpMap & string;

/** The implicit last operation of a user task whose program has ended. */
export const IMPLICIT_EXIT = -1;
const EXIT_OP: Op = { op: 'exit' };

/** Declare the kernel functions of operations: `sys_<op>` with the frame { tsk, op } plus the
 *  locals given. Traces label their steps `sys_<op>`. */
export function opFns<const S extends Record<string, Schema>>(s: S): { [K in keyof S]: S[K] & { tsk: typeof task; op: typeof int } } {
  const withArgs: Record<string, Schema> = {};
  for (const [name, schema] of Object.entries(s)) {
    if (!name.startsWith('sys_')) throw new Error(`operation function ${name} must be named sys_<op>`);
    withArgs[name] = { tsk: task, op: int, ...(schema as Record<string, never>) };
  }
  labelledFns((n) => n, withArgs);
  return withArgs as never;
}

/** The op a sys_<op> frame runs. */
export function opOf(prog: readonly Op[], i: number): Op {
  return i === IMPLICIT_EXIT ? EXIT_OP : prog[i];
}

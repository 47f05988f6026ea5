// What tasks do: a scenario gives each task a program of system-call-level operations. The
// explorer decides when each CPU moves; the program only says what the task wants.
//
// OpMap is open: a module that adds operations augments it (declare module ... interface OpMap)
// and registers a handler with registerOp().
import type { Kernel, Ctx, TaskInfo } from './kernel.ts';

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

export type OpHandler = (k: Kernel, x: Ctx, t: TaskInfo, op: Op) => Generator<number, void, unknown>;
export const EXTRA_OPS = new Map<string, OpHandler>();

/** Register the handler of an operation declared by augmenting OpMap. */
export function registerOp<K extends keyof OpMap>(name: K, h: (k: Kernel, x: Ctx, t: TaskInfo, op: { op: K } & OpMap[K]) => Generator<number, void, unknown>) {
  EXTRA_OPS.set(name, h as OpHandler);
}

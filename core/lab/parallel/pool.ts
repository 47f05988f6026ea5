// A small pool of worker threads (node:worker_threads, no library: what we need beyond a task
// queue is cancelling a task that is no longer wanted, a kernel cache per thread, errors that
// keep their class, and the main thread working too, which pools such as piscina do not give).
// Each worker runs pool-worker.mjs beside this module: core/lab/parallel/pool-worker.mjs (the
// TypeScript sources through tsx, as bin/lazymm.mjs runs them) or, from the build,
// dist/pool-worker.mjs.
import { Worker } from 'node:worker_threads';
import { UsageError, UntestableError } from '../errors.ts';
import { RunawayError, ScheduleError } from '../../model/engine.ts';
import type { Task, Result } from './tasks.ts';

/** The verb being run: a worker loads its module before any task (worker-main.ts). */
export const workerSetup = { verb: '' };

const ERRORS: Record<string, new (m: string) => Error> = { UsageError, UntestableError, RunawayError, ScheduleError };

/** An error thrown by a task, rebuilt with its class (the CLI maps classes to exit codes). */
export function rebuildError(e: { name: string; message: string; stack?: string }): Error {
  const C = ERRORS[e.name];
  const x = C ? new C(e.message) : new Error(e.message);
  if (!C) x.name = e.name;
  if (e.stack) x.stack = e.stack;
  return x;
}

export function errorData(e: unknown): { name: string; message: string; stack?: string } {
  if (e instanceof Error) return { name: e.constructor.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

interface Slot {
  worker: Worker;
  /** tasks with an id up to this one are no longer wanted (read by the worker's stop()) */
  cancel: Int32Array;
  pending: Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>;
  lastId: number;
}

/** Tasks queued on a worker: while it runs one, the next ones are already there, so a worker does
 *  not wait for the main thread (busy with a task of its own) to hand it work. */
export const DEPTH = 4;

export class Pool {
  private slots: Slot[] = [];
  private waiting: (() => void)[] = [];
  private closed = false;
  private nextId = 1;

  constructor(readonly size: number) {}

  private spawn(): Slot {
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(new URL('./pool-worker.mjs', import.meta.url), { workerData: { cancel, verb: workerSetup.verb } });
    const slot: Slot = { worker, cancel, pending: new Map(), lastId: 0 };
    const fail = (e: Error) => {
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
    };
    worker.on('message', (m: { id: number; ok: boolean; result?: Result; error?: { name: string; message: string; stack?: string } }) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.ok) p.resolve(m.result!);
      else p.reject(rebuildError(m.error!));
      this.waiting.shift()?.();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`internal: a worker thread exited (code ${code}) during a task`)));
    this.slots.push(slot);
    return slot;
  }

  /** Run a task on the least busy of the first `workers` workers (starting one while fewer run). */
  async run(task: Task, workers = this.size): Promise<Result> {
    for (;;) {
      if (this.closed) throw new Error('internal: pool closed');
      const n = Math.min(workers, this.size);
      let slot = this.slots.slice(0, n).reduce<Slot | undefined>((b, s) => (!b || s.pending.size < b.pending.size ? s : b), undefined);
      if ((!slot || slot.pending.size > 0) && this.slots.length < n) slot = this.spawn();
      if (slot && slot.pending.size < DEPTH) {
        const id = this.nextId++;
        slot.lastId = id;
        const s = slot;
        return new Promise<Result>((resolve, reject) => {
          s.pending.set(id, { resolve, reject });
          s.worker.postMessage({ id, task });
        });
      }
      await new Promise<void>((r) => this.waiting.push(r));
    }
  }

  /** Run a task on worker i (started if need be): a search that keeps state on its workers
   *  between tasks (verify-bfs.ts) talks to each one by index. */
  runOn(i: number, task: Task, transfer: ArrayBuffer[] = []): Promise<Result> {
    if (this.closed) return Promise.reject(new Error('internal: pool closed'));
    while (this.slots.length <= i) this.spawn();
    const s = this.slots[i];
    const id = this.nextId++;
    s.lastId = id;
    return new Promise<Result>((resolve, reject) => {
      s.pending.set(id, { resolve, reject });
      s.worker.postMessage({ id, task }, transfer);
    });
  }

  /** Tell every worker that the tasks it was given so far are no longer wanted. */
  cancelAll() {
    for (const s of this.slots) Atomics.store(s.cancel, 0, s.lastId);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
    for (const w of this.waiting.splice(0)) w();
  }
}

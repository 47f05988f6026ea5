// The runner of the command being run (the implementations are in runner.ts): the verbs and the
// searches ask for it here, so that they do not import the task handlers that import them.
import type { Task, ResultOf } from './tasks.ts';

export type R<T extends Task> = ResultOf[T['kind']];

export interface Runner {
  /** local: --jobs 1; pool: --jobs N; shard: --shard k/n (prints a partial result, nothing else);
   *  replay: lazymm merge */
  readonly kind: 'local' | 'pool' | 'shard' | 'replay';
  readonly jobs: number;
  /** Results in task order until `fold` returns false. */
  ordered<T extends Task>(tasks: T[], fold: (i: number, r: R<T>) => boolean): Promise<void>;
  /** Every result, in task order. */
  all<T extends Task>(tasks: T[]): Promise<R<T>[]>;
  /** The whole list of tasks an adaptive command (bisect) may ask for. A shard runs its share
   *  of it and ends the command; the others ignore it. */
  declare(tasks: Task[]): Promise<void>;
  /** Tasks likely to be asked for next, most likely first: a pool starts them early. */
  prefetch(tasks: Task[]): void;
  /** One task's result. */
  get<T extends Task>(task: T): Promise<R<T>>;
  close(): Promise<void>;
}

let current: Runner | null = null;
let serial: Runner | null = null;

/** runner.ts gives its serial runner, for a verb run outside withRunner() (a library call). */
export function setSerialRunner(r: Runner) {
  serial = r;
}

/** The runner of the command being run. */
export function currentRunner(): Runner {
  const r = current ?? serial;
  if (!r) throw new Error('internal: no runner (core/lab/parallel/runner.ts is not loaded)');
  return r;
}

export async function withRunner<T>(r: Runner, f: () => Promise<T>): Promise<T> {
  const prev = current;
  current = r;
  try {
    return await f();
  } finally {
    current = prev;
    await r.close();
  }
}

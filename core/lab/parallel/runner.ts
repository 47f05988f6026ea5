// Where the tasks of a command run. A command lists its tasks in a canonical order and folds the
// results in that order, so the outcome never depends on which task finished first:
//   local   (--jobs 1)   one after the other on the main thread;
//   pool    (--jobs N)   the main thread and N-1 worker threads (pool.ts);
//   shard   (--shard k/n) this process runs its share of the command's task list, writes the
//                        results as a partial (shard.ts) and ends the command there;
//   replay  (lazymm merge) the results come from the shards' partials; nothing is run.
// A fold returns false when it needs no more results (a violation was found, the budget is
// spent): the remaining tasks are not run, or their workers are told to stop.
import { runTask, type Task, type Result } from './tasks.ts';
import { setSerialRunner, type Runner, type R } from './current.ts';
import { Pool, DEPTH, errorData, rebuildError } from './pool.ts';
import { decode, encode } from './codec.ts';
import { UsageError } from '../errors.ts';

export const taskKey = (t: Task): string => encode(t);

/** A task's result, or the error it threw (rethrown where the fold reaches it, as a serial run
 *  would have met it). */
type Outcome = { ok: true; r: Result } | { ok: false; e: unknown };

async function settle(p: Promise<Result>): Promise<Outcome> {
  try { return { ok: true, r: await p }; } catch (e) { return { ok: false, e }; }
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** ordered() on top of outcomes: an error stops the fold and is thrown. */
async function foldResults<T extends Task>(run: (f: (i: number, o: Outcome) => boolean) => Promise<void>, fold: (i: number, r: R<T>) => boolean): Promise<void> {
  let failure: { e: unknown } | null = null;
  await run((i, o) => {
    if (!o.ok) { failure = { e: o.e }; return false; }
    return fold(i, o.r as R<T>);
  });
  if (failure) throw (failure as { e: unknown }).e;
}

export class LocalRunner implements Runner {
  readonly kind = 'local';
  readonly jobs: number = 1;
  async outcomes(tasks: Task[], fold: (i: number, o: Outcome) => boolean): Promise<void> {
    for (let i = 0; i < tasks.length; i++) if (!fold(i, await settle(runTask(tasks[i], () => false)))) return;
  }
  ordered<T extends Task>(tasks: T[], fold: (i: number, r: R<T>) => boolean): Promise<void> {
    return foldResults((f) => this.outcomes(tasks, f), fold);
  }
  async all<T extends Task>(tasks: T[]): Promise<R<T>[]> {
    const out: R<T>[] = [];
    await this.ordered(tasks, (_i, r) => { out.push(r); return true; });
    return out;
  }
  async declare(): Promise<void> {}
  prefetch(): void {}
  async get<T extends Task>(task: T): Promise<R<T>> { return (await runTask(task, () => false)) as R<T>; }
  async close(): Promise<void> {}
}

export class PoolRunner implements Runner {
  readonly kind = 'pool';
  private pool: Pool;
  /** started tasks (get/prefetch) by key */
  private started = new Map<string, Promise<Result>>();
  private queue: Task[] = [];
  private inflight = 0;

  constructor(readonly jobs: number) {
    this.pool = new Pool(jobs);
  }

  ordered<T extends Task>(tasks: T[], fold: (i: number, r: R<T>) => boolean): Promise<void> {
    return foldResults((f) => this.outcomes(tasks, f), fold);
  }

  async outcomes(tasks: Task[], fold: (i: number, o: Outcome) => boolean): Promise<void> {
    const results = new Map<number, Outcome>();
    const cancels = new Map<number, () => void>();
    let next = 0, at = 0, stopped = false;
    let stoppedNow: () => void = () => {};
    const onStop = new Promise<void>((r) => { stoppedNow = r; });
    const drain = () => {
      while (!stopped && results.has(at)) {
        const o = results.get(at)!;
        results.delete(at);
        if (!fold(at, o)) stopped = true;
        at++;
      }
      if (stopped) {
        for (const c of cancels.values()) c();
        this.pool.cancelAll();
        stoppedNow();
      }
    };
    // The main thread works too: it takes the next task whenever it comes back to the loop.
    const main = async () => {
      while (!stopped && next < tasks.length) {
        await turn();
        if (stopped || next >= tasks.length) break;
        const i = next++;
        let cancelled = false;
        cancels.set(i, () => { cancelled = true; });
        results.set(i, await settle(runTask(tasks[i], () => cancelled)));
        cancels.delete(i);
        drain();
      }
    };
    const worker = async () => {
      while (!stopped && next < tasks.length) {
        const i = next++;
        const o = await settle(this.pool.run(tasks[i], this.jobs - 1));
        if (stopped) break;
        results.set(i, o);
        drain();
      }
    };
    const nw = Math.min((this.jobs - 1) * DEPTH, tasks.length - 1);
    // Done when every task is folded, or as soon as the fold stops: tasks still running on
    // workers were told to stop, and their results are not wanted (close() ends the workers).
    await Promise.race([Promise.all([main(), ...Array.from({ length: Math.max(0, nw) }, worker)]), onStop]);
  }

  async all<T extends Task>(tasks: T[]): Promise<R<T>[]> {
    const out: R<T>[] = [];
    await this.ordered(tasks, (_i, r) => { out.push(r); return true; });
    return out;
  }

  async declare(): Promise<void> {}

  prefetch(tasks: Task[]): void {
    this.queue = tasks.filter((t) => !this.started.has(taskKey(t)));
    this.pump();
  }

  /** Start queued (speculative) tasks while workers are free. */
  private pump() {
    while (this.inflight < this.jobs && this.queue.length) this.start(this.queue.shift()!);
  }

  private start(t: Task): Promise<Result> {
    const key = taskKey(t);
    let p = this.started.get(key);
    if (p) return p;
    this.inflight++;
    p = this.pool.run(t).finally(() => { this.inflight--; this.pump(); });
    p.catch(() => {}); // rethrown to whoever asks for it
    this.started.set(key, p);
    return p;
  }

  async get<T extends Task>(task: T): Promise<R<T>> {
    return (await this.start(task)) as R<T>;
  }

  /** A task on worker i (0-based; the main thread is not one of them). */
  on<T extends Task>(i: number, task: T, transfer: ArrayBuffer[] = []): Promise<R<T>> {
    return this.pool.runOn(i, task, transfer) as Promise<R<T>>;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** Thrown by a shard's runner once its share is done: the CLI writes the partial and exits. */
export class ShardDone extends Error {
  constructor(readonly partial: string) { super('shard done'); this.name = 'ShardDone'; }
}

export interface ShardSpec { k: number; n: number }

/** The share of shard k/n: tasks k-1, k-1+n, ... (round robin: neighbouring tasks, which often
 *  cost alike, go to different shards). */
export const inShare = (i: number, s: ShardSpec) => i % s.n === s.k - 1;

export class ShardRunner implements Runner {
  readonly kind = 'shard';
  readonly jobs: number;
  private inner: LocalRunner | PoolRunner;
  constructor(readonly shard: ShardSpec, readonly argv: string[], jobs: number) {
    this.jobs = jobs;
    this.inner = jobs > 1 ? new PoolRunner(jobs) : new LocalRunner();
  }

  /** tasks run before the share was declared (bisect's ends: every shard tests them) */
  private early: [string, Result][] = [];

  private finish(tasks: Task[], results: Map<number, Result | TaskError>, t0: number): never {
    const out: [string, Result | TaskError][] = [...this.early];
    for (const [i, r] of [...results].sort((a, b) => a[0] - b[0])) out.push([taskKey(tasks[i]), r]);
    throw new ShardDone(encodePartial({
      lazymm: 'partial', version: PARTIAL_VERSION, argv: this.argv, shard: this.shard,
      tasks: tasks.length, results: out, seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
    }));
  }

  async ordered<T extends Task>(tasks: T[], fold: (i: number, r: R<T>) => boolean): Promise<void> {
    // The fold sees this shard's results only, a subsequence of all: the folds used with shards
    // stop only on what a subsequence already proves (a violation at i; a budget spent by i).
    const t0 = performance.now();
    const mine = tasks.map((t, i) => [t, i] as const).filter(([, i]) => inShare(i, this.shard));
    const results = new Map<number, Result | TaskError>();
    await this.inner.outcomes(mine.map(([t]) => t), (j, o) => {
      // an error ends the share: a serial run would stop there too
      if (!o.ok) { results.set(mine[j][1], { $taskError: errorData(o.e) }); return false; }
      results.set(mine[j][1], o.r);
      return fold(mine[j][1], o.r as R<T>);
    });
    this.finish(tasks, results, t0);
  }

  async all<T extends Task>(tasks: T[]): Promise<R<T>[]> {
    await this.ordered(tasks, () => true);
    throw new Error('unreachable');
  }

  async declare(tasks: Task[]): Promise<void> {
    await this.ordered(tasks, () => true);
  }

  prefetch(): void {}
  /** A task asked for before the share is declared: run here, and kept in the partial. */
  async get<T extends Task>(task: T): Promise<R<T>> {
    const r = await runTask(task, () => false);
    this.early.push([taskKey(task), r]);
    return r as R<T>;
  }
  async close(): Promise<void> { await this.inner.close(); }
}

export const PARTIAL_VERSION = 1;

export interface Partial {
  lazymm: 'partial';
  version: number;
  /** the command line, without --shard/--jobs */
  argv: string[];
  shard: ShardSpec;
  /** the number of tasks in the command's list */
  tasks: number;
  results: [string, Result | TaskError][];
  seconds: number;
}

/** A task's error, kept in a partial (merge throws it where the command meets it). */
export interface TaskError { $taskError: { name: string; message: string; stack?: string } }

export const encodePartial = (p: Partial) => encode(p) + '\n';
export const decodePartial = (s: string) => decode(s) as Partial;

/** The error a merge reports (exit 2, like any bad input). */
export class MergeError extends UsageError {}

export class ReplayRunner implements Runner {
  readonly kind = 'replay';
  readonly jobs = 1;
  constructor(private readonly results: Map<string, Result | TaskError>) {}
  private take(t: Task): Result {
    const r = this.results.get(taskKey(t));
    if (r === undefined) throw new MergeError('the partial results lack a task the command needs: were all shards run with the same lazymm version and inputs?');
    if (typeof r === 'object' && r !== null && '$taskError' in r) throw rebuildError(r.$taskError);
    return r;
  }
  async ordered<T extends Task>(tasks: T[], fold: (i: number, r: R<T>) => boolean): Promise<void> {
    for (let i = 0; i < tasks.length; i++) if (!fold(i, this.take(tasks[i]) as R<T>)) return;
  }
  async all<T extends Task>(tasks: T[]): Promise<R<T>[]> { return tasks.map((t) => this.take(t) as R<T>); }
  async declare(): Promise<void> {}
  prefetch(): void {}
  async get<T extends Task>(task: T): Promise<R<T>> { return this.take(task) as R<T>; }
  async close(): Promise<void> {}
}

setSerialRunner(new LocalRunner());

export { currentRunner, withRunner, type Runner, type R } from './current.ts';
export { decode, encode };

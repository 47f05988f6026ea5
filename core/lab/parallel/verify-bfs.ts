// explore --strategy verify --search bfs: the breadth-first exhaustive search of
// core/model/drivers/verify-bfs.ts over --jobs threads. The main thread owns some states and each
// worker others (by hash); each level, every thread settles the states sent to it, then expands
// its states and hands the successors it does not own back here, which passes each to its owner
// (states cross threads packed, with the strings they name). The result does not depend on the
// number of threads (verify-bfs.ts says why): --jobs 1 prints what --jobs 16 prints, but for the
// memory figure.
import type { Kernel, ScenarioDef } from '../../model/index.ts';
import { primaryViolation } from '../../model/index.ts';
import { BfsHost, edgeLess, newStrings, learnStrings, type Candidate } from '../../model/drivers/verify-bfs.ts';
import { minimizeAndTrace, type ExploreOptions, type ExploreResult } from '../../model/drivers/explore.ts';
import type { ConfigWords } from '../config.ts';
import { FN_DECLS } from '../../model/fns.ts';
import { UsageError } from '../errors.ts';
import type { Runner } from './current.ts';
import type { PoolRunner } from './runner.ts';
import { kernelFor } from './kernels.ts';
import type { ConfigRef } from './explore.ts';

// ---- the worker side ------------------------------------------------------------------------------

export type BfsTask =
  | { kind: 'bfs'; op: 'open'; session: number; scenario: string; words: ConfigWords; host: number; hosts: number; por: boolean; layout: string }
  | { kind: 'bfs'; op: 'step'; session: number; level: number; buffers: Int32Array[]; strings: string[] }
  | { kind: 'bfs'; op: 'parent'; session: number; id: number }
  | { kind: 'bfs'; op: 'close'; session: number };

/** One level on one thread: settled (its states), then expanded (the next level's transitions). */
export interface BfsReply {
  states?: number;
  bytes?: number;
  counters?: Record<string, number>;
  /** violations at this level (final states) */
  finals?: Candidate[];
  /** violations one level down (successors) */
  next?: Candidate[];
  transitions?: number;
  /** packed transitions for each thread (null: none, or this one) */
  buffers?: (Int32Array | null)[];
  strings?: string[];
  parent?: [number, number, number];
  /** transitions kept here for the next level */
  waiting?: number;
}

/** One level of a host: take the transitions sent to it, settle, expand (the expansion is thrown
 *  away when the search stops at this level: it then counts nothing). */
function step(h: BfsHost, level: number, buffers: Int32Array[]): BfsReply {
  for (const b of buffers) h.receive(b);
  const finals = h.settle(level);
  const states = h.states, bytes = h.bytes, counters = { ...h.counters() };
  const r = h.expand();
  return { states, bytes, counters, finals, next: r.candidates, transitions: r.transitions, buffers: r.out, waiting: h.waiting };
}

interface Session { host: BfsHost; sent: number }
const sessions = new Map<number, Session>();

export async function bfsTask(t: BfsTask): Promise<BfsReply> {
  if (t.op === 'open') {
    const { sc, k } = await kernelFor(t.scenario, t.words);
    if (layoutOf(k) !== t.layout)
      throw new Error('internal: this worker numbers kernel functions, frame fields or state regions otherwise than the main thread (its modules were loaded in another order): it cannot take states from it');
    sessions.set(t.session, { host: new BfsHost(k, sc, t.host, t.hosts, t.por), sent: 0 });
    return {};
  }
  const s = sessions.get(t.session);
  if (!s) throw new Error(`internal: no search session ${t.session} on this worker`);
  switch (t.op) {
    case 'step': {
      learnStrings(t.strings);
      const r = step(s.host, t.level, t.buffers);
      const strs = newStrings(s.sent);
      s.sent = strs.count;
      return { ...r, strings: strs.strings };
    }
    case 'parent': return { parent: s.host.parentOf(t.id) };
    case 'close': sessions.delete(t.session); return {};
  }
}

/** The buffers a reply or task can hand over without a copy. */
export function bfsTransfer(x: { buffers?: (Int32Array | null)[] }): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const b of x.buffers ?? []) if (b && b.buffer instanceof ArrayBuffer) out.add(b.buffer);
  return [...out];
}

/** What a packed state's words mean: kernel functions and their frame layouts, state regions. */
export function layoutOf(k: Kernel): string {
  return JSON.stringify([FN_DECLS.map((d) => [d.name, d.alias, d.fields]), k.runState.regions.map((r) => [r.name, r.type])]);
}

// ---- the main thread --------------------------------------------------------------------------------

let sessionIds = 0;
type DistOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Threads at most: past this, a level's exchange costs more than the threads give. */
export const MAX_THREADS = 16;

export async function verifyBfsOn(runner: Runner, ref: ConfigRef, k: Kernel, sc: ScenarioDef, o: ExploreOptions): Promise<ExploreResult> {
  if (runner.kind !== 'local' && runner.kind !== 'pool')
    throw new UsageError('--search bfs shares one search between the threads of one machine; it cannot be split across --shard processes');
  if ((o.storage ?? 'exact') !== 'exact') throw new UsageError('--search bfs keeps exact visited sets: --storage does not apply');
  const pool = runner.kind === 'pool' ? (runner as PoolRunner) : null;
  const hosts = pool ? Math.min(runner.jobs, MAX_THREADS) : 1;
  const por = true;
  const session = ++sessionIds;
  const main = new BfsHost(k, sc, 0, hosts, por);
  const w = (i: number, t: DistOmit<BfsTask, 'kind' | 'session'>) => {
    const task = { kind: 'bfs', session, ...t } as BfsTask;
    return pool!.on(i - 1, task, bfsTransfer(task as { buffers?: Int32Array[] })) as Promise<BfsReply>;
  };
  const workers = Array.from({ length: hosts - 1 }, (_, i) => i + 1);
  const sent = new Array(hosts).fill(0);
  let inbox: Int32Array[][] = Array.from({ length: hosts }, () => []);
  let transitions = 0, depth = 0, states = 0, bytes = 0, complete = true, interrupted = false;
  let carry: Candidate[] = [];
  let counters: Record<string, number>[] = [];
  let found: Candidate | null = null;
  try {
    const layout = layoutOf(k);
    await Promise.all(workers.map((i) => w(i, { op: 'open', scenario: ref.scenario, words: ref.words, host: i, hosts, por, layout })));
    const root = BfsHost.root(k, sc, hosts);
    inbox[root.host].push(root.buf);
    for (let level = 0; ; level++) {
      // every thread: this level's transitions in, its states settled, then expanded (the
      // workers' requests go out first: the main thread's part runs synchronously)
      const remote = workers.map((h) => {
        const strings = newStrings(sent[h]);
        sent[h] = strings.count;
        return w(h, { op: 'step', level, buffers: inbox[h], strings: strings.strings });
      });
      const here = step(main, level, inbox[0]);
      inbox = Array.from({ length: hosts }, () => []);
      const replies = [here, ...(await Promise.all(remote))];
      const total = replies.reduce((n, r) => n + r.states!, 0);
      if (total > states) depth = level;
      states = total; if (process.env.BFS_DEBUG) process.stderr.write(`L${level} ${replies.map((r) => r.states).join("/")} tr ${replies.map((r) => r.transitions).join("/")} sent ${replies.map((r) => r.buffers!.map((b) => (b ? b[0] : 0)).join("+")).join("/")}\n`);
      bytes = replies.reduce((n, r) => n + r.bytes!, 0);
      counters = replies.map((r) => r.counters!);
      const cands = carry.concat(...replies.map((r) => r.finals!));
      if (cands.length) { found = cands.reduce((b, c) => (edgeLess(c, b) ? c : b)); complete = false; break; }
      o.progress?.(states, o.budget);
      if (states >= o.budget) { complete = false; break; }
      if (o.stop?.()) { complete = false; interrupted = true; break; }
      let more = false;
      carry = [];
      for (const r of replies) {
        learnStrings(r.strings ?? []);
        transitions += r.transitions!;
        carry.push(...r.next!);
        if (r.waiting) more = true;
        r.buffers!.forEach((b, h) => { if (b) { more = true; inbox[h].push(b); } });
      }
      if (!more && !carry.length) break; // every reachable state is stored
    }
    let events: number[] = [];
    if (found) {
      events = [found.e];
      let [h, id] = [found.pp, found.pid];
      for (;;) {
        const [ph, pid, e] = h === 0 ? main.parentOf(id) : (await w(h, { op: 'parent', id })).parent!;
        if (ph < 0) break;
        events.unshift(e);
        [h, id] = [ph, pid];
      }
    }
    const sum: Record<string, number> = {};
    for (const c of counters) for (const key in c) sum[key] = (sum[key] ?? 0) + c[key];
    const f = found as Candidate | null;
    const m = f ? minimizeAndTrace(k, sc, events, primaryViolation(f.violations)!, o.maxSteps) : { violations: [], trace: [] };
    return {
      ...m, schedulesExplored: 0, steps: transitions, complete, counters: sum, interrupted,
      coverage: { kind: interrupted ? 'interrupted' : complete ? 'verified' : 'sampled', states, transitions, schedules: null, bound: null, strategy: 'verify', seed: null },
      verify: { states, transitions, depth, bytes, storage: 'exact' },
    };
  } finally {
    await Promise.all(workers.map((h) => w(h, { op: 'close' }).catch(() => {})));
  }
}

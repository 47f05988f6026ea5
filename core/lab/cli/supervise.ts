// The supervisor: the CLI's main thread runs no model code. It starts the model thread
// (worker.ts), and from outside it
//  - runs the watchdog: a step, setup(), forbid() or apply() that has not returned within the
//    limit (marks in core/model/watch.ts) is stopped with the thread and reported by name, exit 2;
//  - turns SIGINT/SIGTERM into a stop request the verb sees at its next schedule boundary (a
//    second signal stops at once);
//  - reports a thread that dies (out of memory, an error outside the verb) as an internal error.
// The model thread cannot be interrupted any other way while it runs a loop that never yields.
import fs from 'node:fs';
import tty_ from 'node:tty';
import { Worker } from 'node:worker_threads';
import {
  W_WORDS, W_SEQ, W_KIND, W_LABEL, W_KERNEL, W_EVENT, W_STEP, W_STOP, WK_IDLE, WK_EVENT, WK_LOAD, WK_NAMES,
} from '../../model/watch.ts';
import { oneLine } from './text.ts';
import { takeGlobals, type Globals } from './globals.ts';
import { COMPILED } from '../paths.ts';

// the model thread's entry: the build's (dist/worker.mjs, beside this chunk) or, from the sources,
// a boot file that registers tsx first
const BOOT = new URL(COMPILED ? './worker.mjs' : './worker-boot.mjs', import.meta.url);

/** Module loads include the TypeScript transform of the file: they get a longer limit. */
const loadLimit = (ms: number) => Math.max(3 * ms, 15_000);

type Msg =
  | { t: 'label'; id: number; text: string }
  | { t: 'kernel'; wid: number; names: string[][] }
  | { t: 'done'; code: number; out?: string; err?: string }
  | { t: 'ready' };

/** A model thread and what the supervisor knows about it. */
class ModelThread {
  readonly sab = new SharedArrayBuffer(W_WORDS * 4);
  readonly a = new Int32Array(this.sab);
  readonly worker: Worker;
  private labels = new Map<number, string>();
  private kernels = new Map<number, string[][]>();
  private timer: NodeJS.Timeout | null = null;
  private seq = -1;
  private since = 0;
  onMessage: (m: Msg) => void = () => {};
  /** the thread was stopped by the watchdog: the line that says why */
  onStall: (line: string) => void = () => {};

  constructor(mode: 'cli' | 'pool', argv: string[] | undefined, readonly limitMs: number) {
    // whether fds 1 and 2 are terminals (the progress line): asked without opening the streams
    const tty = { out: tty_.isatty(1), err: tty_.isatty(2) };
    this.worker = new Worker(BOOT, { workerData: { sab: this.sab, mode, argv, tty }, stdout: false, stderr: false });
    this.worker.on('message', (m: Msg) => {
      if (m.t === 'label') this.labels.set(m.id, m.text);
      else if (m.t === 'kernel') {
        this.kernels.set(m.wid, m.names);
        if (this.kernels.size > 32) this.kernels.delete(this.kernels.keys().next().value!);
      } else this.onMessage(m);
    });
  }

  /** Check progress every so often while a verb runs. */
  watch() {
    if (this.limitMs <= 0 || this.timer) return;
    this.seq = -1;
    this.timer = setInterval(() => this.check(), Math.max(20, Math.min(250, this.limitMs / 5)));
    this.timer.unref();
  }

  unwatch() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private check() {
    const a = this.a, now = performance.now();
    const seq = Atomics.load(a, W_SEQ), kind = Atomics.load(a, W_KIND);
    if (kind === WK_IDLE || seq !== this.seq) { this.seq = seq; this.since = now; return; }
    const limit = kind === WK_LOAD ? loadLimit(this.limitMs) : this.limitMs;
    if (now - this.since < limit) return;
    this.unwatch();
    const line = this.describe(kind, limit);
    void this.worker.terminate();
    this.onStall(line);
  }

  /** "step context_switch.mmgrab_lazy (user/loops) on cpu1 did not return within 5 s ..." */
  private describe(kind: number, limit: number): string {
    const a = this.a;
    const secs = `${+(limit / 1000).toFixed(2)} s`;
    const how = 'stopped by the watchdog; --watchdog SECONDS or LAZYMM_WATCHDOG=SECONDS sets the limit';
    if (kind === WK_EVENT) {
      const at = a[W_STEP], names = this.kernels.get(a[W_KERNEL]);
      const cpu = a[W_EVENT] & 0xfff;
      const name = at >= 0 ? names?.[at >>> 16]?.[at & 0xffff] ?? `step ${at >>> 16}:${at & 0xffff}` : null;
      return oneLine(name ? `step ${name} on cpu${cpu} did not return within ${secs} (${how})` : `event ${a[W_EVENT]} on cpu${cpu} did not finish within ${secs} (${how})`);
    }
    const label = this.labels.get(a[W_LABEL]) ?? 'user code';
    if (kind === WK_LOAD) return oneLine(`${label} did not finish loading within ${secs} (${how})`);
    return oneLine(`${label}: ${WK_NAMES[kind]} did not return within ${secs} (${how})`);
  }
}

const stderrLine = (s: string) => {
  try { fs.writeSync(2, s); } catch { /* stderr closed: nothing to tell */ }
};

/** The command line's entry (bin/lazymm.mjs): global flags, then the verb in a model thread. */
export function startCli(argv: string[]): void {
  let g: Globals;
  try {
    g = takeGlobals(argv);
  } catch (e) {
    stderrLine(`lazymm: ${oneLine((e as Error).message)}\n`);
    process.exit(2);
  }
  // help and the version run no model code and no user code: printed from here, they spare the
  // start of a model thread (which loads the whole CLI again), half of `lazymm --help`'s time
  if (helpOnly(argv)) {
    void import('./main.ts').then(async ({ main }) => { process.exitCode = await main(argv); });
    return;
  }
  superviseCli(argv, g);
}

/** `lazymm --help`, `lazymm help [VERB]`, `lazymm VERB --help`, `lazymm --version`. */
function helpOnly(argv: string[]): boolean {
  const a = argv.filter((x) => x !== '--debug');
  if (a.length === 0) return false;
  if (a.length === 1 && (a[0] === '--help' || a[0] === '-h' || a[0] === '--version' || a[0] === 'help')) return true;
  return (a.length === 2 && (a[0] === 'help' || a[1] === '--help' || a[1] === '-h'));
}

/** Run one verb in a model thread and exit with its code. */
export function superviseCli(argv: string[], o: { watchdogMs: number; debug: boolean }): void {
  const t = new ModelThread('cli', argv, o.watchdogMs);
  let finished = false;
  const finish = (code: number) => {
    if (finished) return;
    finished = true;
    t.unwatch();
    const stop = Atomics.load(t.a, W_STOP);
    process.exit(stop && code === 0 ? stop : code);
  };
  let signals = 0;
  const onSignal = (code: number) => () => {
    if (++signals === 1) {
      Atomics.store(t.a, W_STOP, code); // the verb stops at its next boundary and prints what it has
      return;
    }
    stderrLine('lazymm: interrupted again: stopped without a result\n');
    void t.worker.terminate();
    finish(code);
  };
  process.on('SIGINT', onSignal(130));
  process.on('SIGTERM', onSignal(143));
  t.onMessage = (m) => { if (m.t === 'done') finish(m.code); };
  t.onStall = (line) => { stderrLine(`lazymm: ${line}\n`); finish(2); };
  t.worker.on('error', (e: Error & { code?: string }) => {
    if (finished) return;
    const what = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out of memory' : `internal error: ${e.message}`;
    stderrLine(`lazymm: ${oneLine(what)}${o.debug ? '' : ' (run again with --debug for the stack)'}\n`);
    if (o.debug && e.stack) stderrLine(e.stack + '\n');
    finish(3);
  });
  t.worker.on('exit', () => {
    if (!finished) { stderrLine('lazymm: internal error: the model thread ended without a result\n'); finish(3); }
  });
  t.watch();
}

export interface PoolResult { code: number; out: string; err: string; ms: number; stalled: boolean }

/** Runs argument vectors one at a time in a model thread that stays loaded between them; a thread
 *  the watchdog stops is replaced. What the fuzz test and its benchmark use. */
export class WorkerPool {
  private t: ModelThread | null = null;
  private ready: Promise<void> | null = null;
  constructor(readonly watchdogMs: number) {}

  private start(): Promise<void> {
    const t = new ModelThread('pool', undefined, this.watchdogMs);
    this.t = t;
    this.ready = new Promise((resolve, reject) => {
      t.onMessage = (m) => { if (m.t === 'ready') resolve(); };
      t.worker.once('error', reject);
    });
    return this.ready;
  }

  async run(argv: string[]): Promise<PoolResult> {
    if (!this.t) await this.start();
    else await this.ready;
    const t = this.t!;
    const t0 = performance.now();
    return new Promise<PoolResult>((resolve) => {
      const end = (r: Omit<PoolResult, 'ms'>) => {
        t.unwatch();
        t.worker.off('error', onError);
        resolve({ ...r, ms: performance.now() - t0 });
      };
      const onError = (e: Error) => { this.t = null; end({ code: 3, out: '', err: `lazymm: internal error: ${oneLine(e.message)}\n`, stalled: false }); };
      t.onMessage = (m) => { if (m.t === 'done') end({ code: m.code, out: m.out ?? '', err: m.err ?? '', stalled: false }); };
      t.onStall = (line) => { this.t = null; end({ code: 2, out: '', err: `lazymm: ${line}\n`, stalled: true }); };
      t.worker.on('error', onError);
      t.watch();
      t.worker.postMessage({ t: 'run', argv });
    });
  }

  async close() {
    await this.t?.worker.terminate();
    this.t = null;
  }
}

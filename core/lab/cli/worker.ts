// The model thread: runs a verb (main) for the supervisor (supervise.ts). The watchdog's marks and
// the stop word are the supervisor's shared array; step and label names are posted as they appear.
// mode 'cli': output goes straight to fds 1 and 2, synchronously (nothing is lost when the thread
// is stopped); a closed stdout (EPIPE) ends output quietly and the verb still returns its verdict.
// mode 'pool': runs argument vectors one after another and returns their output (tests, fuzzing).
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { WATCH, W_STOP, W_KIND, WK_IDLE } from '../../model/watch.ts';

const port = parentPort!;
const data = workerData as { sab: SharedArrayBuffer; mode: 'cli' | 'pool'; argv?: string[]; tty?: { out: boolean; err: boolean } };
WATCH.a = new Int32Array(data.sab);
WATCH.onLabel = (id, text) => port.postMessage({ t: 'label', id, text });
WATCH.onKernel = (wid, names) => port.postMessage({ t: 'kernel', wid, names });

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Write all of s to fd, synchronously; a pipe that is full (EAGAIN) is waited for. */
function writeAll(fd: number, s: string | Uint8Array) {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  let off = 0;
  while (off < b.length) {
    try {
      off += fs.writeSync(fd, b, off, b.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 2);
    }
  }
}

type WriteFn = typeof process.stdout.write;

function fdWriter(fd: number): WriteFn {
  let closed = false;
  return ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
    if (!closed) {
      try {
        writeAll(fd, chunk);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EPIPE' && code !== 'ECONNRESET') throw e;
        closed = true; // the reader went away (| head): the rest is not wanted
      }
    }
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as WriteFn;
}

const { main } = await import('./main.ts');

if (data.mode === 'cli') {
  process.stdout.write = fdWriter(1);
  process.stderr.write = fdWriter(2);
  // a thread's own streams are not terminals: say what the process's are (the progress line)
  Object.defineProperty(process.stdout, 'isTTY', { value: !!data.tty?.out, configurable: true });
  Object.defineProperty(process.stderr, 'isTTY', { value: !!data.tty?.err, configurable: true });
  const code = await main(data.argv ?? []);
  port.postMessage({ t: 'done', code });
} else {
  let out = '', err = '';
  process.stdout.write = ((chunk: string | Uint8Array) => { out += String(chunk); return true; }) as WriteFn;
  process.stderr.write = ((chunk: string | Uint8Array) => { err += String(chunk); return true; }) as WriteFn;
  port.on('message', async (m: { t: 'run'; argv: string[] }) => {
    out = '';
    err = '';
    Atomics.store(WATCH.a, W_STOP, 0);
    WATCH.a[W_KIND] = WK_IDLE;
    const code = await main(m.argv);
    port.postMessage({ t: 'done', code, out, err });
  });
  port.postMessage({ t: 'ready' });
}

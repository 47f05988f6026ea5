// Progress marks for the watchdog. The model writes a few words here as it runs user-supplied code
// (a step, a scenario's setup() or forbid(), a plugin's apply()); the CLI's supervisor
// (core/lab/cli/supervise.ts) shares the array with the thread that runs the model and reads it
// from outside: when the sequence number has not moved for the watchdog's limit while the model is
// inside such code, the model thread is stopped and the code is reported by name.
//
// Cost on the hot path: per event a counter and two words, per step invocation one word (plain
// typed-array stores; the array is a SharedArrayBuffer only when supervised).

/** Word offsets. */
export const W_SEQ = 0; // bumped on entering any watched code
export const W_KIND = 1; // what is running (WK_*)
export const W_LABEL = 2; // setup/apply/forbid/load: the label id (watchLabel)
export const W_KERNEL = 3; // events: the kernel's id (Kernel.wid), for its step names
export const W_EVENT = 4; // events: the event (kind << 12 | cpu)
export const W_STEP = 5; // events: (function id << 16) | step index of the step invoked last, -1 none
export const W_STOP = 6; // set by the supervisor: a signal asked to stop (its exit code: 130, 143)
export const W_WORDS = 8;

export const WK_IDLE = 0;
export const WK_EVENT = 1;
export const WK_SETUP = 2;
export const WK_APPLY = 3;
export const WK_FORBID = 4;
export const WK_LOAD = 5;
export const WK_NAMES = ['', 'step', 'setup()', 'apply()', 'forbid()', 'module'];

export interface WatchHooks {
  /** the marks (replaced by a shared array when supervised) */
  a: Int32Array;
  /** a label's text was first used (the supervisor learns names this way) */
  onLabel: ((id: number, text: string) => void) | null;
  /** a kernel was built: the names of its steps ("fn.step (owner)") by function and index */
  onKernel: ((wid: number, names: string[][]) => void) | null;
}

export const WATCH: WatchHooks = { a: new Int32Array(W_WORDS), onLabel: null, onKernel: null };

const labels = new Map<string, number>();

/** The id of a label ("scenario lazy-exit", "plugin user/x"), announced to the supervisor once. */
export function watchLabel(text: string): number {
  let id = labels.get(text);
  if (id === undefined) {
    id = labels.size + 1;
    labels.set(text, id);
    WATCH.onLabel?.(id, text);
  }
  return id;
}

/** Enter watched code of `kind`; returns the previous kind (to restore with watchLeave). */
export function watchEnter(kind: number, label: number): number {
  const w = WATCH.a;
  const prev = w[W_KIND];
  w[W_SEQ]++;
  w[W_KIND] = kind;
  w[W_LABEL] = label;
  return prev;
}

export function watchLeave(prev: number) {
  const w = WATCH.a;
  w[W_SEQ]++;
  w[W_KIND] = prev;
}

let nextWid = 1;
/** A fresh kernel id (Kernel.wid). */
export function newWid(): number {
  return nextWid++;
}

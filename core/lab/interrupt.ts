// SIGINT/SIGTERM: the supervisor (cli/supervise.ts) receives the signal and sets a word the model
// thread reads at schedule boundaries (explore, bisect, ab and verify pass stopRequested as their
// `stop`). The verb then prints what it has, marked interrupted, and exits 130 (SIGINT) or 143
// (SIGTERM), or 1 if it already found a violation.
import { WATCH, W_STOP } from '../model/watch.ts';

export function stopRequested(): boolean {
  return WATCH.a[W_STOP] !== 0;
}

/** The exit code of the stop that was asked for: 130 SIGINT, 143 SIGTERM (0: none). */
export function stopCode(): number {
  return WATCH.a[W_STOP];
}

/** Ask the running verb to stop (the supervisor on a signal; tests). */
export function requestStop(code = 130) {
  Atomics.store(WATCH.a, W_STOP, code);
}

export function clearStop() {
  Atomics.store(WATCH.a, W_STOP, 0);
}

/** The exit code of an interrupted verb: 1 if it found a violation, else the signal's. */
export function interruptedExit(violation: boolean): number {
  return violation ? 1 : stopCode() || 130;
}

// The error boundary: every error that leaves a verb becomes one line on stderr and an exit code.
//   2    bad usage or input, or the user's own code failed (a scenario's setup(), a plugin's step)
//   125  the configuration cannot be tested
//   3    an internal error: one line, and the stack with --debug
// Exit 1 is never an error: it only ever means a violation was found.
import { UsageError, UntestableError, StepFault } from '../../model/errors.ts';
import { RunawayError, ScheduleError } from '../../model/engine.ts';
import { ModelError } from '../../model/kernel.ts';
import { WATCH, W_KIND, WK_IDLE } from '../../model/watch.ts';
import { USER_PLUGINS, USER_SCENARIOS } from '../user-code.ts';
import { oneLine } from './text.ts';

export interface Reported { code: number; line: string; stack?: string }

/** The exit code and line for an error that left a verb. */
export function classify(e: unknown): Reported {
  if (e instanceof UntestableError) return { code: 125, line: `cannot test: ${oneLine(e.message)}` };
  if (e instanceof UsageError || e instanceof ScheduleError || e instanceof RunawayError) return { code: 2, line: oneLine(e.message) };
  if (e instanceof StepFault) {
    const file = USER_PLUGINS.get(e.owner);
    if (file !== undefined) return { code: 2, line: oneLine(`plugin ${e.owner} (${file}): ${e.message}`), stack: stackOf(e.fault) };
    // A model step that reports misuse (ModelError: no such mm, a wild pointer) while running a
    // user's scenario or next to a user's plugin: the user's input led it there.
    const users = [...USER_SCENARIOS.entries()].map(([n, f]) => `scenario '${n}' (${f})`).concat([...USER_PLUGINS.entries()].map(([id, f]) => `plugin ${id} (${f})`));
    if (e.fault instanceof ModelError && users.length) return { code: 2, line: oneLine(`${users.join(', ')}: ${e.message}`), stack: stackOf(e.fault) };
    return { code: 3, line: oneLine(`internal error: ${e.message}`), stack: stackOf(e.fault) };
  }
  const err = e as NodeJS.ErrnoException;
  // an output we could not write (checked before the work where possible): the user's path
  if (err && typeof err.code === 'string' && typeof err.syscall === 'string' && typeof err.path === 'string')
    return { code: 2, line: oneLine(`cannot ${err.syscall} '${err.path}': ${err.code}`) };
  return { code: 3, line: oneLine(`internal error: ${e instanceof Error ? e.message : String(e)}`), stack: stackOf(e) };
}

function stackOf(e: unknown): string | undefined {
  return e instanceof Error ? e.stack : undefined;
}

/** Report an error: one line on stderr (and the stack with --debug); returns the exit code. */
export function report(e: unknown, debug: boolean, write: (s: string) => void = (s) => { process.stderr.write(s); }): number {
  WATCH.a[W_KIND] = WK_IDLE; // whatever was running has ended
  const r = classify(e);
  write(`lazymm: ${r.line}${r.code === 3 && !debug ? ' (run again with --debug for the stack)' : ''}\n`);
  if (debug && r.stack) write(r.stack + '\n');
  return r.code;
}

// The replay command printed with a violation: a command line that really replays it, naming a
// user's scenario module by its path (as given: the command is meant for the same directory).
import { SCENARIOS } from '../../../scenarios/index.ts';
import type { ScenarioDef } from '../../model/index.ts';

/** Quote a word for a POSIX shell when it needs it. */
export function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** How a command line names the scenario the user gave as `arg`: a built-in by its name, a user
 *  module by its path (its `name` may equal a built-in's, or be no file at all). */
export function scenarioRef(arg: string, sc: ScenarioDef): string {
  return SCENARIOS.some((s) => s === sc) ? sc.name : shq(arg);
}

/** `lazymm run <scenario> <config words> --schedule '<schedule>'` */
export function replayCommand(ref: string, replayArgs: string, schedule: string): string {
  return `lazymm run ${ref}${replayArgs} --schedule '${schedule}'`;
}

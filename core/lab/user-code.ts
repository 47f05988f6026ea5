// Which plugins and scenarios of this invocation are the user's (loaded by path): the error
// boundary (cli/boundary.ts) calls a failure in their code bad input (exit 2), not an internal
// error (exit 3). Identity rules for user plugin ids live here too.
import { allSeries } from './series.ts';
import { UsageError } from './errors.ts';

/** plugin id -> the file it came from */
export const USER_PLUGINS = new Map<string, string>();
/** scenario name -> the file it came from */
export const USER_SCENARIOS = new Map<string, string>();

/** A new invocation (main): nothing of the user's is loaded yet. */
export function resetUserCode() {
  USER_PLUGINS.clear();
  USER_SCENARIOS.clear();
}

/** A user plugin's id may not pose as a series patch (`lazy-mm/16`), a series, or an owner the
 *  model gives steps (baseline, arch:NAME, drop-step), and two user plugins may not share one. */
export function checkPluginId(given: unknown, file: string): string {
  if (given !== undefined && (typeof given !== 'string' || !/^[\w.:@/+-]{1,80}$/.test(given)))
    throw new UsageError(`plugin '${file}': id ${JSON.stringify(given) ?? String(given)} is not a plugin id (1-80 letters, digits and . _ : @ / + -)`);
  const id = given === undefined ? `user:${file}` : (given as string);
  const m = /^([a-z0-9-]+)\/(\d+)$/.exec(id);
  const series = allSeries().find((s) => s.id === (m ? m[1] : id) || id.startsWith(`${s.id}/`) || id.startsWith(`${s.id}:`));
  if (series) throw new UsageError(`plugin '${file}': id '${id}' is taken by series ${series.id} (a user plugin may not pose as one of its patches; use e.g. 'user/${id.replace(/[/:]/g, '-')}')`);
  if (id === 'baseline' || id === 'drop-step' || id.startsWith('arch:'))
    throw new UsageError(`plugin '${file}': id '${id}' is reserved (the model's own steps are owned by it)`);
  const other = USER_PLUGINS.get(id);
  if (other !== undefined && other !== file) throw new UsageError(`plugin '${file}': id '${id}' is already used by plugin '${other}'`);
  USER_PLUGINS.set(id, file);
  return id;
}

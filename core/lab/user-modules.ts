// Users' modules given by path (scenarios, workloads, plugins, arches): .ts, .mts, .js or .mjs,
// from anywhere, with or without a package.json beside them. They import the public API as
// `lazymm` (docs/DEVELOPING.md); bin/loader-hooks.mjs makes that name resolve to the instance of
// the model this process runs, and TypeScript load as ES modules. The default export is checked
// against its schema (schema.ts) by the caller.
import fs from 'node:fs';
import path from 'node:path';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { UsageError } from './errors.ts';
import { watchEnter, watchLeave, watchLabel, WK_LOAD } from '../model/watch.ts';
import { ROOT_URL, COMPILED, apiUrl } from './paths.ts';

export const MODULE_EXT = /\.(ts|mts|js|mjs)$/;

let hooked = false;
/** Register the module hooks once (not under vitest, whose own loader resolves `lazymm` through
 *  its alias and transforms TypeScript itself). */
function hook() {
  if (hooked || process.env.VITEST) return;
  hooked = true;
  const api: Record<string, string> = { lazymm: apiUrl(), 'lazymm/arches': apiUrl('arches') };
  // from the build, a module that imports the sources' barrel by path gets the build's instance too
  const redirect: Record<string, string> = COMPILED
    ? { [new URL('core/model/index.ts', ROOT_URL).href]: apiUrl(), [new URL('arches/index.ts', ROOT_URL).href]: apiUrl('arches') }
    : {};
  register(new URL('bin/loader-hooks.mjs', ROOT_URL).href, { data: { api, redirect, root: ROOT_URL } });
}

/** Import a user's module and return its default export. `what` names it in messages. */
export async function importUserModule(file: string, what: string): Promise<unknown> {
  if (!MODULE_EXT.test(file)) throw new UsageError(`${what} '${file}': a module is a .ts, .mts, .js or .mjs file`);
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new UsageError(`${what} file '${file}' does not exist`);
  if (fs.statSync(abs).isDirectory()) throw new UsageError(`${what} '${file}' is a directory, not a module`);
  hook();
  let mod: { default?: unknown };
  // its top level is user code too: under the watchdog (a load gets a longer limit: supervise.ts)
  const prev = watchEnter(WK_LOAD, watchLabel(`${what} module ${abs}`));
  try {
    mod = await import(pathToFileURL(abs).href);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const lines = String((e as Error)?.message ?? e).split('\n').map((l) => l.trim()).filter(Boolean);
    // esbuild: "Transform failed with 1 error:" then "file:line:col: ERROR: what"
    const msg = lines.length > 1 && lines[0].endsWith(':') ? `${lines[0]} ${lines[1]}` : lines[0] ?? 'unknown error';
    throw new UsageError(`${what} '${file}' does not load: ${msg}`);
  } finally {
    watchLeave(prev);
  }
  if (mod.default === undefined) throw new UsageError(`${what} '${file}' has no default export`);
  return mod.default;
}

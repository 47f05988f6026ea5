// Module hooks for users' modules (registered with module.register by core/lab/user-modules.ts
// before the first one loads): `lazymm` and `lazymm/arches` resolve to the public API this very
// process runs, wherever the user's file is; TypeScript (.ts, .mts) loads as an ES module whether
// or not a package.json says "type": "module"; a relative import may leave out `.ts` or name the
// `.js` of a `.ts` file, as TypeScript lets it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** @type {{ api: Record<string, string>, redirect: Record<string, string>, root: string }} */
let data = { api: {}, redirect: {}, root: 'file:///nonexistent/' };

export function initialize(d) {
  data = d;
}

export async function resolve(specifier, context, next) {
  const api = data.api[specifier];
  if (api) return { url: api, shortCircuit: true };
  try {
    const r = await next(specifier, context);
    const to = data.redirect[r.url];
    return to ? { url: to, shortCircuit: true } : r;
  } catch (e) {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !/^\.{1,2}\//.test(specifier)) throw e;
    const tries = /\.[cm]?js$/.test(specifier) ? [specifier.replace(/js$/, 'ts')] : /\.[cm]?ts$/.test(specifier) ? [] : [`${specifier}.ts`, `${specifier}/index.ts`];
    for (const t of tries) {
      try {
        return await next(t, context);
      } catch {
        // the next candidate
      }
    }
    throw e;
  }
}

let esbuild;
export async function load(url, context, next) {
  if (url.startsWith('file:') && /\.m?ts$/.test(url) && !url.includes('/node_modules/')) {
    esbuild ??= await import('esbuild');
    const file = fileURLToPath(url);
    const source = await readFile(file, 'utf8');
    const r = await esbuild.transform(source, { loader: 'ts', format: 'esm', target: 'node20', sourcefile: file, sourcemap: 'inline' });
    return { format: 'module', source: r.code, shortCircuit: true };
  }
  // a user's .js/.mjs outside any package: an ES module (it default-exports its scenario or
  // plugin), whatever a loader earlier in the chain (tsx, when the CLI runs from the sources) guesses
  if (url.startsWith('file:') && /\.m?js$/.test(url) && !url.includes('/node_modules/') && !url.startsWith(data.root)) {
    const source = await readFile(fileURLToPath(url), 'utf8');
    if (/^\s*(import|export)\b/m.test(source)) return { format: 'module', source, shortCircuit: true };
  }
  return next(url, context);
}

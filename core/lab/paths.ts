// Where the package is, whether the CLI runs from its sources (tsx) or from the build (dist/, one
// flat folder of bundled chunks: see scripts/build.mjs).
export const COMPILED = !import.meta.url.endsWith('.ts');
/** the package root, as a file: URL ending in '/' */
export const ROOT_URL = new URL(COMPILED ? '../' : '../../', import.meta.url).href;
/** The public API (`import ... from 'lazymm'`) as this process runs it: the build's entry when the
 *  CLI is the build, else the sources. A user's module must get this very instance: the model keeps
 *  registries (kernel functions, ops, state parts) that a second copy would not share. */
export function apiUrl(sub: '' | 'arches' = ''): string {
  if (COMPILED) return new URL(sub ? `dist/${sub}.mjs` : 'dist/lazymm.mjs', ROOT_URL).href;
  return new URL(sub ? `${sub}/index.ts` : 'core/model/index.ts', ROOT_URL).href;
}

#!/usr/bin/env node
// The lazymm command. It runs the build in dist/ (scripts/build.mjs, made by `npm ci` and `npm run
// build`) when that build is fresh, that is newer than every source file it was made from, and the
// TypeScript sources through tsx otherwise (LAZYMM_FROM_SOURCES=1 forces that), so an edit takes
// effect at once and a rebuild only brings back the fast start. This thread only supervises
// (core/lab/cli/supervise.ts): the verb runs in a model thread it can stop (watchdog, signals).
import { readFileSync, readdirSync, statSync } from 'node:fs';

function buildIsFresh() {
  try {
    const b = JSON.parse(readFileSync(new URL('../dist/build.json', import.meta.url), 'utf8'));
    for (const f of b.inputs) if (statSync(new URL(`../${f}`, import.meta.url)).mtimeMs > b.builtAt) return false;
    // an arch module the build did not see (lazymm new-arch): arches/index.ts discovers it from the sources
    for (const f of readdirSync(new URL('../arches/', import.meta.url))) if (f.endsWith('.ts') && !b.archFiles?.includes(`arches/${f}`)) return false;
    return true;
  } catch {
    return false;
  }
}

let startCli;
if (process.env.LAZYMM_FROM_SOURCES !== '1' && buildIsFresh()) {
  ({ startCli } = await import('../dist/supervise.mjs'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ startCli } = await import('../core/lab/cli/supervise.ts'));
}
startCli(process.argv.slice(2));

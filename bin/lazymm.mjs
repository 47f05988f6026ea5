#!/usr/bin/env node
// The lazymm command. It runs the build in dist/ (scripts/build.mjs, made by `npm ci` and `npm run
// build`) when that build is fresh, that is newer than every source file it was made from, and the
// TypeScript sources through tsx otherwise (LAZYMM_FROM_SOURCES=1 forces that), so an edit takes
// effect at once and a rebuild only brings back the fast start.
import { readFileSync, statSync } from 'node:fs';

function buildIsFresh() {
  try {
    const b = JSON.parse(readFileSync(new URL('../dist/build.json', import.meta.url), 'utf8'));
    for (const f of b.inputs) if (statSync(new URL(`../${f}`, import.meta.url)).mtimeMs > b.builtAt) return false;
    return true;
  } catch {
    return false;
  }
}

let main;
if (process.env.LAZYMM_FROM_SOURCES !== '1' && buildIsFresh()) {
  ({ main } = await import('../dist/cli.mjs'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../core/lab/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));

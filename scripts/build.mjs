// Precompiles the CLI (the supervisor, dist/supervise.mjs, and the model thread it starts,
// dist/worker.mjs) and the public API into dist/ (npm's `prepare`, so `npm ci` runs it; also
// `npm run build`). bin/lazymm.mjs runs dist/supervise.mjs while dist/build.json says it was built after
// every source file it contains last changed, and the TypeScript sources through tsx otherwise:
// the build is only ever a faster start, never a different program. One flat folder of ES module
// chunks: a verb's code loads when the verb runs; dist/lazymm.mjs and dist/arches.mjs (the
// `lazymm` and `lazymm/arches` a user's module imports) share their chunks with the CLI, so a user's
// module and the CLI see one model. npm packages stay external (node_modules).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist');
const tmp = path.join(root, `dist.tmp-${process.pid}`);
try {
  const esbuild = await import('esbuild');
  const started = Date.now();
  const r = await esbuild.build({
    absWorkingDir: root,
    // worker: the model thread (cli/worker.ts); pool-worker: a thread of --jobs (core/lab/parallel/pool.ts
    // starts the pool-worker.mjs beside it)
    entryPoints: { cli: 'core/lab/cli/main.ts', supervise: 'core/lab/cli/supervise.ts', worker: 'core/lab/cli/worker.ts', 'pool-worker': 'core/lab/parallel/worker-main.ts', lazymm: 'core/model/index.ts', arches: 'arches/index.ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir: tmp,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(r.metafile.inputs).filter((f) => !f.startsWith('node_modules/')).sort();
  // arches/ modules the build accounts for: those it bundled, and those arches/index.ts does not
  // take for arches (its NOT_ARCHES: the template new-arch copies, shared helpers, types; read
  // from there so the list is kept once). Any other arches/*.ts (a scaffolded arch, discovered at
  // run time by arches/index.ts) makes bin/lazymm.mjs run the sources.
  const m = /const NOT_ARCHES = new Set\(\[([^\]]*)\]\)/.exec(fs.readFileSync(path.join(root, 'arches', 'index.ts'), 'utf8'));
  if (!m) throw new Error('arches/index.ts: NOT_ARCHES not found');
  const notArches = new Set([...m[1].matchAll(/'([^']+)'/g)].map((x) => `arches/${x[1]}`));
  const archFiles = fs.readdirSync(path.join(root, 'arches')).filter((f) => f.endsWith('.ts')).map((f) => `arches/${f}`)
    .filter((f) => inputs.includes(f) || notArches.has(f)).sort();
  fs.writeFileSync(path.join(tmp, 'build.json'), JSON.stringify({ builtAt: started, inputs, archFiles }, null, 1) + '\n');
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(tmp, out);
  console.log(`lazymm: built dist/ from ${inputs.length} modules in ${Date.now() - started} ms`);
} catch (e) {
  fs.rmSync(tmp, { recursive: true, force: true });
  // never fail `npm ci` for it: the CLI runs from the sources without a build
  console.warn(`lazymm: no build (${String(e?.message ?? e).split('\n')[0]}); the CLI runs from the TypeScript sources`);
}

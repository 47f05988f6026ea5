// A worker thread of the pool (pool.ts) when the CLI runs from its TypeScript sources: load them
// through tsx, as bin/lazymm.mjs does, then worker-main.ts. (From the build, the pool starts
// dist/pool-worker.mjs, worker-main.ts bundled: scripts/build.mjs.)
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');

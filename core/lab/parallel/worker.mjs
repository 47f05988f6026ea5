// A worker thread of the pool (pool.ts): load the TypeScript sources through tsx, as
// bin/lazymm.mjs does, then serve tasks (worker-main.ts).
import { register } from 'tsx/esm/api';

register();
// The CLI's modules first, in the CLI's order: kernel functions, frame layouts and state regions
// are numbered as modules declare them, and a search that passes states between threads
// (verify-bfs.ts) needs the same numbering on every thread.
await import('../cli/main.ts');
await import('./worker-main.ts');

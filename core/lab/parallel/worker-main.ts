// A worker thread of pool.ts. It first loads the CLI's modules in the order the model thread did
// (cli/worker.ts: watch.ts, main.ts; then flags.ts, then the verb's module): kernel functions, frame layouts and state
// regions are numbered as modules declare them, and a search that passes states between threads
// (verify-bfs.ts) needs the same numbering on every thread. Then it serves tasks (serve.ts).
import { workerData } from 'node:worker_threads';

const { verb } = workerData as { verb: string };
await import('../../model/watch.ts');
await import('../cli/main.ts');
await import('./flags.ts');
const { findVerb } = await import('../cli/verbs.ts');
await findVerb(verb)?.load();
const { serve } = await import('./serve.ts');
serve();

// The model thread's entry (cli/supervise.ts starts it): TypeScript through tsx, as bin/lazymm.mjs.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

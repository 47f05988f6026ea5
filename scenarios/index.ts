// Built-in scenarios by name. A user passes a path to a .ts/.js module instead.
import type { ScenarioDef } from '../core/scenario.ts';
import lazyExit from './lazy-exit.ts';
import kthreadUseMm from './kthread-use-mm.ts';
import lazyFlush from './lazy-flush.ts';
import litmusSb from './litmus-sb.ts';
import litmusMembarrier from './litmus-membarrier.ts';
import membarrierKthread from './membarrier-kthread.ts';

export const SCENARIOS: ScenarioDef[] = [lazyExit, kthreadUseMm, lazyFlush, litmusSb, litmusMembarrier, membarrierKthread];

// Built-in scenarios by name. A user passes a path to a .ts/.js module instead.
import type { ScenarioDef } from '../core/model/index.ts';
import lazyExit from './lazy-exit.ts';
import kthreadUseMm from './kthread-use-mm.ts';
import lazyFlush from './lazy-flush.ts';
import litmusSb from './litmus-sb.ts';
import litmusMembarrier from './litmus-membarrier.ts';
import membarrierKthread from './membarrier-kthread.ts';
import syncCoreLazy from './sync-core-lazy.ts';
import cpuOfflineLazy from './cpu-offline-lazy.ts';
import nmiActiveMm from './nmi-active-mm.ts';
import membarrierPpcSwitch from './membarrier-ppc-switch.ts';
import lazierTlbMunmap from './lazier-tlb-munmap.ts';
import lazyMmuNesting from './lazy-mmu-nesting.ts';
import lazyMmuPreempt from './lazy-mmu-preempt.ts';
import { LAZY_MM_16_23 } from './lazy-mm-16-23.ts';
import delayedRmapLostWrite from './delayed-rmap-lost-write.ts';
import paeGupFastTorn from './pae-gup-fast-torn.ts';
import delayedRmapAnonVma from './delayed-rmap-anon-vma.ts';
import exitLazyLeak from './exit-lazy-leak.ts';

export const SCENARIOS: ScenarioDef[] = [lazyExit, kthreadUseMm, lazyFlush, litmusSb, litmusMembarrier, membarrierKthread, syncCoreLazy, cpuOfflineLazy, nmiActiveMm, membarrierPpcSwitch, lazierTlbMunmap, lazyMmuNesting, lazyMmuPreempt, ...LAZY_MM_16_23, delayedRmapLostWrite, paeGupFastTorn, delayedRmapAnonVma, exitLazyLeak];

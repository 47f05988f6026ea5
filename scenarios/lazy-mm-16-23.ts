// Scenarios for lazy-mm/13-23 (the hazard-pointer lazy mm scheme and the x86 patches after it),
// registered in index.ts as one group.
import type { ScenarioDef } from '../core/model/index.ts';
import lazyFlushExit from './lazy-flush-exit.ts';
import lazySwitchExit from './lazy-switch-exit.ts';
import exitMmLeak from './exit-mm-leak.ts';
import lazyTextPoke from './lazy-text-poke.ts';
import lazyEfi from './lazy-efi.ts';
import hotplugLazyMmput from './hotplug-lazy-mmput.ts';
import lazyDropIrq from './lazy-drop-irq.ts';
import kthreadExecFlush from './kthread-exec-flush.ts';
import lazyMmStealRace from './lazy-mm-steal-race.ts';
import xenExitUnlazy from './xen-exit-unlazy.ts';

export const LAZY_MM_16_23: ScenarioDef[] = [
  lazyFlushExit, lazySwitchExit, exitMmLeak, lazyTextPoke, lazyEfi, hotplugLazyMmput, lazyDropIrq, kthreadExecFlush,
  lazyMmStealRace, xenExitUnlazy,
];

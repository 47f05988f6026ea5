// MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE on x86: a thread that naps (its CPU goes lazy on the
// mm) and comes back switches kernel->user without writing CR3 when its TLB is still up to date,
// so something else must serialize the core before it runs user code again (the strict I-SYNC
// rule). v5.16 does it in finish_task_switch(); lazy-mm/02 moves it into switch_mm_irqs_off().
// A munmap on another CPU may instead unlaze it through a flush IPI (then CR3 is written).
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'sync-core-lazy',
  description: 'P registered for SYNC_CORE: P.t1 naps (cpu1 lazy on P) and runs again while P.t0 munmaps (freed-tables flush IPIs the lazy cpu1)',
  cpus: { default: 2, min: 2, max: 4 },
  setup(b) {
    b.process('P', { membarrier: 'sync_core' });
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'munmap' }, { op: 'touch' }, { op: 'exit' }] });
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'touch' }, { op: 'sleep' }, { op: 'touch' }, { op: 'exit' }] });
  },
  expect: [
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch x86 --drop-step membarrier_mm_sync_core_before_usermode.sync_core', verdict: 'sometimes', oracle: 'membarrier',
      why: 'v5.16: only finish_task_switch() serializes a kernel->user switch back onto the lazy mm' },
    { config: '--arch x86 --apply lazy-mm:1-2', verdict: 'never' },
    // The full barrier after the rq->curr store that membarrier relies on, on a kernel->user switch
    // back onto the lazily held P (no CR3 write): x86's lazy same-mm smp_mb() and mmdrop()'s
    // fully ordered atomic_dec_and_test() in finish_task_switch(), each a named step.
    { config: '--arch x86 --drop-step switch_mm_irqs_off.smp_mb', verdict: 'never',
      why: 'finish_task_switch()\'s mmdrop(prev_mm) still provides the full barrier' },
    { config: '--arch x86 --drop-step mmdrop.__atomic_pre_full_fence --drop-step mmdrop.__atomic_post_full_fence', verdict: 'never',
      why: 'the lazy same-mm smp_mb() in switch_mm_irqs_off() still provides it' },
    { config: '--arch x86 --drop-step switch_mm_irqs_off.smp_mb --drop-step mmdrop.__atomic_pre_full_fence --drop-step mmdrop.__atomic_post_full_fence', verdict: 'sometimes', oracle: 'membarrier',
      why: 'without both, nothing orders the rq->curr store before the next user access of P' },
    { config: '--arch x86 --apply lazy-mm:1-2 --drop-step sync_core_if_membarrier_enabled.sync_core_before_usermode', verdict: 'sometimes', oracle: 'membarrier',
      why: 'after 02 the S of that path comes from switch_mm_irqs_off() alone' },
  ],
});

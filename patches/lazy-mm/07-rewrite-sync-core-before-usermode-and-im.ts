// lazy-mm/07 "membarrier: Rewrite sync_core_before_usermode() and improve documentation"
// Seed: seeds/000_13ce268f039a5445.txt L1065-1560, diff L1152-1555 (docs, asm/membarrier.h for
// arm/arm64/powerpc/x86, x86 sync_core.h and tlb.c, include/linux/sync_core.h, init/Kconfig,
// kernel/sched/membarrier.c).
// Changes nothing in the model: sync_core_before_usermode() becomes the per-arch
// membarrier_sync_core_before_usermode() with the same x86 body (sync_core() unless PTI) at the same
// two call sites (ipi_sync_core after its smp_mb(), and 02's sync_core_if_membarrier_enabled), and
// empty bodies on arm/arm64/powerpc as before; the S event does not move. It renames the call that
// lazy-mm/02 added to x86's tlb.c, so it cannot apply without 02.
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'lazy-mm/07',
  series: 'lazy-mm',
  index: 7,
  title: 'membarrier: Rewrite sync_core_before_usermode() and improve documentation',
  requires: ['lazy-mm/02'],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L1065-1560 (diff L1152-1555)',
  apply() {},
});

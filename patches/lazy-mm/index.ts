// Andy Lutomirski, "[PATCH 00/23] mm, sched: Rework lazy mm handling", 2022-01-08, on v5.16.
// Seed: seeds/000_13ce268f039a5445.txt (cover letter L1-160).
import type { SeriesDef } from '../../core/model/index.ts';
import p01 from './01-document-why-membarrier-works.ts';
import p02 from './02-handle-unlazying-membarrier-core-sync-in.ts';
import p03 from './03-remove-membarrier-arch-switch-mm-prototy.ts';
import p04 from './04-make-the-post-switch-mm-barrier-explicit.ts';
import p05 from './05-use-once-accessors-for-task-mm.ts';
import p06 from './06-remove-special-barrier-on-mm-switch.ts';
import p07 from './07-rewrite-sync-core-before-usermode-and-im.ts';
import p08 from './08-remove-redundant-clear-of-mm-membarrier.ts';
import p09 from './09-fix-incorrect-barrier-positions-during-e.ts';
import p10 from './10-remove-incorrect-active-mm-references.ts';
import p11 from './11-initialize-shadow-stack-on-idle-thread-b.ts';
import p12 from './12-fix-illegal-rcu-from-offline-cpus.ts';
import p13 from './13-remove-unnecessary-vmacache-seqnum-clear.ts';
import p14 from './14-factor-current-mm-changes-out-from-exec.ts';
import p15 from './15-switch-to-change-current-mm.ts';
import p16 from './16-use-lightweight-hazard-pointers-to-grab.ts';
import p17 from './17-make-use-unuse-temporary-mm-non-static.ts';
import p18 from './18-allow-temporary-mms-when-irqs-are-on.ts';
import p19 from './19-make-efi-enter-leave-mm-use-the-temporar.ts';
import p20 from './20-remove-leave-mm-in-favor-of-unlazy-mm-ir.ts';
import p21 from './21-use-unlazy-mm-irqs-off-in-tlb-flush-ipis.ts';
import p22 from './22-optimize-for-each-possible-lazymm-cpu.ts';
import p23 from './23-opt-in-to-irqs-off-activate-mm.ts';

export const lazyMm: SeriesDef = {
  id: 'lazy-mm',
  title: 'mm, sched: Rework lazy mm handling',
  author: 'Andy Lutomirski',
  date: '2022-01-08',
  base: '5.16.0',
  patches: [p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23],
};

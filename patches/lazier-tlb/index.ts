// Rik van Riel, "x86,tlb: make lazy TLB mode lazier" (v6 posted 2018-07-16 as
// 20180716190337.26133-N-riel@surriel.com, 7 patches), on v4.18; five of them were merged into tip
// x86/mm and reverted on 2018-08-22 (anchors-upstream.md §2), the redo went into v4.20.
// Seed: seeds/003_7db9a387f0b5ce4c.txt (the thread on 4/7). Runs on --arch x86-4.18 (the x86
// plugin models v5.16, which already contains the redo). Posting subjects: 4/7 is verbatim from
// seed 003; the others are the posting subjects of the v6 series (tip titles in each module).
import type { SeriesDef } from '../../core/model/index.ts';
import p01 from './01-mm-allocate-mm-cpumask-dynamically-based-on-nr-cpu-ids.ts';
import p02 from './02-x86-tlb-leave-lazy-tlb-mode-at-page-table-free-time.ts';
import p03 from './03-x86-mm-restructure-switch-mm-irqs-off.ts';
import p04 from './04-x86-tlb-make-lazy-tlb-mode-lazier.ts';
import p05 from './05-x86-tlb-only-send-page-table-free-tlb-flush-to-lazy-tlb-cpus.ts';
import p06 from './06-x86-mm-always-use-lazy-tlb-mode.ts';
import p07 from './07-x86-switch-mm-skip-atomic-operations-for-init-mm.ts';

export const lazierTlb: SeriesDef = {
  id: 'lazier-tlb',
  title: 'x86,tlb: make lazy TLB mode lazier',
  author: 'Rik van Riel',
  date: '2018-07-16',
  base: '4.18.0',
  patches: [p01, p02, p03, p04, p05, p06, p07],
};

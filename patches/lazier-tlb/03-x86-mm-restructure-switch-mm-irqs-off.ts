// lazier-tlb/03 "x86,mm: restructure switch_mm_irqs_off" — tip 61d0beb5796a (anchors-upstream.md
// §2; seeds-001-003-004.md §2.6 places it at 3/7). Seed 003 L9-12: "I guess we can skip both
// switch_ldt and load_mm_cr4 if real_prev equals next?" / "Yes, AFAICS."
// It changes nothing in the model: it moves the CR3 load out of the real_prev != next branch so
// that 04 can fall through to it, and the model's switch_mm_irqs_off already runs
// load_new_mm_cr3/set_loaded_mm as steps after both branches (LDT and CR4 are not modelled).
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'lazier-tlb/03',
  series: 'lazier-tlb',
  index: 3,
  title: 'x86,mm: restructure switch_mm_irqs_off',
  requires: [],
  effect: 'none',
  seed: 'seeds/003_7db9a387f0b5ce4c.txt L9-12; tip 61d0beb5796a (anchors-upstream.md §2)',
  apply() {},
});

// lazier-tlb/01 "mm: allocate mm_cpumask dynamically based on nr_cpu_ids" — 1/7 of the posting
// is not in the seeds; anchors-upstream.md §2 names it from memory (UNVERIFIED; in tip as
// "mm: Allocate the mm_cpumask (mm->cpu_bitmap[]) dynamically based on nr_cpu_ids", not reverted).
// It changes nothing in the model: mm_cpumask is already one word per modelled CPU (layout.ts);
// it keeps its place so that bisect positions match the real series.
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'lazier-tlb/01',
  series: 'lazier-tlb',
  index: 1,
  title: 'mm: allocate mm_cpumask dynamically based on nr_cpu_ids',
  requires: [],
  effect: 'none',
  seed: 'anchors-upstream.md §2 (1/7 UNVERIFIED; not in seed 003)',
  apply() {},
});

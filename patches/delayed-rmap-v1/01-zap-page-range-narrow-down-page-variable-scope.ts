// delayed-rmap-v1/01 "mm: zap_page_range: narrow down 'page' variable scope"
// Seed: seeds/002_a22f6d6eeee8c674.txt L2043-2071 (Linus, 2022-10-29: "an explanation for why
// some of the 'struct page' declarations were moved around"; the attachment is not in the seed).
// Changes nothing in the model: a declaration moves into the loop of zap_pte_range().
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'delayed-rmap-v1/01',
  series: 'delayed-rmap-v1',
  index: 1,
  title: "mm: zap_page_range: narrow down 'page' variable scope",
  requires: [],
  effect: 'none',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L2043-2071 (attachment 0001, not in the seed)',
  apply() {},
});

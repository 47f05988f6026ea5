// PLACEHOLDER (to be written): lazy-mm/13 "exec: Remove unnecessary vmacache_seqnum clear in exec_mmap()"
// Seed: seeds/000_13ce268f039a5445.txt L3353
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/13',
  series: 'lazy-mm',
  index: 13,
  title: 'exec: Remove unnecessary vmacache_seqnum clear in exec_mmap()',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L3353',
  apply() {},
});

// delayed-rmap-v2/02 "mm: inline simpler case of page_remove_file_rmap()"
// Seed: seeds/002_a22f6d6eeee8c674.txt L2960-3075 (part of the simplification series).
// Changes nothing in the model (see 01).
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'delayed-rmap-v2/02',
  series: 'delayed-rmap-v2',
  index: 2,
  title: 'mm: inline simpler case of page_remove_file_rmap()',
  requires: ['delayed-rmap-v2/01'],
  effect: 'none',
  seed: 'seeds/002_a22f6d6eeee8c674.txt L2960-3075',
  apply() {},
});

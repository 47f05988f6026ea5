// lazy-mm/01 "membarrier: Document why membarrier() works"
// Seed: seeds/000_13ce268f039a5445.txt L161-267, diff L192-262 (kernel/sched/membarrier.c, comment only).
// Changes nothing in the model: it only documents the rule (F before and after a change of
// rq->curr->mm) that core/model/baseline/membarrier.ts checks; it exists so bisect positions match the series.
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'lazy-mm/01',
  series: 'lazy-mm',
  index: 1,
  title: 'membarrier: Document why membarrier() works',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L161-267 (diff L192-262)',
  apply() {},
});

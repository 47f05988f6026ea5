// lazier-tlb/07 "x86,switch_mm: skip atomic operations for init_mm" — tip e9d8c6155768
// ("x86/mm/tlb: Skip atomic operations for 'init_mm' in switch_mm_irqs_off()", not reverted;
// anchors-upstream.md §2: "this change below made a 2% performance difference for a memcache
// style workload"). Seed 003 L18-20 and L56-59 are about these atomics.
// switch_mm_irqs_off() no longer clears/sets this CPU's bit in init_mm's mm_cpumask: "we never
// send init_mm TLB flushing IPIs, but the bitmap manipulation can cause cache line contention".
import { definePatch } from '../../core/series/types.ts';
import * as L from '../../core/layout.ts';

export default definePatch({
  id: 'lazier-tlb/07',
  series: 'lazier-tlb',
  index: 7,
  title: 'x86,switch_mm: skip atomic operations for init_mm',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/003_7db9a387f0b5ce4c.txt L18-20, L56-59 (discussion); tip e9d8c6155768 (anchors-upstream.md §2)',
  apply(r) {
    // +	if (real_prev != &init_mm) { ... cpumask_clear_cpu(cpu, mm_cpumask(real_prev)); }
    // +	if (next != &init_mm) cpumask_set_cpu(cpu, mm_cpumask(next));
    r.replace('switch_mm_irqs_off', 'cpumask_clear_set', function* (k, x, f) {
      if (f.real_prev === f.next) return;
      if (f.real_prev !== k.init_mm) {
        k.cmpxchg(x, f.real_prev + L.MM_CPUMASK + x.cpu, 1, 0);
        k.archState.switchingFrom[x.cpu] = f.real_prev;
        yield 0;
      }
      if (f.next !== k.init_mm) {
        k.cmpxchg(x, f.next + L.MM_CPUMASK + x.cpu, 0, 1);
        yield 0;
      }
      f.next_tlb_gen = k.ld(x, f.next + L.MM_TLB_GEN);
      yield 0;
    });
  },
});

// lazier-tlb/07 "x86,switch_mm: skip atomic operations for init_mm" — tip e9d8c6155768
// ("x86/mm/tlb: Skip atomic operations for 'init_mm' in switch_mm_irqs_off()", not reverted;
// anchors-upstream.md §2: "this change below made a 2% performance difference for a memcache
// style workload"). Seed 003 L18-20 and L56-59 are about these atomics.
// switch_mm_irqs_off() no longer clears/sets this CPU's bit in init_mm's mm_cpumask: "we never
// send init_mm TLB flushing IPIs, but the bitmap manipulation can cause cache line contention".
import { definePatch, NEXT, YIELD, again, L } from '../../core/model/index.ts';
import { x86State } from '../../arches/x86.ts';
import '../../arches/x86-4.18.ts'; // the step it replaces

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
    // Resume points: 1 after clearing prev's bit, 2 after setting next's.
    r.replace('switch_mm_irqs_off', 'cpumask_clear_set', (k, x, f, pc) => {
      if (pc === 0) {
        if (f.real_prev === f.next) return NEXT;
        if (f.real_prev !== k.init_mm) {
          k.cmpxchg(x, f.real_prev + L.MM_CPUMASK + x.cpu, 1, 0);
          x86State(k).switchingFrom[x.cpu] = f.real_prev;
          return again(1);
        }
        pc = 1;
      }
      if (pc === 1 && f.next !== k.init_mm) {
        k.cmpxchg(x, f.next + L.MM_CPUMASK + x.cpu, 0, 1);
        return again(2);
      }
      f.next_tlb_gen = k.ld(x, f.next + L.MM_TLB_GEN);
      return YIELD;
    });
  },
});

// Nicholas Piggin, "[PATCH v7 0/5] shoot lazy tlbs (lazy tlb refcount scalability improvement)",
// 2023-02-03, merged for v6.4 (anchors-upstream.md §1: mainline 6cad87b0d216, aa464ba9a1e4,
// 88e3009b5283, 2655421ae69f, 77f68ebeee20), on v6.2. Seeds: 004 (Andy's NACK of an earlier
// posting of 03), 000 L6019-6021, L6534-6600 and L7374-7446 (the argument with lazy-mm/16).
// Options: --set MMU_LAZY_TLB_REFCOUNT=y|n, MMU_LAZY_TLB_SHOOTDOWN=y|n, DEBUG_VM_SHOOT_LAZIES=y|n;
// combinations Kconfig cannot produce need --force (see kconfig.ts).
import type { SeriesDef } from '../../core/model/index.ts';
import p01 from './01-kthread-simplify-kthread-use-mm-refcounting.ts';
import p02 from './02-lazy-tlb-introduce-lazy-tlb-mm-refcount-helper.ts';
import p03 from './03-lazy-tlb-allow-lazy-tlb-mm-refcounting-to-be-configurable.ts';
import p04 from './04-lazy-tlb-shoot-lazies-non-refcounting-lazy-tlb-mm.ts';
import p05 from './05-powerpc-64s-enable-mmu-lazy-tlb-shootdown.ts';
import { validateLazyTlbKconfig } from './kconfig.ts';

export const shootLazies: SeriesDef = {
  id: 'shoot-lazies',
  title: 'shoot lazy tlbs (lazy tlb refcount scalability improvement)',
  author: 'Nicholas Piggin',
  date: '2023-02-03',
  base: '6.2.0',
  patches: [p01, p02, p03, p04, p05],
  options: [
    { name: 'MMU_LAZY_TLB_REFCOUNT', type: 'bool', default: 'y unless SHOOTDOWN', help: 'lazy active_mm references hold mm_count (shoot-lazies/03)' },
    { name: 'MMU_LAZY_TLB_SHOOTDOWN', type: 'bool', default: 'y on powerpc 64s with 05, else n', help: '__mmdrop() IPIs mm_cpumask to switch lazy users to init_mm (shoot-lazies/04)' },
    { name: 'DEBUG_VM_SHOOT_LAZIES', type: 'bool', default: 'n', help: 'after the shootdown, IPI every CPU and WARN on a leftover lazy user' },
  ],
  validate: ({ arch, params, patches }) => validateLazyTlbKconfig(arch, params, patches),
};

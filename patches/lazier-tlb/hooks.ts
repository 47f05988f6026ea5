// Kernel functions the lazier-tlb series adds (arch/x86/mm/tlb.c, v4.18 + the July 2018 series).
import { defineHooks } from '../../core/hooks.ts';
import * as L from '../../core/layout.ts';
import type { Kernel, Ctx } from '../../core/kernel.ts';

export const LH = defineHooks(['tlb_flush_remove_tables', 'tlb_flush_remove_tables_local']);

export const loadedMm = (k: Kernel, c: number) => k.tlb[c] + L.TLB_LOADED_MM;
export const isLazy = (k: Kernel, c: number) => k.tlb[c] + L.TLB_IS_LAZY;

/** for_each_cpu(cpu, mm_cpumask(mm)) */
export function cpumaskOf(k: Kernel, x: Ctx, mm: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < k.ncpus; c++) if (k.ld(x, mm + L.MM_CPUMASK + c)) out.push(c);
  return out;
}

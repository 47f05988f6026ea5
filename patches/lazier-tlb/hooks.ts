// Kernel functions the lazier-tlb series adds (arch/x86/mm/tlb.c, v4.18 + the July 2018 series).
import { fns, ptr, bool, int, cpus, frameExt, L, type Kernel, type Ctx } from '../../core/model/index.ts';
import '../../arches/x86-4.18.ts'; // the x86 v4.18 steps the series replaces

export const LH = fns({
  /** `mask`: mm_cpumask(mm); `lazy_cpus`: 05's mm_fill_lazy_tlb_cpu_mask() */
  tlb_flush_remove_tables: { mm: ptr, mask: cpus, lazy_cpus: cpus },
  tlb_flush_remove_tables_local: { mm: ptr, loaded_mm: ptr, is_lazy: bool },
});
/** 04's native_flush_tlb_others(): the IRQ state around the local flush. */
export const LH_EXT = frameExt({ flush_tlb_multi: { was: int } });
declare module '../../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof LH> {}
  interface FrameExts { 'lazier-tlb': typeof LH_EXT }
  interface KernelSteps {
    'tlb_flush_mmu.tlb_flush_remove_tables': true; 'tlb_flush_remove_tables.smp_call_function_many': true;
    'tlb_flush_remove_tables.mm_fill_lazy_tlb_cpu_mask': true; 'tlb_flush_remove_tables_local.switch_to_init_mm': true;
    'switch_mm_irqs_off.smp_mb': true; 'switch_mm_irqs_off.check_tlb_gen': true;
  }
}

export const loadedMm = (k: Kernel, c: number) => k.tlb[c] + L.TLB_LOADED_MM;
export const isLazy = (k: Kernel, c: number) => k.tlb[c] + L.TLB_IS_LAZY;

/** for_each_cpu(cpu, mm_cpumask(mm)) */
export function cpumaskOf(k: Kernel, x: Ctx, mm: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < k.ncpus; c++) if (k.ld(x, mm + L.MM_CPUMASK + c)) out.push(c);
  return out;
}

// What the shoot-lazies series shares between its patches: the kernel functions it adds
// (mmgrab_lazy_tlb & co, cleanup_lazy_tlbs, the shootdown IPI handlers), the two Kconfig options
// it introduces and their dependency, and the KASAN check site of Andy Lutomirski's NACK.
//
// Kconfig, as merged in v6.4 (anchors-upstream.md §1; seed 004 L33-40 shows the same context):
//   config MMU_LAZY_TLB_REFCOUNT   def_bool y, depends on !MMU_LAZY_TLB_SHOOTDOWN   (patch 03, 04)
//   config MMU_LAZY_TLB_SHOOTDOWN  bool, no prompt: an arch selects it               (patch 04)
//   powerpc: select MMU_LAZY_TLB_SHOOTDOWN if PPC_BOOK3S_64                          (patch 05)
// so REFCOUNT == !SHOOTDOWN in every configuration Kconfig can produce. `--set` reaches the rest:
// `MMU_LAZY_TLB_SHOOTDOWN=y` on another arch models that arch selecting it (PeterZ: "x86 is very
// close to be able to use this"); `MMU_LAZY_TLB_REFCOUNT=n` without SHOOTDOWN is what Andy's
// [HACK] forced with `depends on !X86` (seed 004 L29-40), refused unless --force.
import {
  fns, ptr, task, cpus, NEXT, L,
  type StepRegistry, type Kernel, type Params, type ArchPlugin,
} from '../../core/model/index.ts';

export const SH = fns({
  mmgrab_lazy_tlb: { mm: ptr },
  mmdrop_lazy_tlb: { mm: ptr },
  mmdrop_lazy_tlb_sched: { mm: ptr },
  /** `mask`: the CPUs shot down; `online`: the CPUs DEBUG_VM_SHOOT_LAZIES checks */
  cleanup_lazy_tlbs: { mm: ptr, mask: cpus, online: cpus },
  do_shoot_lazy_tlb: { mm: ptr, cur: task, active_mm: ptr },
  do_check_lazy_tlb: { mm: ptr },
});
declare module '../../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof SH> {}
  interface KernelSteps {
    'kthread_use_mm.mmgrab': true; 'kthread_use_mm.set_active_mm': true;
    'mmgrab_lazy_tlb.mmgrab': true; 'mmdrop_lazy_tlb.mmdrop': true; 'mmdrop_lazy_tlb_sched.mmdrop_sched': true;
    'exit_mm.mmgrab_lazy_tlb': true; 'start_secondary.mmgrab_lazy_tlb_init_mm': true;
    'kthread_unuse_mm.mmgrab_lazy_tlb': true; 'kthread_unuse_mm.mmdrop': true;
    'context_switch.kasan_check_byte': true;
    'cleanup_lazy_tlbs.on_each_cpu_mask': true; 'cleanup_lazy_tlbs.debug_vm_shoot_lazies': true;
    'do_shoot_lazy_tlb.switch_to_init_mm': true; 'do_check_lazy_tlb.check': true;
    '__mmdrop.cleanup_lazy_tlbs': true;
  }
}

export interface LazyTlbConfig {
  /** CONFIG_MMU_LAZY_TLB_REFCOUNT: lazy active_mm references hold mm_count */
  refcount: boolean;
  /** CONFIG_MMU_LAZY_TLB_SHOOTDOWN: __mmdrop IPIs mm_cpumask to switch lazy users to init_mm */
  shootdown: boolean;
  /** CONFIG_DEBUG_VM_SHOOT_LAZIES: IPI every CPU after the shootdown and WARN on a leftover */
  debugShootLazies: boolean;
}

const truthy = (v: string | undefined, dflt: boolean) => (v === undefined ? dflt : v === 'y' || v === '1' || v === 'true');

/** CONFIG_PPC_BOOK3S_64: the powerpc model is a 64-bit Book3S machine (hash or radix MMU). */
export function isPpcBook3s64(arch: ArchPlugin): boolean {
  return arch.name.startsWith('powerpc') && !/32|e500|8xx|40x|44x/.test(arch.name);
}

/** The lazy-TLB Kconfig of a configuration: which options exist (patches applied), their values. */
export function lazyTlbKconfig(arch: ArchPlugin, params: Params, patchIds: readonly string[]): LazyTlbConfig & { hasRefcount: boolean; hasShootdown: boolean } {
  const hasRefcount = patchIds.includes('shoot-lazies/03');
  const hasShootdown = patchIds.includes('shoot-lazies/04');
  const archSelects = patchIds.includes('shoot-lazies/05') && isPpcBook3s64(arch);
  const shootdown = hasShootdown && truthy(params.MMU_LAZY_TLB_SHOOTDOWN, archSelects);
  const refcount = !hasRefcount || truthy(params.MMU_LAZY_TLB_REFCOUNT, !shootdown);
  const debugShootLazies = shootdown && truthy(params.DEBUG_VM_SHOOT_LAZIES, false);
  return { refcount, shootdown, debugShootLazies, hasRefcount, hasShootdown };
}

/** Kconfig's verdict on a configuration: a reason it cannot be built, or null. */
export function validateLazyTlbKconfig(arch: ArchPlugin, params: Params, patchIds: readonly string[]): string | null {
  const c = lazyTlbKconfig(arch, params, patchIds);
  if (!c.hasRefcount) return null; // the options do not exist yet: Kconfig ignores unknown symbols
  if (!c.hasShootdown && !c.refcount)
    return 'MMU_LAZY_TLB_REFCOUNT=n is not reachable with shoot-lazies/03 alone (def_bool y, no prompt)';
  if (c.hasShootdown && c.refcount === c.shootdown)
    return c.refcount
      ? 'MMU_LAZY_TLB_REFCOUNT=y with MMU_LAZY_TLB_SHOOTDOWN=y is not reachable (REFCOUNT depends on !MMU_LAZY_TLB_SHOOTDOWN)'
      : `MMU_LAZY_TLB_REFCOUNT=n without MMU_LAZY_TLB_SHOOTDOWN on ${arch.name} is not reachable (REFCOUNT is def_bool y unless SHOOTDOWN; Andy's [HACK] forced it with 'depends on !X86')`;
  return null;
}

const cache = new WeakMap<Kernel, LazyTlbConfig>();
/** The configuration a kernel was built with (computed once per kernel). */
export function lazyTlb(k: Kernel): LazyTlbConfig {
  let c = cache.get(k);
  if (!c) {
    c = lazyTlbKconfig(k.arch, k.params, k.cfg.patches.map((p) => p.id));
    cache.set(k, c);
  }
  return c;
}

/** Andy's [HACK] "demonstrate lazy tlb issues" (seed 004 L41-55), as a check site of the KASAN
 *  oracle: context_switch(), right after arch_start_context_switch(prev), checks that
 *  prev->active_mm is not freed memory. Nothing else dereferences a dangling active_mm on x86
 *  ("it appears to work as long as kasan isn't in play"), so without this site the model's
 *  KASAN, which sees accesses, would not notice either. It reads like every oracle (this CPU's
 *  view, k.view), without a scheduling point: traces and
 *  DPOR footprints are unchanged unless it fires. `--drop-step context_switch.kasan_check_byte`
 *  removes it. */
export function registerKasanCheckByte(r: StepRegistry) {
  if (r.has('context_switch', 'kasan_check_byte')) return; // another series already put it there
  r.add('context_switch', 'kasan_check_byte', (k, x, f) => {
    const mm = k.view(x.cpu, f.prev + L.T_ACTIVE_MM); // what this CPU reads
    if (mm <= 0 || !k.m.dead[mm]) return NEXT;
    const o = k.m.objAt(mm)!;
    k.violate('kasan', `use-after-free read of ${k.m.nameOf(mm)} in kasan_check_byte(prev->active_mm), prev=${k.task(f.prev).name} (${o.kind} freed by ${o.freedBy})`, x);
    return NEXT;
  }, { after: 'prepare_task_switch' });
}

// lazy-mm/23 "x86/mm: Opt in to IRQs-off activate_mm()"
// Seed: seeds/000_13ce268f039a5445.txt L4881-4942 (diff L4906-4936: arch/x86/Kconfig,
// arch/x86/include/asm/mmu_context.h).
// x86 selects ARCH_WANT_IRQS_OFF_ACTIVATE_MM, so the exec path (__change_current_mm(mm, true) after
// 14, exec_mmap() before) keeps IRQs off across activate_mm() and enables them after it; and x86's
// activate_mm() calls switch_mm_irqs_off() instead of switch_mm() (no local_irq_save/restore).
import { definePatch, NEXT, YIELD, CALL, H, NULL, type Kernel, type Ctx } from '../../core/model/index.ts';

declare module '../../core/model/fns.ts' {
  interface KernelSteps {
    '__change_current_mm.irq_enable_before_activate_mm': true; '__change_current_mm.irq_enable_after_activate_mm': true;
    'exec_mmap.irq_enable_before_activate_mm': true; 'exec_mmap.irq_enable_after_activate_mm': true;
    'activate_mm.switch_mm_irqs_off': true;
  }
}

/** local_irq_enable(): a pending interrupt is taken here (a scheduling point). */
function irqEnable(k: Kernel, x: Ctx): number {
  k.cpus[x.cpu].irqsOff = false;
  return YIELD;
}

export default definePatch({
  id: 'lazy-mm/23',
  series: 'lazy-mm',
  index: 23,
  title: 'x86/mm: Opt in to IRQs-off activate_mm()',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L4881-4942 (diff L4906-4936)',
  apply(r, k) {
    if (!k.arch.name.startsWith('x86')) return;
    // arch/x86/Kconfig: select ARCH_WANT_IRQS_OFF_ACTIVATE_MM (a build-time choice: IS_ENABLED()
    // is now true in the core exec path).
    //   if (!IS_ENABLED(CONFIG_ARCH_WANT_IRQS_OFF_ACTIVATE_MM)) local_irq_enable();   -> gone
    //   activate_mm(old_active_mm, mm);
    //   if (IS_ENABLED(CONFIG_ARCH_WANT_IRQS_OFF_ACTIVATE_MM)) local_irq_enable();   -> always
    if (r.has('__change_current_mm', 'irq_enable_before_activate_mm')) {
      // __change_current_mm(): only its mm_is_brand_new branch calls activate_mm()
      r.replace('__change_current_mm', 'irq_enable_before_activate_mm', () => NEXT);
      r.replace('__change_current_mm', 'irq_enable_after_activate_mm', (k, x, f) => (f.brand_new ? irqEnable(k, x) : NEXT));
    } else {
      r.replace('exec_mmap', 'irq_enable_before_activate_mm', () => NEXT);
      r.replace('exec_mmap', 'irq_enable_after_activate_mm', (k, x) => irqEnable(k, x));
    }
    // #define activate_mm(prev, next) do { paravirt_activate_mm((prev), (next));
    // -	switch_mm((prev), (next), NULL);
    // +	switch_mm_irqs_off((prev), (next), NULL);
    r.replace('activate_mm', 'switch_mm', (k, x, f) => {
      const c = k.call(x, H.switch_mm_irqs_off);
      c.prev = f.prev;
      c.next = f.next;
      c.tsk = NULL;
      return CALL;
    }, 'switch_mm_irqs_off');
  },
});

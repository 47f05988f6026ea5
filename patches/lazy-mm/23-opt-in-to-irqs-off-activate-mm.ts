// lazy-mm/23 "x86/mm: Opt in to IRQs-off activate_mm()"
// Seed: seeds/000_13ce268f039a5445.txt L4881-4942 (diff L4906-4936: arch/x86/Kconfig,
// arch/x86/include/asm/mmu_context.h).
// x86 selects ARCH_WANT_IRQS_OFF_ACTIVATE_MM, so the exec path (__change_current_mm(mm, true) after
// 14, exec_mmap() before) keeps IRQs off across activate_mm() and enables them after it; and x86's
// activate_mm() calls switch_mm_irqs_off() instead of switch_mm() (no local_irq_save/restore).
import { definePatch } from '../../core/series/types.ts';
import { H, type Kernel, type Ctx } from '../../core/kernel.ts';

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
    const hook = r.has('__change_current_mm', 'irq_enable_before_activate_mm') ? '__change_current_mm' : 'exec_mmap';
    const brandNew = (f: { brand_new?: boolean }) => hook === 'exec_mmap' || !!f.brand_new;
    r.replace(hook, 'irq_enable_before_activate_mm', () => {});
    r.replace(hook, 'irq_enable_after_activate_mm', function* (k: Kernel, x: Ctx, f) {
      if (!brandNew(f)) return;
      k.cpus[x.cpu].irqsOff = false;
      yield 0; // a pending interrupt is taken here
    });
    // #define activate_mm(prev, next) do { paravirt_activate_mm((prev), (next));
    // -	switch_mm((prev), (next), NULL);
    // +	switch_mm_irqs_off((prev), (next), NULL);
    r.replace('activate_mm', 'switch_mm', function* (k, _x, f) {
      yield k.invoke(H.switch_mm_irqs_off, { prev: f.prev, next: f.next, tsk: null });
    }, 'switch_mm_irqs_off');
  },
});

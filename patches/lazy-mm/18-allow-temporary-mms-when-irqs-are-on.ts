// lazy-mm/18 "x86/mm: Allow temporary mms when IRQs are on"
// Seed: seeds/000_13ce268f039a5445.txt L4444-4518 (diff L4470-4512, arch/x86/mm/tlb.c).
// use_temporary_mm() and unuse_temporary_mm() assert preemption disabled instead of IRQs disabled
// (lockdep_assert_irqs_disabled -> lockdep_assert_preemption_disabled). The model never preempts a
// task inside an operation, so the new assertion always holds: the IRQs-off check is simply gone.
// Their bodies still call switch_mm_irqs_off(), whose x86 WARN_ON_ONCE(!irqs_disabled()) stays.
import { definePatch, NEXT, CALL, H, NULL } from '../../core/model/index.ts';

declare module '../../core/model/fns.ts' {
  interface KernelSteps {
    'use_temporary_mm.lockdep_assert_preemption_disabled': true; 'unuse_temporary_mm.switch_mm_irqs_off': true;
  }
}

export default definePatch({
  id: 'lazy-mm/18',
  series: 'lazy-mm',
  index: 18,
  title: 'x86/mm: Allow temporary mms when IRQs are on',
  requires: [],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L4444-4518 (diff L4470-4512)',
  apply(r, k) {
    if (!k.arch.name.startsWith('x86')) return;
    // temp_mm_state_t use_temporary_mm(struct mm_struct *mm)
    // -	lockdep_assert_irqs_disabled();
    // +	lockdep_assert_preemption_disabled();
    r.replace('use_temporary_mm', 'lockdep_assert_irqs_disabled', () => NEXT, 'lockdep_assert_preemption_disabled');
    // void unuse_temporary_mm(temp_mm_state_t prev_state)
    // -	lockdep_assert_irqs_disabled();
    // +	lockdep_assert_preemption_disabled();
    // 	switch_mm_irqs_off(NULL, prev_state.mm, current);
    r.replace('unuse_temporary_mm', 'switch_mm_irqs_off', (k, x, f) => {
      k.cpus[x.cpu].tempMm = NULL;
      const c = k.call(x, H.switch_mm_irqs_off);
      c.prev = NULL;
      c.next = f.prev_mm;
      c.tsk = k.cpus[x.cpu].curr.ref;
      return CALL;
    });
  },
});

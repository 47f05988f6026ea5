// lazy-mm/19 "x86/efi: Make efi_enter/leave_mm use the temporary_mm machinery"
// Seed: seeds/000_13ce268f039a5445.txt L4519-4581 (diff L4545-4575, arch/x86/platform/efi/efi_64.c).
// efi_enter_mm() no longer writes current->active_mm = &efi_mm and switch_mm()es (IRQs saved off
// inside switch_mm); it calls use_temporary_mm(&efi_mm) (unlazy first if lazy, then
// switch_mm_irqs_off), and efi_leave_mm() calls unuse_temporary_mm(efi_temp_mm_state). EFI runtime
// services run with IRQs on and preemption off, so switch_mm_irqs_off() now runs with IRQs on.
import { definePatch } from '../../core/series/types.ts';
import { H } from '../../core/kernel.ts';

export default definePatch({
  id: 'lazy-mm/19',
  series: 'lazy-mm',
  index: 19,
  title: 'x86/efi: Make efi_enter/leave_mm use the temporary_mm machinery',
  requires: ['lazy-mm/17', 'lazy-mm/18'],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L4519-4581 (diff L4545-4575)',
  apply(r, k) {
    if (!k.arch.name.startsWith('x86')) return;
    // arch/x86/platform/efi/efi_64.c only: a Xen PV guest calls EFI through hypercalls (EFI_PARAVIRT)
    // and its arch module has no efi_mm switch to convert.
    if (!r.has('efi_enter_mm', 'switch_to_efi_mm')) return;
    // -static struct mm_struct *efi_prev_mm;
    // +static temp_mm_state_t efi_temp_mm_state;   (a global: EFI calls are serialized)
    // void efi_enter_mm(void) { efi_temp_mm_state = use_temporary_mm(&efi_mm); }
    r.replace('efi_enter_mm', 'switch_to_efi_mm', function* (k) {
      const st = { mm: k.archState.efi_mm };
      k.archState.efi_temp_mm_state = st;
      yield k.invoke(H.use_temporary_mm, st);
    }, 'use_temporary_mm');
    // void efi_leave_mm(void) { unuse_temporary_mm(efi_temp_mm_state); }
    r.replace('efi_leave_mm', 'switch_to_prev_mm', function* (k) {
      yield k.invoke(H.unuse_temporary_mm, k.archState.efi_temp_mm_state);
    }, 'unuse_temporary_mm');
  },
});

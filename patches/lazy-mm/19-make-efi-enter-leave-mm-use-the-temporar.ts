// lazy-mm/19 "x86/efi: Make efi_enter/leave_mm use the temporary_mm machinery"
// Seed: seeds/000_13ce268f039a5445.txt L4519-4581 (diff L4545-4575, arch/x86/platform/efi/efi_64.c).
// efi_enter_mm() no longer writes current->active_mm = &efi_mm and switch_mm()es (IRQs saved off
// inside switch_mm); it calls use_temporary_mm(&efi_mm) (unlazy first if lazy, then
// switch_mm_irqs_off), and efi_leave_mm() calls unuse_temporary_mm(efi_temp_mm_state). EFI runtime
// services run with IRQs on and preemption off, so switch_mm_irqs_off() now runs with IRQs on.
import {
  definePatch, frameExt, struct, NEXT, CALL, callAgain, STATE_PARTS, H,
  type Kernel, type RecordView,
} from '../../core/model/index.ts';
import { x86State } from '../../arches/x86.ts';

/** efi_enter_mm()/efi_leave_mm() pass a temp_mm_state_t to use/unuse_temporary_mm() by value: a
 *  copy of it in their frames. */
export const P19_EXT = frameExt({
  efi_enter_mm: { tmp: struct('temp_mm_state') },
  efi_leave_mm: { tmp: struct('temp_mm_state') },
});
declare module '../../core/model/fns.ts' {
  interface FrameExts { 'lazy-mm/19': typeof P19_EXT }
  interface KernelSteps {
    'efi_enter_mm.use_temporary_mm': true; 'efi_leave_mm.unuse_temporary_mm': true;
  }
}

// -static struct mm_struct *efi_prev_mm;
// +static temp_mm_state_t efi_temp_mm_state;   (a global: EFI calls are serialized)
// Declared state of its own, in the kernels this patch is applied to.
const EFI_TEMP_MM_STATE = { mm: 'word', prev_mm: 'word' } as const;
const efiTempMmState = new WeakMap<Kernel, RecordView<typeof EFI_TEMP_MM_STATE>>();
const applied = (k: Kernel) => k.cfg.patches.some((p) => p.id === 'lazy-mm/19');
STATE_PARTS.push({
  declare(k) {
    if (applied(k)) efiTempMmState.set(k, k.declareRecord('lazy-mm/19 efi_temp_mm_state', EFI_TEMP_MM_STATE));
  },
  boot(k) {
    const s = efiTempMmState.get(k);
    if (s) { s.mm = 0; s.prev_mm = 0; }
  },
});

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
    // void efi_enter_mm(void) { efi_temp_mm_state = use_temporary_mm(&efi_mm); }
    // Resume point 1: use_temporary_mm() has returned (it filled in tmp.prev_mm).
    r.replace('efi_enter_mm', 'switch_to_efi_mm', (k, x, f, pc) => {
      const s = efiTempMmState.get(k)!;
      const tmp = k.at(x, H.temp_mm_state, f.tmp);
      if (pc === 1) {
        s.mm = tmp.mm;
        s.prev_mm = tmp.prev_mm;
        return NEXT;
      }
      tmp.mm = x86State(k).efi_mm;
      k.callOn(x, H.use_temporary_mm, f.tmp);
      return callAgain(1);
    }, 'use_temporary_mm');
    // void efi_leave_mm(void) { unuse_temporary_mm(efi_temp_mm_state); }
    r.replace('efi_leave_mm', 'switch_to_prev_mm', (k, x, f) => {
      const s = efiTempMmState.get(k)!;
      const tmp = k.at(x, H.temp_mm_state, f.tmp);
      tmp.mm = s.mm;
      tmp.prev_mm = s.prev_mm;
      k.callOn(x, H.unuse_temporary_mm, f.tmp);
      return CALL;
    }, 'unuse_temporary_mm');
  },
});

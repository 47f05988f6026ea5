// PLACEHOLDER (to be written): lazy-mm/19 "x86/efi: Make efi_enter/leave_mm use the temporary_mm machinery"
// Seed: seeds/000_13ce268f039a5445.txt L4519
import { definePatch } from '../../core/series/types.ts';

export default definePatch({
  id: 'lazy-mm/19',
  series: 'lazy-mm',
  index: 19,
  title: 'x86/efi: Make efi_enter/leave_mm use the temporary_mm machinery',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L4519',
  apply() {},
});

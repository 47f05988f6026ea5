// lazy-mm/17 "x86/mm: Make use/unuse_temporary_mm() non-static"
// Seed: seeds/000_13ce268f039a5445.txt L4243-4443 (diff L4268-4437: arch/x86/include/asm/mmu_context.h,
// arch/x86/kernel/alternative.c, arch/x86/mm/tlb.c).
// Nothing changes in the model: the diff moves temp_mm_state_t, use_temporary_mm() and
// unuse_temporary_mm() from alternative.c (static inline) to tlb.c (extern) with "The code is
// unchanged", and the model already has them as the x86 hooks use_temporary_mm/unuse_temporary_mm.
// The patch exists so that bisect positions match the series (18 and 19 build on it).
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'lazy-mm/17',
  series: 'lazy-mm',
  index: 17,
  title: 'x86/mm: Make use/unuse_temporary_mm() non-static',
  requires: [],
  effect: 'none',
  seed: 'seeds/000_13ce268f039a5445.txt L4243-4443 (diff L4268-4437)',
  apply() {},
});

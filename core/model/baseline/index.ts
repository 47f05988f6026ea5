// The baseline kernel (v5.16 semantics, before any series), registered as named steps: the first
// plugin every kernel applies, before the arch and the patches.
import type { StepRegistry } from '../registry.ts';
import { fns, alias, ptr, task, int, bool, struct, YIELD } from '../fns.ts';
import { BASELINE, type Kernel } from '../kernel.ts';
import { registerRefcount } from './refcount.ts';
import { registerSched } from './sched.ts';
import { registerMembarrier, membarrierAccessCheck } from './membarrier.ts';
import { registerCurrentMm } from './current_mm.ts';
import { registerHotplug } from './hotplug.ts';
import { registerIpi } from './ipi.ts';
import { registerSyscalls, opIn } from './syscalls.ts';
import { BASELINE_PARTS } from '../parts.ts';
// The parts registered after the baseline's own functions, in this order: the page-level model
// (its steps do nothing in a scenario without pages), then lazy MMU mode (v6.14 callers and rules).
import '../page/index.ts';
import './lazy_mmu.ts';
import * as L from '../layout.ts';

/** Kernel entry points whose bodies the arch plugins supply (empty where an arch has none). */
export const ENTRY = fns({
  leave_mm: {},
  nmi: {},
  perf_callchain_user: {},
  /** x86's temp_mm_state_t: the mm to switch to and the one to switch back to */
  temp_mm_state: { mm: ptr, prev_mm: ptr },
  use_temporary_mm: alias('temp_mm_state'),
  unuse_temporary_mm: alias('temp_mm_state'),
  text_poke: { tmp: struct('temp_mm_state') },
  efi_enter_mm: {},
  efi_leave_mm: {},
  cpuidle_enter_state: { tlb_flushed: bool },
  /** a user-mode access by current (or a uaccess by a kthread in kthread_use_mm) */
  user_access: { mm: ptr, tsk: task, op: int },
});
declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof ENTRY> {}
  interface KernelSteps { 'user_access.mmu_walk': 'baseline' }
}


export function registerBaseline(r: StepRegistry, _k: Kernel) {
  registerRefcount(r);
  registerSched(r);
  registerMembarrier(r);
  registerCurrentMm(r);
  registerHotplug(r);
  registerIpi(r);
  registerSyscalls(r);
  for (const p of BASELINE_PARTS) p(r);

  // A user-mode access by current (or a uaccess by a kthread in kthread_use_mm): the MMU walks
  // the loaded page tables, so they must be current's and alive.
  r.add('user_access', 'mmu_walk', (k, x, f) => {
    const tsk = k.task(f.tsk);
    const op0 = opIn(k, { tsk: f.tsk, op: f.op }).op;
    membarrierAccessCheck(k, x, f.mm, !tsk.kthread, op0 !== 'store');
    const hw = k.arch.hwLoadedMm(k, x.cpu);
    if (hw !== f.mm) k.violate('warn', `${tsk.name} accesses user memory of ${k.name(f.mm)} but cpu${x.cpu}'s CR3 holds ${k.name(hw)}`, x);
    const mi = k.mmInfo(f.mm)!;
    k.ld(x, mi.pgd);
    const op = opIn(k, { tsk: f.tsk, op: f.op });
    if (op.op === 'store') k.st(x, f.mm + (op.v === 'x' ? L.MM_USER_DATA : L.MM_USER_DATA + 1), op.val);
    else if (op.op === 'load') tsk.setReg(op.reg, k.ld(x, f.mm + (op.v === 'x' ? L.MM_USER_DATA : L.MM_USER_DATA + 1)));
    return YIELD;
  });
}

BASELINE.register = registerBaseline;
export { BASELINE_PARTS };
export { int };

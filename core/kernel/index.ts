// The baseline kernel (v5.16 semantics, before any series), registered as named steps.
import type { StepRegistry } from '../hooks.ts';
import { registerRefcount } from './refcount.ts';
import { registerSched } from './sched.ts';
import { registerMembarrier, membarrierAccessCheck } from './membarrier.ts';
import { registerCurrentMm } from './current_mm.ts';
import { registerHotplug } from './hotplug.ts';
import { registerPages } from '../page/index.ts';
import { registerLazyMmuCore } from './lazy_mmu.ts';
import * as L from '../layout.ts';

export function registerBaseline(r: StepRegistry) {
  registerRefcount(r);
  registerSched(r);
  registerMembarrier(r);
  registerCurrentMm(r);
  registerHotplug(r);
  registerPages(r); // the page-level model (its steps do nothing in a scenario without pages)
  registerLazyMmuCore(r); // lazy MMU mode callers and rules, v6.14 (lazy_mmu.ts)

  // A user-mode access by current (or a uaccess by a kthread in kthread_use_mm): the MMU walks
  // the loaded page tables, so they must be current's and alive.
  r.add('user_access', 'mmu_walk', function* (k, x, f) {
    membarrierAccessCheck(k, x, f.mm, !f.tsk.kthread);
    const hw = k.arch.hwLoadedMm(k, x.cpu);
    if (hw !== f.mm) k.violate('warn', `${f.tsk.name} accesses user memory of ${k.name(f.mm)} but cpu${x.cpu}'s CR3 holds ${k.name(hw)}`, x);
    const mi = k.mmInfo(f.mm)!;
    k.ld(x, mi.pgd);
    const op = f.op;
    if (op.op === 'store') k.st(x, f.mm + (op.v === 'x' ? L.MM_USER_DATA : L.MM_USER_DATA + 1), op.val);
    else if (op.op === 'load') f.tsk.regs = { ...(f.tsk.regs ?? {}), [op.reg]: k.ld(x, f.mm + (op.v === 'x' ? L.MM_USER_DATA : L.MM_USER_DATA + 1)) };
    yield 0;
  });
}

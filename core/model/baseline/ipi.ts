// Cross-CPU function calls (kernel/smp.c). Sending is a shared action the explorer interleaves;
// delivery is a separate engine event on the target (enabled while its IRQs are on), so handlers
// interleave with everything else. The sender waits until every handler it sent has run.
//
// smp_call_function_many() and on_each_cpu_mask() are helpers: their steps are traced as the
// calling step's. A caller sets the mask, the handler, the purpose (counted per purpose; the timing
// model and the conformance suite read it) and the handler's arguments through k.ipiArgs().
import type { StepRegistry } from '../registry.ts';
import { helperFns, cpus, fnid, str, int, args, NEXT, YIELD, again, callAgain, block } from '../fns.ts';
import { W_IPIS, counterId, type Kernel, type Ctx, type FrameView } from '../kernel.ts';

const SMP_FRAME = { mask: cpus, fn: fnid, purpose: str, i: int, sent: int, was: int, args: args } as const;
export const IPI = helperFns({
  smp_call_function_many: SMP_FRAME,
  on_each_cpu_mask: SMP_FRAME,
});
declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof IPI> {}
  interface KernelSteps {
    'smp_call_function_many.send': true; 'smp_call_function_many.wait': true;
    'on_each_cpu_mask.send': true; 'on_each_cpu_mask.local': true; 'on_each_cpu_mask.wait': true;
  }
}

type SmpFrame = { mask: number[]; fn: number; purpose: string; i: number; sent: number; was: number; args: number };

/** Counter ids of `ipi_<purpose>`, by purpose (a counter name is a hash lookup). */
const PURPOSE_COUNTER = new Map<string, number>();
const CNT_IPIS = counterId('ipis');
function purposeCounter(purpose: string): number {
  let id = PURPOSE_COUNTER.get(purpose);
  if (id === undefined) { id = counterId(`ipi_${purpose}`); PURPOSE_COUNTER.set(purpose, id); }
  return id;
}

/** One IPI per target CPU (not this one), a scheduling point after each. */
function send(k: Kernel, x: Ctx, f: SmpFrame): number {
  const mask = k.fieldPtr(f, 'mask'), w = (f as unknown as FrameView).$c.w;
  for (; f.i < k.ncpus; f.i++) {
    const t = f.i;
    if (t === x.cpu || (w[mask + (t >>> 5)] & (1 << (t & 31))) === 0) continue;
    // smp_call_function_many_cond(): cpumask_and(cfd->cpumask, mask, cpu_online_mask), so a CPU
    // going down (out of cpu_online_mask, not dead yet) gets no IPI. (Reads hotplug state: global.)
    if (!k.cpus[t].online) { k.fpGlobal(); continue; }
    k.ipiQueue(x, t, f.fn, f.args, f.purpose);
    f.sent++;
    k.countId(purposeCounter(f.purpose));
    k.countId(CNT_IPIS);
    if (k.fpOn) k.fpAdd(-1);
    if (k.tracing) k.tr(x, `send IPI ${k.hookName(f.fn)} -> cpu${t} (${f.purpose})`, 'ipi', undefined, t);
    f.i++;
    return again(0);
  }
  return NEXT;
}

/** Wait for the handlers sent (resume point 1: they have all run). */
function waitAll(k: Kernel, x: Ctx, f: SmpFrame, pc: number): number {
  if (pc === 1 || f.sent === 0) return NEXT;
  k.wait(x, W_IPIS);
  return block(1);
}

export function registerIpi(r: StepRegistry) {
  r.add('smp_call_function_many', 'send', (k, x, f) => send(k, x, f));
  r.add('smp_call_function_many', 'wait', (k, x, f, pc) => waitAll(k, x, f, pc));

  // on_each_cpu_mask(): smp_call_function_many() plus a local call (IRQs off) if this CPU is in
  // the mask.
  r.add('on_each_cpu_mask', 'send', (k, x, f) => send(k, x, f));
  r.add('on_each_cpu_mask', 'local', (k, x, f, pc) => {
    const cpu = k.cpus[x.cpu];
    if (pc === 1) { cpu.irqsOff = f.was !== 0; return NEXT; }
    if (!k.maskHas(f, 'mask', x.cpu)) return NEXT;
    f.was = cpu.irqsOff ? 1 : 0;
    cpu.irqsOff = true;
    const c = k.callWith(x, f.fn as never, f.args);
    const local = k.fieldOffset[f.fn].get('local');
    if (local !== undefined) k.fw[x.id][k.ptr(c) + local] = 1;
    return callAgain(1);
  });
  r.add('on_each_cpu_mask', 'wait', (k, x, f, pc) => waitAll(k, x, f, pc));
}

export { YIELD };

// Cross-CPU function calls (kernel/smp.c). Sending is a shared action the explorer interleaves;
// delivery is a separate engine event on the target (enabled while its IRQs are on), so handlers
// interleave with everything else. A waiting sender blocks until every handler has run.
import { type Kernel, type Ctx, type Ipi } from '../kernel.ts';
import type { Frame } from '../hooks.ts';
import { BLOCK } from './sched.ts';

function* send(k: Kernel, x: Ctx, targets: number[], fn: number, arg: Frame, purpose: string, sent: Ipi[]) {
  for (const t of targets) {
    if (t === x.cpu) continue;
    // smp_call_function_many_cond(): cpumask_and(cfd->cpumask, mask, cpu_online_mask), so a CPU
    // going down (out of cpu_online_mask, not dead yet) gets no IPI. (Reads hotplug state: global.)
    if (!k.cpus[t].online) { k.fpGlobal(); continue; }
    const ipi: Ipi = { fn, arg, from: x.cpu, done: false, purpose };
    k.cpus[t].pending.push(ipi);
    sent.push(ipi);
    k.count(`ipi_${purpose}`);
    k.count('ipis');
    if (k.fpOn) k.fpAdd(-1);
    if (k.tracing) k.tr(x, `send IPI ${k.hookName(fn)} -> cpu${t} (${purpose})`);
    yield 0;
  }
}

function* waitAll(x: Ctx, sent: Ipi[]) {
  if (!sent.length) return;
  x.wait = () => sent.every((i) => i.done);
  yield BLOCK;
}

export function* smp_call_function_many(
  k: Kernel, x: Ctx, targets: number[], fn: number, arg: Frame, wait: boolean, purpose: string,
): Generator<number, void, unknown> {
  const sent: Ipi[] = [];
  yield* send(k, x, targets, fn, arg, purpose, sent);
  if (wait) yield* waitAll(x, sent);
}

/** on_each_cpu_mask(): smp_call_function_many() plus a local call (IRQs off) if this CPU is in
 *  the mask. */
export function* on_each_cpu_mask(
  k: Kernel, x: Ctx, targets: number[], fn: number, arg: Frame, wait: boolean, purpose: string,
): Generator<number, void, unknown> {
  const sent: Ipi[] = [];
  yield* send(k, x, targets, fn, arg, purpose, sent);
  if (targets.includes(x.cpu)) {
    const cpu = k.cpus[x.cpu];
    const was = cpu.irqsOff;
    cpu.irqsOff = true;
    yield k.invoke(fn, { ...arg, local: true });
    cpu.irqsOff = was;
  }
  if (wait) yield* waitAll(x, sent);
}

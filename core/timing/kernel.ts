// The kernel model with a timing observer: the same Kernel (same hooks, same steps, same
// semantics), whose access API also charges virtual time and feeds the coherence model. A
// subclass keeps the explorer's Kernel untouched: its hot path pays nothing for timing.
import { Kernel, type Ctx, type KernelConfig } from '../kernel.ts';
import type { Frame } from '../hooks.ts';
import type { TimingState } from './state.ts';

export class TimingKernel extends Kernel {
  /** set by the driver before each run */
  tm!: TimingState;

  constructor(cfg: KernelConfig) {
    super(cfg);
  }

  override ld(x: Ctx, a: number): number {
    const v = super.ld(x, a);
    this.tm.load(a);
    return v;
  }

  override st(x: Ctx, a: number, v: number) {
    super.st(x, a, v);
    this.tm.store(a, v);
  }

  override atomicAdd(x: Ctx, a: number, d: number, name?: string): number {
    const v = super.atomicAdd(x, a, d, name);
    this.tm.rmw(a);
    return v;
  }

  override cmpxchg(x: Ctx, a: number, old: number, nv: number): number {
    const r = super.cmpxchg(x, a, old, nv);
    this.tm.rmw(a);
    return r;
  }

  override mb(x: Ctx, what?: string) {
    super.mb(x, what);
    this.tm.barrier(what);
  }

  override count(name: string, d = 1) {
    super.count(name, d);
    this.tm.counted(name, d);
  }

  override invoke(h: number, f: Frame): number {
    this.tm.fn(h);
    return super.invoke(h, f);
  }

  override call(h: number, x: Ctx, f: Frame): Generator<number, void, unknown> {
    this.tm.fn(h);
    return super.call(h, x, f);
  }

  override opStep(op: string): number {
    this.tm.op(op);
    return super.opStep(op);
  }
}

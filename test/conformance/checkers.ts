// The arch contract's invariants, checked after every event of explored executions through the
// engine's checker hook (Kernel.checkers). They only read state (peek, ghost, the contexts' call
// stacks and frames, the IPI queues) and report through k.violate('conformance', ...); they never
// change anything. What they remember between events (the open flushes and exits, the IPIs already
// looked at) is the observer's own JavaScript state, not kernel state: it is reset when a new run
// starts (boot() makes a new task list), and the explorer replays branches from boot rather than
// restoring snapshots when checkers are attached (core/model/drivers/dfs.ts), so that every run
// they see is whole.
//
//  - exact mm_cpumask: if the arch claims mmCpumaskExact, every online CPU whose MMU has an mm
//    loaded (hwLoadedMm), outside the arch's switch window, is in mm_cpumask(mm);
//  - switch_mm_irqs_off() runs with IRQs off, whoever calls it;
//  - hwLoadedMm agrees with the arch's own record (loadedMm) -- or, for arches without one, with
//    the scheduler's view (current->active_mm, or the temporary mm) -- whenever the CPU is between
//    kernel calls (no frame on its stack) and outside its switch window;
//  - flushIpisReachLazy matches what the flush path does: each flush_tlb_mm_range() invocation is
//    followed from its first to its last step; the CPUs lazily on the mm (scheduler-lazy and
//    still loaded) throughout are compared with the 'tlb_flush' IPIs it sends ('never': none of
//    them gets one; 'always': each gets one -- for an arch with tlbFlush other than 'ipi', only in
//    the flushes that sent IPIs at all; 'freed_tables': 'always' when page tables are freed, else
//    'never');
//  - exitShootsLazies: when it claims true, every CPU lazily on the mm when exit_mmap() starts has
//    left it (its MMU switched away) by the time exit_mmap() returns;
//  - lazy MMU mode: with lazyMmuState, a CPU between kernel calls that is not in the mode holds
//    no deferred operation.
import {
  H, NULL, L, type Kernel, type Ctx,
} from '../../core/model/index.ts';
import { inSwitchMm, schedLazyOn } from '../../arches/lib.ts';

export interface Observations {
  events: number;
  /** (cpu, mm) pairs the exactness invariant looked at */
  exactChecks: number;
  /** quiescent (cpu, event) points the loaded-mm agreement looked at */
  agreementChecks: number;
  switchMmIrqsOff: number;
  flushes: number;
  /** flushes that started with another CPU lazily on the mm */
  flushesWithLazy: number;
  /** ... of which sent at least one flush IPI */
  flushesWithLazyAndIpis: number;
  /** flush IPIs that reached a CPU lazy on the mm since the flush started */
  lazyTargeted: number;
  /** CPUs lazy from start to end of a flush that sent IPIs and did not reach them */
  lazySkipped: number;
  exits: number;
  exitsWithLazy: number;
  /** exits with a CPU lazily on the mm at the start that never left it */
  exitsLeftLoaded: number;
  lazyMmuChecks: number;
}

export const emptyObservations = (): Observations => ({
  events: 0, exactChecks: 0, agreementChecks: 0, switchMmIrqsOff: 0, flushes: 0, flushesWithLazy: 0,
  flushesWithLazyAndIpis: 0, lazyTargeted: 0, lazySkipped: 0, exits: 0, exitsWithLazy: 0,
  exitsLeftLoaded: 0, lazyMmuChecks: 0,
});

export function addObservations(a: Observations, b: Observations) {
  for (const key of Object.keys(a) as (keyof Observations)[]) a[key] += b[key];
}

/** An activation of flush_tlb_mm_range() or exit_mmap() being followed. Its identity is its place
 *  (context, depth) while it lives; `step` is the step it was last seen at: a step index never
 *  decreases within an activation, so a lower one at the same place is a new call (the old one
 *  returned and another was made in the same event). */
interface Activation { ctx: number; depth: number; fn: number; step: number; live: boolean }
interface FlushRec extends Activation { cpu: number; mm: number; freed: boolean; hadLazy: boolean; lazyAtStart: Set<number>; targets: Set<number>; sent: number }
interface ExitRec extends Activation { cpu: number; mm: number; lazy: Set<number> }

/** Kernel functions during which the scheduler's view of a CPU (curr, ->mm, ->active_mm) and its
 *  MMU are being changed together: a CPU inside one is neither lazy nor not. */
const TRANSITIONS = [
  H.__schedule, H.context_switch, H.kthread_use_mm, H.kthread_unuse_mm, H.exit_mm, H.exec_mmap,
  H.switch_mm_irqs_off, H.switch_mm,
];

/** Is any of cpu's contexts inside one of the kernel functions `fns`? */
function inFns(k: Kernel, cpu: number, fns: readonly number[]): boolean {
  const c = k.cpus[cpu];
  for (let l = 0; l <= c.level; l++) {
    const x = c.ctx[l];
    for (const h of fns) if (k.inFn(x, h)) return true;
  }
  return false;
}

/** Attach the invariants to a kernel (before exploring). `obs` accumulates what they looked at. */
export function attachConformance(k: Kernel, obs: Observations) {
  const arch = k.arch;
  const inWindow = (c: number) => (arch.inSwitchWindow ? arch.inSwitchWindow(k, c) : inSwitchMm(k, c));
  /** A CPU lazily on mm: the scheduler says so (a task without mm, active_mm == mm), its MMU still
   *  has mm loaded (x86 after leave_mm() does not), and it is in no switch or mm transition. */
  const lazyOn = (c: number, mm: number) =>
    !k.cpus[c].dead && schedLazyOn(k, c, mm) && arch.hwLoadedMm(k, c) === mm && !inWindow(c) && !inFns(k, c, TRANSITIONS);
  // open records, oldest first (IPIs go to the innermost, i.e. latest, open flush of their sender)
  let flushes: FlushRec[] = [];
  let exits: ExitRec[] = [];
  /** per CPU: how many IPIs at the head of its queue have been looked at already. A queue is a
   *  FIFO that only its own CPU takes from (the IRQ, smpcfd_dying_cpu) and only other CPUs add to
   *  (smp_call_function_many skips the sender), so in one event it either shrinks from the head
   *  (all that is left was seen) or grows at the tail (the IPIs beyond `seen` are new). */
  let seen: number[] = [];
  let lastTasks: unknown = null;

  const report = (cpu: number, msg: string) => {
    const c = k.cpus[cpu];
    k.violate('conformance', msg, c ? c.ctx[c.level] : null);
  };
  /** The open record of the activation of fn at (x, depth), if it is the same call. */
  const find = <R extends Activation>(recs: R[], x: Ctx, depth: number, fn: number, step: number): R | undefined => {
    for (const r of recs) if (r.ctx === x.id && r.depth === depth && r.fn === fn && !r.live && r.step <= step) return r;
    return undefined;
  };

  k.checkers.push((kk) => {
    if (kk.tasks !== lastTasks) { // a new run: boot() made a new task list
      lastTasks = kk.tasks;
      flushes = [];
      exits = [];
      seen = new Array<number>(kk.ncpus).fill(0);
    }
    obs.events++;
    const n = kk.ncpus;

    // ---- exact mm_cpumask
    if (arch.mmCpumaskExact) {
      for (const mi of kk.mmList()) {
        if (mi.isInit || kk.m.dead[mi.ref]) continue;
        for (let c = 0; c < n; c++) {
          const cpu = kk.cpus[c];
          if (!cpu.online || cpu.dead || arch.hwLoadedMm(kk, c) !== mi.ref) continue;
          obs.exactChecks++;
          if (kk.peek(mi.ref + L.MM_CPUMASK + c)) continue;
          if (inWindow(c)) continue;
          report(c, `mm_cpumask(${mi.name}) lacks cpu${c}, whose MMU has ${mi.name} loaded (${arch.name} claims mmCpumaskExact)`);
        }
      }
    }

    for (let c = 0; c < n; c++) {
      const cpu = kk.cpus[c];
      // ---- switch_mm_irqs_off() with IRQs off
      if (inFns(kk, c, [H.switch_mm_irqs_off])) {
        obs.switchMmIrqsOff++;
        if (!cpu.irqsOff) report(c, `switch_mm_irqs_off() runs with IRQs enabled on cpu${c}`);
      }
      // ---- quiescent points: loaded-mm agreement, lazy MMU batch. Between kernel calls, the task
      // context's stack holds only the CPU loop (cpu_main): no system call, no kernel function.
      const x0 = cpu.ctx[0];
      if (cpu.dead || cpu.level !== 0 || kk.depth(x0) > 1) continue;
      // (a CPU with stores still in its TSO store buffer is mid-update as far as memory is concerned:
      // a record read with peek() would lag its own view)
      if (!inWindow(c) && kk.m.sbLen[c] === 0) {
        obs.agreementChecks++;
        const hw = arch.hwLoadedMm(kk, c);
        const want = arch.loadedMm ? arch.loadedMm(kk, c) : cpu.tempMm !== NULL ? cpu.tempMm : kk.m.read(c, cpu.curr.ref + L.T_ACTIVE_MM);
        if (hw !== want)
          report(c, `cpu${c} between kernel calls: its MMU has ${kk.name(hw)} loaded but ${arch.loadedMm ? 'the arch records' : `${cpu.curr.name}->active_mm is`} ${kk.name(want)}`);
      }
      if (arch.lazyMmuState) {
        obs.lazyMmuChecks++;
        const st = arch.lazyMmuState(kk, c);
        if (!st.active && st.pending !== 0) report(c, `cpu${c} is out of lazy MMU mode with ${st.pending} deferred operation(s) never issued`);
      }
    }

    // ---- flushes and exits: open records for activations that appeared, close those that are gone
    for (const r of flushes) r.live = false;
    for (const r of exits) r.live = false;
    for (let c = 0; c < n; c++) {
      const cpu = kk.cpus[c];
      for (let l = 0; l <= cpu.level; l++) {
        const x = cpu.ctx[l];
        const fns = kk.stackFns(x);
        for (let d = 0; d < fns.length; d++) {
          const h = fns[d];
          if (h !== H.flush_tlb_mm_range && h !== H.exit_mmap) continue;
          const a = kk.frameAt(x, d);
          if (h === H.flush_tlb_mm_range) {
            const old = find(flushes, x, d, h, a.step);
            if (old) { old.live = true; old.step = a.step; continue; }
            const f = kk.at(x, H.flush_tlb_mm_range, a.base);
            const lazy = new Set<number>();
            for (let o = 0; o < n; o++) if (o !== c && lazyOn(o, f.mm)) lazy.add(o);
            flushes.push({ ctx: x.id, depth: d, fn: h, step: a.step, live: true, cpu: c, mm: f.mm, freed: f.freed_tables, hadLazy: lazy.size > 0, lazyAtStart: lazy, targets: new Set(), sent: 0 });
            obs.flushes++;
            if (lazy.size) obs.flushesWithLazy++;
          } else {
            const old = find(exits, x, d, h, a.step);
            if (old) { old.live = true; old.step = a.step; continue; }
            const mm = kk.at(x, H.exit_mmap, a.base).mm;
            const lazy = new Set<number>();
            for (let o = 0; o < n; o++) if (lazyOn(o, mm)) lazy.add(o);
            exits.push({ ctx: x.id, depth: d, fn: h, step: a.step, live: true, cpu: c, mm, lazy });
            obs.exits++;
            if (lazy.size) obs.exitsWithLazy++;
          }
        }
      }
    }
    // a CPU that stopped being lazy on the mm at any point is no longer "lazy throughout"; for an
    // exit, one whose MMU left the mm was switched off it (by the exit's flush or otherwise). A CPU
    // out of cpu_online_mask gets no IPI (smp_call_function_many_cond() masks with it).
    for (const r of flushes) for (const o of r.lazyAtStart) if (!lazyOn(o, r.mm) || !kk.cpus[o].online) r.lazyAtStart.delete(o);
    for (const r of exits) {
      for (const o of r.lazy) {
        const cpu = kk.cpus[o];
        if (!cpu.online || cpu.dead || arch.hwLoadedMm(kk, o) !== r.mm) r.lazy.delete(o);
      }
    }
    // new flush IPIs, attributed to the open flush of their sender
    for (let c = 0; c < n; c++) {
      const len = kk.cpus[c].pendingLen;
      for (let i = Math.min(seen[c], len); i < len; i++) {
        if (kk.ipiPurpose(c, i) !== 'tlb_flush') continue;
        const from = kk.ctxs[kk.ipiFrom(c, i)].cpu;
        let rec: FlushRec | undefined;
        for (const r of flushes) if (r.cpu === from) rec = r; // the innermost (latest) one
        if (!rec) continue;
        rec.sent++;
        rec.targets.add(c);
        if (!rec.lazyAtStart.has(c)) continue;
        obs.lazyTargeted++;
        const claim = arch.flushIpisReachLazy;
        if (claim === 'never' || (claim === 'freed_tables' && !rec.freed))
          report(from, `a flush of ${kk.name(rec.mm)}${rec.freed ? ' (freed_tables)' : ''} from cpu${from} sent a flush IPI to cpu${c}, lazily on it (${arch.name} claims flushIpisReachLazy: '${claim}')`);
      }
      seen[c] = len;
    }
    for (const r of flushes) {
      if (r.live) continue;
      if (r.hadLazy && r.sent) obs.flushesWithLazyAndIpis++;
      const claim = arch.flushIpisReachLazy;
      if (!(claim === 'always' || (claim === 'freed_tables' && r.freed))) continue;
      // an arch that flushes by IPI only must have sent them; one that may broadcast instead
      // (tlbie, TLBI, a hypercall) is held to its claim only in the flushes that did use IPIs
      if (!r.sent && (arch.tlbFlush ?? 'ipi') !== 'ipi') continue;
      for (const o of r.lazyAtStart) {
        if (r.targets.has(o)) continue;
        obs.lazySkipped++;
        report(r.cpu, `a flush of ${kk.name(r.mm)}${r.freed ? ' (freed_tables)' : ''} from cpu${r.cpu} sent ${r.sent ? 'flush IPIs but none' : 'no flush IPI'} to cpu${o}, lazily on it throughout (${arch.name} claims flushIpisReachLazy: '${claim}')`);
      }
    }
    flushes = flushes.filter((r) => r.live);
    for (const r of exits) {
      if (r.live) continue;
      const left = [...r.lazy];
      if (left.length) obs.exitsLeftLoaded++;
      if (arch.exitShootsLazies && left.length)
        report(r.cpu, `exit_mmap(${kk.name(r.mm)}) returned and ${left.map((o) => `cpu${o}`).join(',')}, lazily on it when it started, never left it (${arch.name} claims exitShootsLazies)`);
    }
    exits = exits.filter((r) => r.live);
  });
}

// The arch contract's invariants, checked after every event of explored executions through the
// engine's checker hook (Kernel.checkers). They only read state (peek, ghost, the trampoline's
// frames) and report through k.violate('conformance', ...); they never change anything.
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
import type { Kernel, Ipi } from '../../core/kernel.ts';
import { H, NULL } from '../../core/kernel.ts';
import * as L from '../../core/layout.ts';
import type { Frame } from '../../core/hooks.ts';
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

interface FlushRec { cpu: number; mm: number; freed: boolean; hadLazy: boolean; lazyAtStart: Set<number>; targets: Set<number>; sent: number; seen: boolean }
interface ExitRec { cpu: number; mm: number; lazy: Set<number>; seen: boolean }

/** Kernel functions during which the scheduler's view of a CPU (curr, ->mm, ->active_mm) and its
 *  MMU are being changed together: a CPU inside one is neither lazy nor not. */
const TRANSITIONS = ['__schedule', 'context_switch', 'kthread_use_mm', 'kthread_unuse_mm', 'exit_mm', 'exec_mmap', 'switch_mm_irqs_off', 'switch_mm'];

/** Is any of cpu's contexts inside one of the kernel functions `hooks`? */
function inHooks(k: Kernel, cpu: number, hooks: number[]): boolean {
  const c = k.cpus[cpu];
  for (let l = 0; l <= c.level; l++) {
    const x = c.ctx[l];
    for (let j = 0; j < x.fsp; j++) if (hooks.includes(x.fHook[j])) return true;
  }
  return false;
}

/** Attach the invariants to a kernel (before exploring). `obs` accumulates what they looked at. */
export function attachConformance(k: Kernel, obs: Observations) {
  const arch = k.arch;
  const inWindow = (c: number) => (arch.inSwitchWindow ? arch.inSwitchWindow(k, c) : inSwitchMm(k, c));
  const transitions = TRANSITIONS.map((n) => H[n]);
  /** A CPU lazily on mm: the scheduler says so (a task without mm, active_mm == mm), its MMU still
   *  has mm loaded (x86 after leave_mm() does not), and it is in no switch or mm transition. */
  const lazyOn = (c: number, mm: number) =>
    !k.cpus[c].dead && schedLazyOn(k, c, mm) && arch.hwLoadedMm(k, c) === mm && !inWindow(c) && !inHooks(k, c, transitions);
  let flushes = new Map<Frame, FlushRec>();
  let exits = new Map<Frame, ExitRec>();
  let seenIpis = new WeakSet<Ipi>();
  let lastTasks: unknown = null;

  const report = (cpu: number, msg: string) => {
    const c = k.cpus[cpu];
    k.violate('conformance', msg, c ? c.ctx[c.level] : null);
  };

  k.checkers.push((kk) => {
    if (kk.tasks !== lastTasks) { // a new run: boot() made a new task list
      lastTasks = kk.tasks;
      flushes = new Map();
      exits = new Map();
      seenIpis = new WeakSet();
    }
    obs.events++;
    const n = kk.ncpus;

    // ---- exact mm_cpumask
    if (arch.mmCpumaskExact) {
      for (const mi of kk.mms.values()) {
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
      if (inHooks(kk, c, [H.switch_mm_irqs_off])) {
        obs.switchMmIrqsOff++;
        if (!cpu.irqsOff) report(c, `switch_mm_irqs_off() runs with IRQs enabled on cpu${c}`);
      }
      // ---- quiescent points: loaded-mm agreement, lazy MMU batch
      const x0 = cpu.ctx[0];
      if (cpu.dead || cpu.level !== 0 || x0.fsp !== 0 || x0.sp !== 0) continue;
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

    // ---- flushes and exits: open records for frames that appeared, close those that are gone
    const live = new Set<Frame>();
    for (let c = 0; c < n; c++) {
      const cpu = kk.cpus[c];
      for (let l = 0; l <= cpu.level; l++) {
        const x = cpu.ctx[l];
        for (let j = 0; j < x.fsp; j++) {
          const h = x.fHook[j];
          if (h !== H.flush_tlb_mm_range && h !== H.exit_mmap) continue;
          const f = x.fFrame[j];
          live.add(f);
          if (h === H.flush_tlb_mm_range && !flushes.has(f)) {
            const lazy = new Set<number>();
            for (let o = 0; o < n; o++) if (o !== c && lazyOn(o, f.mm)) lazy.add(o);
            flushes.set(f, { cpu: c, mm: f.mm, freed: !!f.freed_tables, hadLazy: lazy.size > 0, lazyAtStart: lazy, targets: new Set(), sent: 0, seen: true });
            obs.flushes++;
            if (lazy.size) obs.flushesWithLazy++;
          } else if (h === H.exit_mmap && !exits.has(f)) {
            const lazy = new Set<number>();
            for (let o = 0; o < n; o++) if (lazyOn(o, f.mm)) lazy.add(o);
            exits.set(f, { cpu: c, mm: f.mm, lazy, seen: true });
            obs.exits++;
            if (lazy.size) obs.exitsWithLazy++;
          }
        }
      }
    }
    // a CPU that stopped being lazy on the mm at any point is no longer "lazy throughout"; for an
    // exit, one whose MMU left the mm was switched off it (by the exit's flush or otherwise). A CPU
    // out of cpu_online_mask gets no IPI (smp_call_function_many_cond() masks with it).
    for (const r of flushes.values()) for (const o of r.lazyAtStart) if (!lazyOn(o, r.mm) || !kk.cpus[o].online) r.lazyAtStart.delete(o);
    for (const r of exits.values()) {
      for (const o of r.lazy) {
        const cpu = kk.cpus[o];
        if (!cpu.online || cpu.dead || arch.hwLoadedMm(kk, o) !== r.mm) r.lazy.delete(o);
      }
    }
    // new flush IPIs, attributed to the open flush of their sender
    for (let c = 0; c < n; c++) {
      for (const ipi of kk.cpus[c].pending) {
        if (seenIpis.has(ipi)) continue;
        seenIpis.add(ipi);
        if (ipi.purpose !== 'tlb_flush') continue;
        let rec: FlushRec | undefined;
        for (const r of flushes.values()) if (r.cpu === ipi.from) rec = r; // the innermost (latest) one
        if (!rec) continue;
        rec.sent++;
        rec.targets.add(c);
        if (!rec.lazyAtStart.has(c)) continue;
        obs.lazyTargeted++;
        const claim = arch.flushIpisReachLazy;
        if (claim === 'never' || (claim === 'freed_tables' && !rec.freed))
          report(ipi.from, `a flush of ${kk.name(rec.mm)}${rec.freed ? ' (freed_tables)' : ''} from cpu${ipi.from} sent a flush IPI to cpu${c}, lazily on it (${arch.name} claims flushIpisReachLazy: '${claim}')`);
      }
    }
    for (const [f, r] of flushes) {
      if (live.has(f)) continue;
      flushes.delete(f);
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
    for (const [f, r] of exits) {
      if (live.has(f)) continue;
      exits.delete(f);
      const left = [...r.lazy];
      if (left.length) obs.exitsLeftLoaded++;
      if (arch.exitShootsLazies && left.length)
        report(r.cpu, `exit_mmap(${kk.name(r.mm)}) returned and ${left.map((o) => `cpu${o}`).join(',')}, lazily on it when it started, never left it (${arch.name} claims exitShootsLazies)`);
    }
  });
}

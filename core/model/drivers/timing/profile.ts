// Machine profiles for the timing driver: topology and every cost weight, each with its source.
//
// Labels in `src`: [seed] a figure quoted in the seed threads (shared/seeds), [kernel] a figure in
// kernel source, [pub] a published measurement, [est] an estimate of ours (the reasoning is in the
// text), [cal] calibrated against a published end-to-end result (docs/calibration.md says which,
// and what the rest of the model predicts independently of it). Every weight can be overridden
// with `--set cost.NAME=VALUE` (in the weight's own unit) and the profile chosen with
// `--set machine=NAME`.
import { UsageError } from '../../errors.ts';
import type { OptionDecl } from '../../options.ts';

export interface Weight {
  v: number;
  unit: 'cycles' | 'ns';
  src: string;
}

export interface MachineProfile {
  name: string;
  description: string;
  /** the arch model this machine runs by default */
  arch: string;
  /** the default machine of its arch (else the arch's first profile) */
  archDefault?: boolean;
  ghz: number;
  /** hardware threads per core (SMT siblings are adjacent CPU numbers: cpu = core * threads +
   *  thread) and cores per socket; sockets are filled in CPU order, as will-it-scale's hwloc
   *  binding fills cores (hwloc's logical order) */
  threadsPerCore: number;
  coresPerSocket: number;
  /** cores sharing a last-level cache (an AMD CCD: line transfers inside it cost xfer_llc);
   *  omitted: the socket is one cache domain */
  coresPerLlc?: number;
  /** the machine's size when --cpus is not given; more CPUs add sockets up to 1024 */
  nominalCpus: number;
  /** minimum warm-up before measuring, virtual ns: start-up storms (every CPU's first switch_mm
   *  hitting the same lines) last longer on a slow fabric */
  warmupNs: number;
  /** the kernel's struct layout: mm_count on a cache line of its own (since v6.6, commit "mm:
   *  move mm_count into its own cache line"); --set mm_count_own_line=y|n overrides */
  mmCountOwnLine?: boolean;
  /** a transfer between two last-level caches of one socket costs a cross-socket transfer when
   *  the line's memory lives on the other socket (first touch decides, as Linux's default NUMA
   *  policy does); its source is in homeNodeSrc */
  homeNode?: boolean;
  homeNodeSrc?: string;
  /** cpuidle: the states (shallowest first) an idle CPU enters, picked by the governor's rule;
   *  omitted: a wakeup costs the wake_smt/wake_socket/wake_remote weights */
  idle?: IdleModel;
  w: Record<string, Weight>;
}

/** A cpuidle state as a driver's table gives it (acpi_idle: target_residency = exit latency x
 *  latency_factor). polling: the CPU watches its thread flags (POLL, MWAIT), so a wakeup needs
 *  no IPI, only the store to the flags line. */
export interface IdleState { name: string; exitNs: number; residencyNs: number; polling: boolean; src: string }
export interface IdleModel {
  governor: 'menu';
  states: IdleState[];
  /** the tick period (the governor's horizon for idles it cannot predict) */
  tickNs: number;
  src: string;
}

const c = (v: number, src: string): Weight => ({ v, unit: 'cycles', src });
const ns = (v: number, src: string): Weight => ({ v, unit: 'ns', src });

// Weights the driver reads. Kernel functions (fn.<hook>) and program operations (op.<op>) are open:
// a profile may price any hook or op by name; unpriced ones cost nothing beyond their accesses.
const COMMON_X86: Record<string, Weight> = {
  // ---- caches and coherence ----
  l1_hit: c(4, '[pub] AnandTech "Assessing IBM\'s POWER8" LMBench table: Broadwell L1 4 cycles'),
  xfer_smt: c(40, '[est] line moves between SMT siblings through the shared L1/L2: L2-hit order (12-15 cycles, same table) plus the coherence check'),
  xfer_socket: ns(60, '[pub] chipsandcheese "Core to Core Latency Data on Large Systems" (2023-11-07): same-socket Xeon core-to-core bounce is tens of ns; we take 60 ns'),
  xfer_remote: ns(200, '[pub] same source: cross-socket bounces on current 2-socket Xeon/EPYC servers are in the 150-250 ns range (figures recalled from its charts, not re-read); we take 200 ns'),
  rmw: c(20, '[est] a LOCK-prefixed add on an owned line: ~20 cycles on Intel cores'),
  rmw_contended_extra_xfers: { v: 0, unit: 'cycles', src: '[est] a LOCK-prefixed RMW holds the line until it completes: one transfer per contended RMW' },
  mb: c(35, '[est] MFENCE / LOCK-based smp_mb() on a quiet store buffer: ~30-40 cycles'),
  // ---- MMU ----
  cr3_write: c(275, '[seed] Nadav Amit, seed 000 L6086: "MOV-CR3 without flush is 250-300 cycles" (Skylake, max freq)'),
  tlb_flush: ns(100, '[kernel] arch/x86/mm/tlb.c: "Each single flush is about 100 ns" (one flush_tlb_func pass; the model flushes one range per mmu_gather)'),
  // ---- IPIs ----
  ipi_send: ns(150, '[est] x2APIC ICR write + smp_call_function queueing per target; "Per-receiver cost ~200 ns" (unseel.com, anchors-upstream §7, a rough prior)'),
  ipi_latency_socket: ns(700, '[pub] "an IPI round-trip is ~1-3 us on modern Xeons" (anchors-upstream §7, rough prior): one way, same socket'),
  ipi_latency_remote: ns(1000, '[pub] same prior, one way across sockets'),
  irq_entry: ns(400, '[est] interrupt entry + exit + smp_call_function dispatch on the target'),
  // ---- scheduler / idle ----
  wake_smt: ns(700, '[kernel] intel_idle skx_cstates: C1 .exit_latency = 2 us is the bound; polling idle and C1 wakes are faster, we take 0.7 us for a sibling'),
  wake_socket: ns(1000, '[kernel] same table: C1 exit_latency 2 us upper bound; reschedule IPI + C1 exit ~1 us'),
  wake_remote: ns(1300, '[est] the same plus a cross-socket reschedule IPI'),
  'count.context_switches': ns(150, '[est] switch_to(): register/stack switch, FPU state, bookkeeping'),
  'fn.__schedule': ns(350, '[est] __schedule(): rq lock, dequeue/put_prev, pick_next_task (CFS), accounting'),
  'op.pipe_read': ns(350, '[est] read(2) on a pipe: syscall entry/exit (~100 cycles without PTI) + pipe_read + prepare_to_wait when empty'),
  'op.pipe_write': ns(450, '[est] write(2) on a pipe: syscall + pipe_write + try_to_wake_up of a remote task (enqueue, resched)'),
  'op.touch': ns(50, '[est] the user-mode part of one will-it-scale iteration (a store to a mapped page)'),
  'op.mmap': ns(800, '[est] mmap(2) of an anonymous region + the page fault that allocates its page table'),
  'op.madvise_dontneed': ns(600, '[est] madvise(MADV_DONTNEED) syscall + zap_page_range (the flush is priced separately)'),
  'op.munmap': ns(900, '[est] munmap(2): vma split/unlink + zap (the flush and page-table free are priced separately)'),
  'fn.exit_mmap': ns(3000, '[est] exit_mmap() teardown of a small process'),
  'op.exec': ns(40000, '[est] execve(2) of a small static binary: ~40 us (lmbench-class "exec proc" is 100s of us with fork; the mm part is the subject here)'),
  'op.exit': ns(8000, '[est] do_exit() of a thread, minus exit_mm'),
  'op.spawn': ns(30000, '[est] fork(2) of a small process: ~30 us'),
  'op.compute': ns(2000, '[est] 2 us of user-mode work between system calls in the compile-like mix'),
};

const COMMON_POWER8: Record<string, Weight> = {
  l1_hit: c(3, '[pub] AnandTech "Assessing IBM\'s POWER8" LMBench: L1 3 cycles'),
  xfer_smt: c(13, '[pub] same table: L2 13 cycles (SMT siblings share L1/L2)'),
  xfer_socket: ns(55, '[pub] same table: L3 beyond the core\'s local 8 MB region ~55 ns (on-chip cache-to-cache)'),
  xfer_remote: ns(750, '[cal] effective hand-off of a line that all 16 sockets (4 drawers) contend for: fabric hops, snoop broadcast and retries; calibrated so that the refcount case lands near Nick Piggin\'s ~1M context switches/s (docs/calibration.md)'),
  rmw: c(60, '[est] lwarx/stwcx. loop with the surrounding barriers of atomic_inc/atomic_dec_and_test'),
  rmw_contended_extra_xfers: { v: 1, unit: 'cycles', src: '[est] lwarx/stwcx. (LL/SC): when the line is contended the reservation is often lost between the two, so a contended atomic costs about one more line transfer (a count, not a time)' },
  mb: c(100, '[est] hwsync (sync) on POWER8: ~100 cycles with a quiet store queue'),
  cr3_write: c(300, '[est] mtspr PID / context switch of the radix MMU: same order as x86 CR3 (seed 000 gives only x86 figures)'),
  tlb_flush: ns(100, '[kernel] powerpc radix tlb_single_page_flush_ceiling = 33, same as x86 (anchors-upstream §7); one tlbiel pass ~100 ns'),
  tlbie: ns(1000, '[est] broadcast tlbie + eieio; tlbsync; ptesync across a 16-socket fabric (radix_tlb.c prefers it to IPIs: "a TLBIE tends to be faster than an IPI+TLBIEL")'),
  ipi_send: ns(200, '[est] doorbell/XIVE send + smp_call_function queueing per target'),
  ipi_latency_socket: ns(1000, '[est] one-way interrupt delivery on chip'),
  ipi_latency_remote: ns(1500, '[est] one-way interrupt delivery across the SMP fabric'),
  irq_entry: ns(500, '[est] exception entry + exit + smp_call_function dispatch'),
  wake_smt: ns(300, '[est] wakeup of a snoozing (polling) sibling: powernv cpuidle "snooze" polls'),
  wake_socket: ns(500, '[est] wakeup from snooze on another core of the chip (doorbell)'),
  wake_remote: ns(900, '[est] wakeup across sockets (IPI + snooze exit)'),
  'count.context_switches': ns(150, '[est] _switch(): GPR/SPR save/restore, stack switch'),
  'fn.__schedule': ns(300, '[est] __schedule(): rq lock, put_prev, pick_next_task (CFS), accounting'),
  'op.pipe_read': ns(300, '[est] read(2) on a pipe: sc entry/exit + pipe_read + prepare_to_wait'),
  'op.pipe_write': ns(350, '[est] write(2) on a pipe: sc + pipe_write + try_to_wake_up'),
  'op.touch': ns(50, '[est] user-mode part of one iteration'),
  'op.mmap': ns(1000, '[est] mmap(2) + first-touch fault'),
  'op.madvise_dontneed': ns(700, '[est] madvise(MADV_DONTNEED) + zap'),
  'op.munmap': ns(1100, '[est] munmap(2): vma work + zap'),
  'fn.exit_mmap': ns(4000, '[est] exit_mmap() teardown of a small process'),
  'op.exec': ns(50000, '[est] execve(2) of a small binary'),
  'op.exit': ns(10000, '[est] do_exit() minus exit_mm'),
  'op.spawn': ns(40000, '[est] fork(2) of a small process'),
  'op.compute': ns(2000, '[est] user-mode work between system calls'),
};

// 2x AMD EPYC 9654 (Genoa), the machine of Mathieu Desnoyers' hazard-pointer lazy-mm figures
// (RFC v2 4/4, 2024-10-04: lscpu 384 CPUs, family 25 model 17, 2 sockets, boost on, max 3709
// MHz; kernel v6.11.1). Line transfers are the published core-to-core CAS latencies of this
// machine (KCORES/core-to-core-latency-plus, "Dual AMD EPYC 9654 96-Core Processor" CSV, medians
// read in shared/reference/anchors-timing.md section 1); the kernel-path costs are the x86 [est]s.
const EPYC_9654: Record<string, Weight> = {
  ...COMMON_X86,
  l1_hit: c(4, '[est] Zen 4 L1D load-to-use latency, 4 cycles (the same order as every current x86 core; no Genoa-specific figure read)'),
  xfer_smt: ns(10, '[pub] KCORES core-to-core-latency-plus, dual EPYC 9454 CSV (nviennot PR #101): SMT siblings 10.3 ns; the 9654 CSV has no sibling pairs, the core is the same Zen 4'),
  xfer_llc: ns(27, '[pub] KCORES core-to-core-latency-plus, dual EPYC 9654 CSV (nviennot issue #89): same CCD, median 27 ns (24-34)'),
  xfer_socket: ns(99, '[pub] same CSV: another CCD of the same socket, median 99 ns (85-106)'),
  xfer_remote: ns(192, '[pub] same CSV: the other socket, median 192 ns (183-201)'),
  mem: ns(120, '[est] a line nobody caches, from DRAM: Genoa DDR5 load latency is of this order (no figure read); only first touches pay it'),
  rmw: ns(7, '[pub] travisdowns concurrency-hierarchy-bench (Skylake): an uncontended lock add, 7.0 ns/op; no Zen 4 figure was found'),
  mb: ns(7, '[kernel] x86 smp_mb() is "lock addl $0,-4(%rsp)" (arch/x86/include/asm/barrier.h), a locked RMW on a private line: the rmw figure above'),
  cr3_write: c(275, '[seed] Nadav Amit, seed 000 L6086: "MOV-CR3 without flush is 250-300 cycles" (Skylake; the same order is assumed for Zen 4)'),
  smt_slowdown: { v: 1.47, unit: 'cycles', src: '[pub] zen.looncraz.net "SMT Scaling" (first-generation Ryzen): SMT raised multithreaded throughput by 35.8% on average, so each of two busy siblings runs at 0.68 of its solo speed; core work (function, operation and event costs) takes 1/0.68 = 1.47x as long while the sibling is busy (a count, not a time). No Zen 4 figure was found' },
};

export const PROFILES: MachineProfile[] = [
  {
    name: 'x86-2s',
    description: '2-socket x86-64 server: 2 x 48 cores x 2 threads = 192 CPUs at 2.0 GHz (Sapphire Rapids / Genoa class)',
    arch: 'x86',
    ghz: 2.0,
    threadsPerCore: 2,
    coresPerSocket: 48,
    nominalCpus: 192,
    warmupNs: 30_000,
    w: COMMON_X86,
  },
  {
    name: 'epyc-9654-2s',
    archDefault: true,
    description: '2x AMD EPYC 9654 (Genoa): 2 sockets x 96 cores x 2 threads = 384 CPUs, CCDs of 8 cores sharing an L3, 3.7 GHz boost (Mathieu Desnoyers\' 2024 machine, kernel v6.11)',
    arch: 'x86',
    ghz: 3.7,
    threadsPerCore: 2,
    coresPerSocket: 96,
    coresPerLlc: 8,
    nominalCpus: 384,
    warmupNs: 30_000,
    mmCountOwnLine: true,
    homeNode: true,
    homeNodeSrc: '[pub] nviennot/core-to-core-latency issue #97 "CAS Atomic is not NUMA aware" and the dual EPYC 9454 CSV: cross-CCD pairs on the socket that does not hold the line\'s memory cost about a cross-socket bounce (~200 ns, against 103 ns on the home socket)',
    idle: {
      governor: 'menu',
      tickNs: 4_000_000,
      src: '[kernel] drivers/cpuidle/governors/menu.c (v6.11/v6.12): the typical of the last 8 idle intervals when they agree, else the next timer; the deepest state whose target residency fits the prediction and whose exit latency is within the prediction (the interactivity limit), a physical state instead of POLL when its exit latency allows; the tick is HZ=250 [est: a distribution kernel\'s setting]. The menu governor is the one seen on AMD nodes (anchors-timing section 4)',
      states: [
        { name: 'POLL', exitNs: 0, residencyNs: 0, polling: true, src: '[kernel] drivers/cpuidle/poll_state.c: exit latency 0, target residency 0' },
        { name: 'C1', exitNs: 1000, residencyNs: 2000, polling: true, src: '[pub] AMD acpi_idle table "ACPI FFH MWAIT 0x0": 1 us latency, 2 us residency (LKML 2021-10, Norbert\'s Zen 2 report; the same on other AMD nodes); MWAIT watches the thread flags, so a wakeup sends no IPI (arch/x86/include/asm/mwait.h)' },
        { name: 'C2', exitNs: 400_000, residencyNs: 800_000, polling: false, src: '[est] "ACPI IOPORT 0x814": the latency comes from firmware; 400 us on a Zen 2 Threadripper (LKML 2021-10), 30 us on another AMD node, no Genoa value found; residency = 2 x latency (acpi_idle latency_factor). Unreached by microsecond idles either way' },
      ],
    },
    w: EPYC_9654,
  },
  {
    name: 'power8-16s',
    description: '16-socket POWER8 (Nick Piggin\'s machine): 16 x 12 cores = 192 CPUs, one thread per core modelled, 4.0 GHz',
    arch: 'powerpc',
    ghz: 4.0,
    threadsPerCore: 1,
    coresPerSocket: 12,
    nominalCpus: 192,
    warmupNs: 500_000,
    w: COMMON_POWER8,
  },
];

export function findProfile(name: string): MachineProfile {
  const p = PROFILES.find((x) => x.name === name);
  if (!p) throw new UsageError(`unknown machine '${name}' (known: ${PROFILES.map((x) => x.name).join(', ')})`);
  return p;
}

/** --set machine=NAME, and one cost.NAME option per weight of any profile (the profile in use
 *  supplies its default). */
export function profileOptions(): OptionDecl[] {
  const out: OptionDecl[] = [{ name: 'machine', type: 'enum', values: PROFILES.map((p) => p.name), default: 'the arch\'s', help: 'machine profile of the timing driver (topology, clock, cost weights)' }];
  const seen = new Map<string, OptionDecl>();
  for (const p of PROFILES) {
    for (const [name, w] of Object.entries(p.w)) {
      const d = seen.get(name);
      if (d) { d.default += `, ${p.name} ${w.v}`; continue; }
      const o: OptionDecl = { name: `cost.${name}`, type: 'number', min: 0, default: `${p.name} ${w.v}`, help: `cost weight (${w.unit}) of the timing driver: ${w.src}` };
      seen.set(name, o);
      out.push(o);
    }
  }
  return out;
}

/** The machine for a configuration: --set machine=NAME, else the arch's default machine (the
 *  first profile for it: epyc-9654-2s for x86, a measured machine). */
export function profileFor(arch: string, params: Record<string, string>): MachineProfile {
  if (params.machine) return findProfile(params.machine);
  const mine = PROFILES.filter((x) => arch === x.arch || arch.startsWith(x.arch));
  // an arch with no machine of its own runs on the generic 2-socket server
  return mine.find((x) => x.archDefault) ?? mine[0] ?? PROFILES[0];
}

/** A profile resolved to nanoseconds, with --set cost.NAME=VALUE overrides applied. */
export interface Costs {
  profile: MachineProfile;
  ns(name: string): number;
  /** the weight as given, unit aside (for counts such as rmw_contended_extra_xfers) */
  value(name: string): number;
  has(name: string): boolean;
}

export function resolveCosts(p: MachineProfile, params: Record<string, string>): Costs {
  const w: Record<string, Weight> = { ...p.w };
  for (const [k, v] of Object.entries(params)) {
    if (!k.startsWith('cost.')) continue;
    const name = k.slice(5);
    const num = Number(v);
    if (!Number.isFinite(num) || num < 0) throw new UsageError(`--set ${k}=${v}: a cost is a non-negative number`);
    const old = w[name];
    w[name] = { v: num, unit: old?.unit ?? 'ns', src: '--set' };
  }
  const toNs = (x: Weight) => (x.unit === 'ns' ? x.v : x.v / p.ghz);
  return {
    profile: p,
    ns: (name) => (w[name] ? toNs(w[name]) : 0),
    value: (name) => w[name]?.v ?? 0,
    has: (name) => name in w,
  };
}

/** Topology distances between two CPUs: the same CPU, SMT siblings, one last-level cache, one
 *  socket (another last-level cache), two sockets. A profile without LLC groups has one per
 *  socket, so its same-socket pairs are D_LLC and cost xfer_socket (there is no xfer_llc). */
export const D_SELF = 0, D_SMT = 1, D_LLC = 2, D_SOCKET = 3, D_REMOTE = 4;

export function topology(p: MachineProfile, ncpus: number): { socket: Int32Array; core: Int32Array; llc: Int32Array } {
  const socket = new Int32Array(ncpus);
  const core = new Int32Array(ncpus);
  const llc = new Int32Array(ncpus);
  const perLlc = p.coresPerLlc ?? p.coresPerSocket;
  for (let cpu = 0; cpu < ncpus; cpu++) {
    core[cpu] = Math.floor(cpu / p.threadsPerCore);
    socket[cpu] = Math.floor(core[cpu] / p.coresPerSocket);
    llc[cpu] = socket[cpu] * Math.ceil(p.coresPerSocket / perLlc) + Math.floor((core[cpu] % p.coresPerSocket) / perLlc);
  }
  return { socket, core, llc };
}

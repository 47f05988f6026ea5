// The timing state of one run: per-CPU virtual clocks, the cache-coherence model and the counters
// the workloads report. The kernel's access path calls in (Kernel.tm, the TimingHooks) at every
// shared access; the driver (./driver.ts) decides which CPU moves and sets `cur`.
//
// Coherence: every word of modelled memory belongs to a cache line. A line has an owner (a CPU
// holding it modified/exclusive) or a set of sharers. A load by a non-holder pulls the line in
// shared; a store or RMW by a non-exclusive holder takes ownership and invalidates the others.
// A transfer costs by topology distance (SMT sibling, same socket, cross socket). Stores and RMWs
// serialize on a line: a line in flight is busy until the transfer and the RMW complete, and a
// later request (in virtual time) waits for it. That queue is what makes a shared counter such
// as mm->mm_count the bottleneck when every CPU hammers it.
import type { Kernel, TaskView, TimingHooks } from '../../kernel.ts';
import type { OptionDecl } from '../../options.ts';
import { HOOK_NAMES } from '../../fns.ts';
import { counterId } from '../../kernel.ts';
import * as L from '../../layout.ts';
import { Rng } from '../explore.ts';
import { UsageError } from '../../errors.ts';
import { topology, D_SMT, D_LLC, D_SOCKET, D_REMOTE, type Costs, type IdleState } from './profile.ts';

export const TIMING_STATE_OPTIONS: OptionDecl[] = [
  { name: 'timing_jitter', type: 'number', min: 0, max: 1, default: '0.05', help: 'timing driver: relative jitter of each cost, drawn from the run\'s seed' },
  { name: 'max_cstate', type: 'int', min: 0, max: 99, default: '99 (every state)', help: 'timing driver: the deepest cpuidle state an idle CPU may enter, by index in the machine\'s table (processor.max_cstate; 0: POLL only)' },
];

/** Words per line for ordinary objects (64-byte lines, 8-byte words); bitmaps pack 512 CPUs. */
const WORDS_PER_LINE = 8;
/** menu governor: intervals kept, and predictions above this look at the next timer */
const INTERVALS = 8;
const RESIDENCY_THRESHOLD_NS = 15_000;
const INITIAL_INTERVAL_US = 2;
const BITS_PER_LINE = 512;
/** v5.16 struct mm_struct keeps pgd, membarrier_state, mm_users and mm_count next to each other,
 *  so they share a line [est: read from the v5.16 layout; later kernels moved mm_count to a line
 *  of its own]. --set mm_count_own_line=y models that. */
const MM_COUNT_LINE = new Set(['mm_users', 'mm_count', 'membarrier_state', 'pgd']);

export const TAG_RQ_LAZY_MM = 1;
export const TAG_TASK_STATE = 2;

export interface LineStat { name: string; kind: string; rmw: number; transfers: number; loads: number; stores: number }

export class TimingState implements TimingHooks {
  readonly ncpus: number;
  readonly clock: Float64Array;
  /** CPU whose event is executing (-1 while setting up: nothing is charged) */
  cur = -1;
  readonly socket: Int32Array;
  readonly core: Int32Array;
  readonly llc: Int32Array;
  /** transfer cost by distance (profile.ts D_*): same cpu, smt, llc, socket, remote */
  readonly xfer = new Float64Array(5);
  /** lines homed on the other socket cost a cross-socket transfer between two LLCs (profile) */
  private readonly homeNode: boolean;
  private home = new Int8Array(256);
  readonly hit: number;
  readonly rmwNs: number;
  /** extra line transfers a contended RMW costs (LL/SC reservation loss) */
  readonly rmwExtra: number;
  readonly mbNs: number;
  readonly memNs: number;
  readonly cr3Ns: number;
  readonly ipiSendNs: number;
  readonly ipiSocketNs: number;
  readonly ipiRemoteNs: number;
  /** wakeup latency of a remote CPU by distance, for profiles without idle states */
  readonly wakeNs = new Float64Array(5);

  // ---- SMT and idle states (timing/profile.ts: smt_slowdown, idle) ----
  /** core work takes this factor longer while the SMT sibling is busy (1: not modelled) */
  readonly smtSlow: number;
  /** the SMT sibling of each CPU (two threads per core), or -1 */
  private readonly sib: Int32Array;
  /** virtual time a CPU parked at (-1: running), and the time it last started running */
  readonly parkedAt: Float64Array;
  readonly runFrom: Float64Array;
  /** the idle state a parked idle CPU is in (-1: not in one: running, or spinning in a wait) */
  readonly idleState: Int8Array;
  readonly idleStates: IdleState[];
  private readonly tickNs: number;
  /** the menu governor's last 8 idle intervals per CPU (us) and where the next goes */
  private readonly intervals: Int32Array;
  /** entries into each idle state (reported as idle.<state>) */
  readonly idleEntries: Float64Array;
  private readonly intervalPtr: Int32Array;
  /** cost of kernel functions by hook id, of program ops by name, of counted events by name */
  readonly fnCost: Float64Array;
  /** cost of counted events by counter id (0: free; ids past its end are free) */
  private countCostById = new Float64Array(0);
  readonly countCost = new Map<string, number>();
  readonly fnCalls: Float64Array;
  readonly rng: Rng;
  readonly jitter: number;

  // ---- lines ----
  private lineOf = new Int32Array(1024); // addr -> line id + 1
  tag = new Int8Array(1024); // addr -> TAG_*
  private rqOwner = new Int32Array(1024); // addr of an rq word -> owning cpu
  private lineKey = new Map<string, number>();
  private nlines = 0;
  private owner = new Int32Array(256).fill(-1);
  private sharers: Uint32Array;
  private nshare = new Int32Array(256);
  private busy = new Float64Array(256);
  readonly words: number; // sharer bitset words per line
  lineName: string[] = [];
  lineKind: string[] = [];
  lineRmw = new Float64Array(256);
  lineXfer = new Float64Array(256);
  lineLoads = new Float64Array(256);
  lineStores = new Float64Array(256);
  transfers = 0;
  exitScanLoads = 0;

  constructor(readonly k: Kernel, readonly costs: Costs, seed: number, readonly mmCountOwnLine: boolean) {
    const n = k.ncpus;
    this.ncpus = n;
    this.clock = new Float64Array(n);
    const prof = costs.profile;
    const topo = topology(prof, n);
    this.socket = topo.socket;
    this.core = topo.core;
    this.llc = topo.llc;
    this.hit = costs.ns('l1_hit');
    this.xfer[0] = this.hit;
    this.xfer[D_SMT] = costs.ns('xfer_smt');
    this.xfer[D_LLC] = costs.has('xfer_llc') ? costs.ns('xfer_llc') : costs.ns('xfer_socket');
    this.xfer[D_SOCKET] = costs.ns('xfer_socket');
    this.xfer[D_REMOTE] = costs.ns('xfer_remote');
    this.homeNode = !!prof.homeNode;
    this.smtSlow = costs.has('smt_slowdown') && prof.threadsPerCore === 2 ? costs.value('smt_slowdown') : 1;
    this.sib = new Int32Array(n).fill(-1);
    if (prof.threadsPerCore === 2) for (let c = 0; c < n; c++) if ((c ^ 1) < n) this.sib[c] = c ^ 1;
    this.parkedAt = new Float64Array(n).fill(-1);
    this.runFrom = new Float64Array(n);
    this.idleState = new Int8Array(n).fill(-1);
    // --set max_cstate=N keeps the states up to index N (processor.max_cstate; 0: POLL only)
    const maxC = Number(k.param('max_cstate', '99'));
    if (!Number.isInteger(maxC) || maxC < 0) throw new UsageError(`--set max_cstate=${k.param('max_cstate', '')}: a state index (0: POLL only)`);
    this.idleStates = (prof.idle?.states ?? []).slice(0, maxC + 1);
    this.idleEntries = new Float64Array(this.idleStates.length);
    this.tickNs = prof.idle?.tickNs ?? 0;
    // The governor's history starts as after will-it-scale's warm-up (5 s of the workload): idles
    // of a few microseconds; measured idles replace these within the first eight.
    this.intervals = new Int32Array(n * INTERVALS).fill(INITIAL_INTERVAL_US);
    this.intervalPtr = new Int32Array(n);
    this.rmwNs = costs.ns('rmw');
    this.rmwExtra = costs.value('rmw_contended_extra_xfers'); // --set cost.* applies here too
    this.mbNs = costs.ns('mb');
    this.memNs = costs.has('mem') ? costs.ns('mem') : costs.ns('xfer_socket');
    this.cr3Ns = costs.ns('cr3_write');
    this.ipiSendNs = costs.ns('ipi_send');
    this.ipiSocketNs = costs.ns('ipi_latency_socket');
    this.ipiRemoteNs = costs.ns('ipi_latency_remote');
    this.wakeNs[D_SMT] = costs.ns('wake_smt');
    this.wakeNs[D_LLC] = this.wakeNs[D_SOCKET] = costs.ns('wake_socket');
    this.wakeNs[D_REMOTE] = costs.ns('wake_remote');
    this.words = (n + 31) >>> 5;
    this.sharers = new Uint32Array(256 * this.words);
    this.fnCost = new Float64Array(HOOK_NAMES.length);
    this.fnCalls = new Float64Array(HOOK_NAMES.length);
    // A system call's function (sys_<op>) costs what the profile gives the operation (op.<op>).
    for (let h = 0; h < HOOK_NAMES.length; h++) {
      const n = HOOK_NAMES[h];
      this.fnCost[h] = n.startsWith('sys_') ? costs.ns(`op.${n.slice(4)}`) : costs.ns(`fn.${n}`);
    }
    // Counted events the arch models report (x86: cr3_writes, tlb_flushes; powerpc: mtspr_pid,
    // tlbiel, tlbie) and what they cost.
    this.countCost.set('cr3_writes', this.cr3Ns);
    this.countCost.set('mtspr_pid', this.cr3Ns);
    this.countCost.set('tlb_flushes', costs.ns('tlb_flush'));
    this.countCost.set('tlbiel', costs.ns('tlb_flush'));
    this.countCost.set('tlbie', costs.has('tlbie') ? costs.ns('tlbie') : costs.ns('tlb_flush'));
    for (const name of ['context_switches', 'flush_unlazy']) if (costs.has(`count.${name}`)) this.countCost.set(name, costs.ns(`count.${name}`));
    let maxId = -1;
    for (const name of this.countCost.keys()) maxId = Math.max(maxId, counterId(name));
    this.countCostById = new Float64Array(maxId + 1);
    for (const [name, v] of this.countCost) this.countCostById[counterId(name)] = v;
    this.rng = new Rng(seed * 2654435761 + 1);
    this.jitter = Number(k.param('timing_jitter', '0.05'));
  }

  /** Topology distance (profile.ts D_*). */
  dist(a: number, b: number): number {
    if (a === b) return 0;
    if (this.core[a] === this.core[b]) return D_SMT;
    if (this.llc[a] === this.llc[b]) return D_LLC;
    return this.socket[a] === this.socket[b] ? D_SOCKET : D_REMOTE;
  }

  /** What moving line l to CPU c from distance d costs. */
  private xferTo(l: number, c: number, d: number): number {
    if (d < 0) return this.memNs;
    if (d === D_SOCKET && this.homeNode && this.home[l] !== this.socket[c]) return this.xfer[D_REMOTE];
    return this.xfer[d];
  }

  // ---- SMT --------------------------------------------------------------------------------------

  /** Core work of CPU c (base costs, hits, barriers): longer while its SMT sibling is busy at c's
   *  time. A sibling is busy when it runs, spins in a wait, or polls in POLL; one in MWAIT or a
   *  deeper state has released the core. */
  work(c: number, v: number): number {
    if (this.smtSlow === 1) return v;
    const s = this.sib[c];
    if (s < 0) return v;
    const t = this.clock[c], p = this.parkedAt[s];
    const busy = p < 0 ? this.runFrom[s] <= t : p > t || this.idleState[s] < 0 || this.idleStates[this.idleState[s]].name === 'POLL';
    return busy ? v * this.smtSlow : v;
  }

  // ---- idle states (menu governor) -------------------------------------------------------------

  /** CPU c stops at virtual time clock[c]: waiting for work in its idle loop (idle) or spinning
   *  in a kernel wait. An idle CPU enters the state the governor picks. */
  park(c: number, idle: boolean) {
    this.parkedAt[c] = this.clock[c];
    const st = idle && this.idleStates.length ? this.menuSelect(c) : -1;
    this.idleState[c] = st;
    if (st >= 0) this.idleEntries[st]++;
  }

  /** CPU c runs again from clock[c]; an idle one tells the governor how long it slept. */
  unpark(c: number) {
    const st = this.idleState[c];
    if (st >= 0) this.menuUpdate(c, this.clock[c] - this.parkedAt[c], this.idleStates[st]);
    this.parkedAt[c] = -1;
    this.idleState[c] = -1;
    this.runFrom[c] = this.clock[c];
  }

  /** The exit latency CPU c pays to handle an interrupt now (0 unless it sleeps in a state). */
  idleExitNs(c: number): number {
    const st = this.idleState[c];
    return st >= 0 ? this.idleStates[st].exitNs : 0;
  }

  /** menu_select() (drivers/cpuidle/governors/menu.c, v6.11): the typical recent interval, else
   *  the time to the next tick; the tick keeps running (a busy machine), so exit latencies are
   *  limited by the prediction; POLL gives way to a physical state whose exit latency fits. */
  private menuSelect(c: number): number {
    const states = this.idleStates;
    let predicted = this.typicalIntervalUs(c) * 1000;
    let nextTimer = Infinity;
    if (predicted > RESIDENCY_THRESHOLD_NS) {
      nextTimer = this.tickNs; // no timers in the workloads: the next event is the tick
      predicted = Math.min(nextTimer, predicted);
    }
    const latencyReq = predicted; // interactivity_req = predicted / performance_multiplier (no iowaiters)
    let idx = 0;
    for (let i = 0; i < states.length; i++) {
      const s = states[i];
      if (s.residencyNs > predicted) {
        if (states[idx].polling && states[idx].name === 'POLL' && s.exitNs <= latencyReq && s.residencyNs <= nextTimer) return i;
        break;
      }
      if (s.exitNs > latencyReq) break;
      idx = i;
    }
    return idx;
  }

  /** get_typical_interval(): the average of the last 8 intervals when their spread is small,
   *  discarding the largest as outliers while at least 6 remain; UINT_MAX (-> Infinity) else. */
  private typicalIntervalUs(c: number): number {
    const iv = this.intervals, b = c * INTERVALS;
    let thresh = Infinity;
    for (;;) {
      let min = Infinity, max = 0, sum = 0, n = 0;
      for (let i = 0; i < INTERVALS; i++) {
        const v = iv[b + i];
        if (v <= thresh) { sum += v; n++; if (v > max) max = v; if (v < min) min = v; }
      }
      if (max === 0) return Infinity;
      const avg = Math.floor(sum / n);
      let variance = 0;
      for (let i = 0; i < INTERVALS; i++) {
        const v = iv[b + i];
        if (v <= thresh) variance += (v - avg) * (v - avg);
      }
      variance = Math.floor(variance / n);
      if ((avg * avg > variance * 36 && n * 4 >= INTERVALS * 3) || variance <= 400) return avg;
      if (n * 4 <= INTERVALS * 3) return Infinity;
      thresh = max - 1;
    }
  }

  /** menu_update(): the measured residency minus the exit latency goes into the history. */
  private menuUpdate(c: number, residency: number, s: IdleState) {
    let measured = residency > 2 * s.exitNs ? residency - s.exitNs : residency / 2;
    if (measured < 0) measured = 0;
    const p = this.intervalPtr[c];
    this.intervals[c * INTERVALS + p] = Math.min(0x7fffffff, Math.floor(measured / 1000));
    this.intervalPtr[c] = (p + 1) % INTERVALS;
  }

  /** Multiplicative noise on a base cost: the only source of run-to-run variance (seeded). */
  private noisy(v: number): number {
    if (this.jitter === 0 || v === 0) return v;
    return v * (1 + this.jitter * ((this.rng.next() / 4294967296) * 2 - 1));
  }

  charge(ns: number) {
    if (this.cur >= 0) this.clock[this.cur] += ns;
  }

  // ---- kernel-side events ----------------------------------------------------------------------

  fn(h: number) {
    if (this.cur < 0) return;
    this.fnCalls[h]++;
    const v = this.fnCost[h];
    if (v !== 0) this.clock[this.cur] += this.work(this.cur, this.noisy(v));
  }

  counted(id: number, d: number) {
    if (this.cur < 0 || id >= this.countCostById.length) return;
    const v = this.countCostById[id];
    if (v !== 0) this.clock[this.cur] += this.work(this.cur, v * d);
  }

  barrier(what: string | undefined) {
    if (this.cur < 0) return;
    // A CR3 write is serializing: its cost (count 'cr3_writes') already includes the barrier.
    if (what !== undefined && what.charCodeAt(0) === 119 /* 'w' */ && what.startsWith('write CR3')) return;
    this.clock[this.cur] += this.work(this.cur, this.mbNs);
  }

  // ---- cache lines -----------------------------------------------------------------------------

  private line(a: number): number {
    if (a >= this.lineOf.length) this.grow(a);
    const l = this.lineOf[a];
    if (l !== 0) return l - 1;
    return this.assign(a);
  }

  private grow(a: number) {
    let n = this.lineOf.length;
    while (n <= a) n *= 2;
    const lo = new Int32Array(n); lo.set(this.lineOf); this.lineOf = lo;
    const tg = new Int8Array(n); tg.set(this.tag); this.tag = tg;
    const ro = new Int32Array(n); ro.set(this.rqOwner); this.rqOwner = ro;
  }

  private assign(a: number): number {
    const o = this.k.m.objAt(a);
    let key: string;
    let name: string;
    let kind: string;
    if (!o) { key = `@${a >> 3}`; name = key; kind = 'anon'; }
    else {
      const i = a - o.base;
      const f = o.fields[i] ?? `w${i}`;
      const bit = /\[(\d+)\]$/.exec(f);
      let group: string;
      if (o.kind === 'mm_struct' && !bit) {
        if (MM_COUNT_LINE.has(f)) group = this.mmCountOwnLine && f !== 'mm_count' ? 'mm_users' : 'mm_count';
        else if (f.startsWith('context.')) group = 'context';
        else if (f.startsWith('user.')) group = 'user';
        else group = 'misc';
      } else if (bit && (o.kind === 'mm_struct' || o.kind === 'cpumask' || f.startsWith('['))) {
        group = `${f.slice(0, f.indexOf('['))}[${Math.floor(Number(bit[1]) / BITS_PER_LINE) * BITS_PER_LINE}..]`;
      } else if (o.kind === 'cpu_tlbstate' && f === 'is_lazy') group = 'shared';
      else group = `l${Math.floor(i / WORDS_PER_LINE)}`;
      key = `${this.k.m.owner[a]}:${group}`;
      name = `${o.name}.${group}`;
      kind = `${o.kind}.${group.startsWith('l') && /^l\d+$/.test(group) ? 'line' : group.replace(/\[.*$/, '')}`;
      if (o.kind === 'task_struct' && i === L.T_STATE) this.tag[a] = TAG_TASK_STATE;
      if (o.kind === 'rq' && i === L.RQ_LAZY_MM) {
        this.tag[a] = TAG_RQ_LAZY_MM;
        this.rqOwner[a] = this.k.rq.indexOf(o.base);
      }
    }
    let id = this.lineKey.get(key);
    if (id === undefined) {
      id = this.nlines++;
      this.lineKey.set(key, id);
      if (id >= this.owner.length) this.growLines();
      this.lineName[id] = name;
      this.lineKind[id] = kind;
      this.home[id] = this.cur >= 0 ? this.socket[this.cur] : 0; // first touch
    }
    this.lineOf[a] = id + 1;
    return id;
  }

  private growLines() {
    const n = this.owner.length * 2;
    const ow = new Int32Array(n).fill(-1); ow.set(this.owner); this.owner = ow;
    const sh = new Uint32Array(n * this.words); sh.set(this.sharers); this.sharers = sh;
    const ns = new Int32Array(n); ns.set(this.nshare); this.nshare = ns;
    const f = (x: Float64Array) => { const y = new Float64Array(n); y.set(x); return y; };
    this.busy = f(this.busy);
    const hm = new Int8Array(n); hm.set(this.home); this.home = hm;
    this.lineRmw = f(this.lineRmw);
    this.lineXfer = f(this.lineXfer);
    this.lineLoads = f(this.lineLoads);
    this.lineStores = f(this.lineStores);
  }

  private isSharer(l: number, c: number): boolean {
    return (this.sharers[l * this.words + (c >>> 5)] & (1 << (c & 31))) !== 0;
  }

  /** Farthest holder of line l as seen from c (its distance), or -1 if nobody holds it. */
  private farthest(l: number, c: number): number {
    const ow = this.owner[l];
    if (ow >= 0) return this.dist(c, ow);
    if (this.nshare[l] === 0) return -1;
    let d = 0;
    const base = l * this.words;
    for (let w = 0; w < this.words && d < D_REMOTE; w++) {
      let bits = this.sharers[base + w];
      while (bits !== 0 && d < D_REMOTE) {
        const b = 31 - Math.clz32(bits);
        bits &= ~(1 << b);
        const s = (w << 5) | b;
        if (s !== c) { const x = this.dist(c, s); if (x > d) d = x; }
      }
    }
    return d;
  }

  /** Nearest holder of line l from c (for a load: the closest copy supplies it). */
  private nearest(l: number, c: number): number {
    const ow = this.owner[l];
    if (ow >= 0) return this.dist(c, ow);
    if (this.nshare[l] === 0) return -1;
    let d = D_REMOTE;
    const base = l * this.words;
    for (let w = 0; w < this.words && d > D_SMT; w++) {
      let bits = this.sharers[base + w];
      while (bits !== 0 && d > D_SMT) {
        const b = 31 - Math.clz32(bits);
        bits &= ~(1 << b);
        const x = this.dist(c, (w << 5) | b);
        if (x < d) d = x;
      }
    }
    return d;
  }

  load(a: number) {
    const c = this.cur;
    if (c < 0) return;
    const l = this.line(a);
    this.lineLoads[l]++;
    if (this.tag[a] === TAG_RQ_LAZY_MM && this.rqOwner[a] !== c) this.exitScanLoads++;
    if (this.owner[l] === c || this.isSharer(l, c)) { this.clock[c] += this.work(c, this.hit); return; }
    const d = this.nearest(l, c);
    let t = this.clock[c];
    if (this.busy[l] > t) t = this.busy[l]; // a line in flight: wait for it
    t += this.xferTo(l, c, d);
    this.clock[c] = t;
    this.lineXfer[l]++;
    this.transfers++;
    const ow = this.owner[l];
    if (ow >= 0) { this.addSharer(l, ow); this.owner[l] = -1; }
    this.addSharer(l, c);
  }

  private addSharer(l: number, c: number) {
    const i = l * this.words + (c >>> 5);
    const m = 1 << (c & 31);
    if ((this.sharers[i] & m) === 0) { this.sharers[i] |= m; this.nshare[l]++; }
  }

  private takeExclusive(l: number, c: number, extra: number, rmw = false) {
    const exclusive = this.owner[l] === c || (this.owner[l] < 0 && this.nshare[l] === 1 && this.isSharer(l, c));
    if (exclusive) {
      this.owner[l] = c;
      if (this.nshare[l] !== 0) this.clearSharers(l);
      this.clock[c] += this.work(c, this.hit + extra);
      return;
    }
    const d = this.farthest(l, c);
    let t = this.clock[c];
    const xf = this.xferTo(l, c, d);
    if (this.busy[l] > t) {
      t = this.busy[l];
      if (rmw && this.rmwExtra !== 0) { t += this.rmwExtra * xf; this.lineXfer[l] += this.rmwExtra; this.transfers += this.rmwExtra; }
    }
    t += xf + this.work(c, extra);
    this.busy[l] = t;
    this.clock[c] = t;
    this.lineXfer[l]++;
    this.transfers++;
    this.owner[l] = c;
    if (this.nshare[l] !== 0) this.clearSharers(l);
  }

  /** (a loop: fill() is a runtime call, and a line has few sharer words) */
  private clearSharers(l: number) {
    const sh = this.sharers;
    for (let i = l * this.words, e = i + this.words; i < e; i++) sh[i] = 0;
    this.nshare[l] = 0;
  }

  /** set by the driver: a task was made runnable by the current CPU */
  onWake: ((t: TaskView) => void) | null = null;

  store(a: number, v: number) {
    const c = this.cur;
    if (c < 0) return;
    const l = this.line(a);
    this.lineStores[l]++;
    this.takeExclusive(l, c, 0);
    if (this.tag[a] === TAG_TASK_STATE && v === L.TASK_RUNNING && this.onWake !== null) this.onWake(this.k.task(a - L.T_STATE));
  }

  rmw(a: number) {
    const c = this.cur;
    if (c < 0) return;
    const l = this.line(a);
    this.lineRmw[l]++;
    this.takeExclusive(l, c, this.rmwNs, true);
  }

  // ---- IPIs ------------------------------------------------------------------------------------

  /** set by the driver: an IPI for `to` will arrive at virtual time `at` */
  onIpi: ((to: number, at: number) => void) | null = null;
  /** set by the driver: the oldest IPI of `cpu` left its queue */
  onIpiTaken: ((cpu: number) => void) | null = null;

  /** counter ids of ipi.<purpose>.to_<idle|kthread|user>, by purpose */
  private ipiCounters = new Map<string, number[]>();

  /** cpu `cur` queued an IPI for `to`: the sender pays the send, the IPI arrives later. */
  ipiSent(to: number, _slot: number, purpose: string) {
    const from = this.cur;
    let at = 0;
    if (from >= 0) {
      this.clock[from] += this.work(from, this.ipiSendNs);
      const d = this.dist(from, to);
      at = this.clock[from] + (d === D_REMOTE ? this.ipiRemoteNs : this.ipiSocketNs);
      const t = this.k.cpus[to].curr;
      let ids = this.ipiCounters.get(purpose);
      if (ids === undefined) {
        ids = ['idle', 'kthread', 'user'].map((target) => counterId(`ipi.${purpose}.to_${target}`));
        this.ipiCounters.set(purpose, ids);
      }
      this.k.countId(ids[t.isIdle ? 0 : t.kthread ? 1 : 2]);
    }
    if (this.onIpi !== null) this.onIpi(to, at);
  }

  ipiTaken(cpu: number) {
    if (this.onIpiTaken !== null) this.onIpiTaken(cpu);
  }

  /** How long after CPU `from` makes a task runnable its idle CPU `to` runs. With idle states:
   *  try_to_wake_up() sets NEED_RESCHED in the idle task's flags, which a polling state (POLL,
   *  MWAIT) watches, so the store's line transfer wakes it; a deeper state needs the reschedule
   *  IPI; then the state's exit latency. Without: the profile's wake_* weights by distance. */
  wakeLatency(from: number, to: number): number {
    const d = this.dist(from, to);
    if (this.idleStates.length === 0) return d <= D_SMT ? this.wakeNs[D_SMT] : d === D_REMOTE ? this.wakeNs[D_REMOTE] : this.wakeNs[D_LLC];
    const st = this.idleState[to];
    if (st < 0) return this.xfer[d];
    const s = this.idleStates[st];
    return (s.polling ? this.xfer[d] : d === D_REMOTE ? this.ipiRemoteNs : this.ipiSocketNs) + s.exitNs;
  }

  // ---- reporting -------------------------------------------------------------------------------

  lines(): LineStat[] {
    const out: LineStat[] = [];
    for (let l = 0; l < this.nlines; l++)
      out.push({ name: this.lineName[l], kind: this.lineKind[l], rmw: this.lineRmw[l], transfers: this.lineXfer[l], loads: this.lineLoads[l], stores: this.lineStores[l] });
    return out;
  }
}

// Lazy MMU mode, core side, as of v6.14 (the base of the lazy-mmu series; seeds/001,
// reference/seeds-001-003-004.md §1): the callers that open lazy MMU regions, the generic
// set_ptes() that nests one since bcc6cc832573, and the rules of the mode as oracles. The arch side
// (what a region batches) is in the arch plugins (arches/lazy-mmu.ts, sparc64.ts, x86-xen-pv.ts);
// the kernel functions they implement (arch_enter_lazy_mmu_mode & co.) are declared here.
//
// Registered by the baseline; steps carry the owner of the upstream change they model, so that
// `lazymm list hooks` shows what the lazy-mmu series' diffs apply to, and the kernel versions they
// exist in (a configuration's kernel has only the paths of its version: core/model/registry.ts):
//  - base:bcc6cc832573  v6.6: set_ptes() default: arch_enter_lazy_mmu_mode(); set_pte() x nr;
//                       arch_leave_... (powerpc's override has no lazy calls since 47b8def9358c,
//                       sparc64's has them since 1a10a44dfc1d, also v6.6: the model's set_ptes serves
//                       all three). Before v6.6 there is no set_ptes(): set_pte_at() is the arch's
//                       set_pte() (x86: page_table_check_pte_set(); set_pte(ptep, pte);), so nothing
//                       nests: seed 001, "Commit bcc6cc832573 ... added arch_[enter|leave]_lazy_mmu_mode()
//                       to the default implementation of set_ptes(), used by x86. So after this
//                       commit, lazy mmu regions can be nested."
//  - base:38e0edb15bd0  (2.6.32) apply_to_pte_range() runs the callback in a lazy MMU region,
//                       kernel mappings included: no lock, so preemptible between PTEs
//  - base:pagemap       v6.7 (52526ca7fdb9, PAGEMAP_SCAN): pagemap_scan_pmd_entry() opens its region
//                       before pte_offset_map_lock(); before v6.7 the ioctl is -ENOTTY
//  - arch/x86/xen       xen_set_pte(): in MMU lazy mode the PTE store is a queued multicall
//                       (xen_batched_set_pte); the multicall batch is the Xen PV arch's
//                       (arches/x86-xen-pv.ts), which registers that step of set_pte()
//  - base:49147beb0ccb  v6.6: Xen enter_lazy()/leave_lazy() count same-mode nesting (the x86-xen-pv
//                       plugin has v5.16's BUG_ON-only code, so the v6.14 counter is added here,
//                       ahead of its steps; lazy-mmu/04 reverts it)
//
// Oracles ('lazy-mmu', core/model/oracles.ts), the rules patch 01 writes down ("lazy mmu regions
// can never be nested, must not be called in interrupt context and preemption may or may not be
// enabled for the duration of the region"):
//  - nesting: a caller enters a region while its task (or the CPU's interrupt context) is in one;
//  - interrupt context: a region entered from hardirq/NMI;
//  - preemption: a task switched out inside a region on an arch whose mode is per-CPU state that
//    nothing saves at context switch (no arch_start_context_switch(): sparc64);
//  - deferred update seen as immediate: a PTE stored in the region is used (kmap) while its store
//    still waits in the CPU's lazy batch (Xen PV defers PTE stores; "something like kmap() which
//    would expect an immediate mode pte modification but it would end up deferred").
//
// Declared state (the 'lazy mmu' record): the kernel PTE page (allocated on first use, so the
// addresses of everything allocated after it are those of a run that never used it), the PTEs whose
// store waits in a lazy batch (a bitmask over that page), preempt_count per CPU as far as lazy MMU
// code changes it, Xen's per-CPU lazy mode and the v6.14 nesting counter (read by the steps here,
// written by arches/x86-xen-pv.ts), and a table of region depths: one row per task (by
// task_struct address) or per CPU's interrupt context (-1-cpu), with the task's
// apply_to_page_range() continuation when it was preempted inside the region.
import type { StepRegistry } from '../registry.ts';
import type { OptionDecl } from '../options.ts';

export const LAZY_MMU_OPTIONS: OptionDecl[] = [
  { name: 'CONFIG_HIGHPTE', type: 'bool', default: 'n', help: 'CONFIG_HIGHPTE: PTE pages are highmem, mapped with kmap_local_page() (32-bit)' },
];
import {
  fns, task, ptr, int, bool, NEXT, RET, YIELD, CALL, callAgain, goTo, again,
} from '../fns.ts';
import { H, STATE_PARTS, partSlot, ModelError, TS_RUNNABLE, TS_SLEEPING, type Kernel, type Ctx } from '../kernel.ts';
import type { Step } from '../fns.ts';
import { clearRecord, type RecordView } from '../records.ts';
import { opFns } from '../program.ts';
import { BASELINE_PARTS } from '../parts.ts';
import { opIn } from './syscalls.ts';

/** The lazy MMU mode hooks an arch with the mode implements (arches/lazy-mmu.ts describes them):
 *  the generic versions are empty, so an arch without the mode registers no step on them. */
export const LAZY_MMU = fns({
  arch_enter_lazy_mmu_mode: {},
  arch_leave_lazy_mmu_mode: {},
  arch_flush_lazy_mmu_mode: {},
  arch_start_context_switch: { prev: task },
  arch_end_context_switch: { next: task },
});
/** The v6.14 callers, the PTE stores, and Xen's enter_lazy()/leave_lazy() (arch/x86/xen). */
export const LM = fns({
  set_ptes: { a: ptr, v: int, nr: int, i: int },
  set_pte: { a: ptr, v: int },
  apply_to_pte_range: { tsk: task, i: int, n: int, resume: bool, preempted: bool },
  pagemap_scan_pmd_entry: { tsk: task, n: int, i: int, old: int },
  pte_offset_map_lock: {},
  pte_unmap_unlock: {},
  kmap_local_page: {},
  enter_lazy: { mode: int },
  leave_lazy: { mode: int },
});
export const LM_OPS = opFns({ sys_apply_to_page_range: {}, sys_pagemap_scan: {} });
declare module '../fns.ts' {
  interface KernelFns extends Readonly<typeof LAZY_MMU>, Readonly<typeof LM>, Readonly<typeof LM_OPS> {}
  interface KernelSteps {
    'set_pte.native_set_pte': true;
    'set_ptes.arch_enter_lazy_mmu_mode': true; 'set_ptes.set_pte_loop': true; 'set_ptes.arch_leave_lazy_mmu_mode': true;
    'apply_to_pte_range.arch_enter_lazy_mmu_mode': true; 'apply_to_pte_range.fn_loop': true;
    'apply_to_pte_range.arch_leave_lazy_mmu_mode': true;
    'pagemap_scan_pmd_entry.arch_enter_lazy_mmu_mode': true; 'pagemap_scan_pmd_entry.pagemap_scan_thp_entry': true;
    'pagemap_scan_pmd_entry.pte_offset_map_lock': true; 'pagemap_scan_pmd_entry.make_uffd_wp_pte_loop': true;
    'pagemap_scan_pmd_entry.arch_leave_lazy_mmu_mode': true; 'pagemap_scan_pmd_entry.pte_unmap_unlock': true;
    'pte_offset_map_lock.kmap_local_page': true; 'pte_unmap_unlock.kunmap_local': true;
    'kmap_local_page.set_pte': true; 'kmap_local_page.access': true;
    'enter_lazy.xen_lazy_nesting': true; 'leave_lazy.xen_lazy_nesting': true;
    'context_switch.lazy_mmu_preempt_check': true;
    'sys_apply_to_page_range.apply_to_pte_range': true; 'sys_pagemap_scan.pagemap_scan_pmd_entry': true;
    'sys_pagemap_scan.vfs_ioctl': true;
  }
}
declare module '../program.ts' {
  interface OpMap {
    /** apply_to_page_range() on `ptes` (default 2) kernel PTEs (vmalloc/KASAN style): a lazy MMU
     *  region with no lock held, so the task may be preempted between PTEs */
    apply_to_page_range: { ptes?: number };
    /** PAGEMAP_SCAN with PM_SCAN_WP_MATCHING on `ptes` (default 2) PTEs of the task's mm */
    pagemap_scan: { ptes?: number };
  }
}

const NPTES = 6;
const KMAP_SLOT = NPTES; // the kmap_local slot's PTE

/** The kernel versions of the code paths that arrived after v5.16 (registry.ts `kernels`). */
const SINCE_SET_PTES = '>=6.6.0'; // bcc6cc832573 "mm: add default definition of set_ptes()"
const BEFORE_SET_PTES = '<6.6.0';
const SINCE_PAGEMAP_SCAN = '>=6.7.0'; // 52526ca7fdb9 PAGEMAP_SCAN
const BEFORE_PAGEMAP_SCAN = '<6.7.0';
const SINCE_XEN_NESTING = '>=6.6.0'; // 49147beb0ccb "x86/xen: allow nesting of same lazy mode"

/** enum xen_lazy_mode (paravirt_lazy_mode at v5.16) */
export const XEN_LAZY_NONE = 0;
export const XEN_LAZY_MMU = 1;
export const XEN_LAZY_CPU = 2;

// ---- declared state ---------------------------------------------------------------------------------

/** Rows of the depth table: a task (or a CPU's interrupt context) that has been in a region. */
const ROWS = 16;
const col = (name: string) => Array.from({ length: ROWS }, (_, i) => `${name}${i}`);
/** row i: who (task_struct address, or -1-cpu for the CPU's interrupt context), its region depth,
 *  and its apply_to_page_range() continuation (has_cont: next PTE cont_i of cont_n) */
const WHO = col('who'), DEPTH = col('depth'), HAS_CONT = col('has_cont'), CONT_I = col('cont_i'), CONT_N = col('cont_n');
const SCHEMA = {
  /** the kernel PTE page: NPTES entries + the kmap PTE (0: not allocated yet in this run) */
  kpt: 'word',
  /** bit i: the store to kpt + i waits in a lazy batch */
  pending: 'word',
  /** rows of the depth table in use (never removed: a depth of 0 stays, as a Map entry did) */
  rows: 'word',
  /** preempt_count per CPU, as far as lazy MMU implementations change it */
  preempt: 'perCpu',
  /** this_cpu(xen_lazy_mode), and this_cpu(xen_lazy_nesting) of 49147beb0ccb */
  xen_lazy_mode: 'perCpu',
  xen_lazy_nesting: 'perCpu',
} as const;
/** the depth table's words (a record holds words and per-CPU arrays: one word per cell) */
const TABLE = Object.fromEntries([...WHO, ...DEPTH, ...HAS_CONT, ...CONT_I, ...CONT_N].map((n) => [n, 'word' as const]));
type LazyMmuState = RecordView<typeof SCHEMA>;
/** The depth table's cells, by name (WHO[i], DEPTH[i] ...). */
const cells = (s: LazyMmuState) => s as unknown as Record<string, number>;

const SLOT = partSlot();
STATE_PARTS.push({
  declare(k) { k.parts[SLOT] = k.declareRecord('lazy mmu', { ...SCHEMA, ...TABLE }) as unknown as LazyMmuState; },
  boot(k) { clearRecord(k.runState, 'lazy mmu'); },
});

/** This run's lazy MMU state, without allocating anything. */
export function lazyMmuState(k: Kernel): LazyMmuState {
  return k.parts[SLOT] as LazyMmuState;
}

/** This run's lazy MMU state, the kernel PTE page allocated on first use. */
export function lazyMmuRun(k: Kernel): LazyMmuState {
  const s = k.parts[SLOT] as LazyMmuState;
  if (s.kpt === 0) {
    const fields = Array.from({ length: NPTES }, (_, i) => `pte[${i}]`).concat('kmap_pte');
    s.kpt = k.m.alloc('page table', 'kernel.pte', fields);
  }
  return s;
}

/** Row of `who` in the depth table, or -1. */
function rowOf(s: LazyMmuState, who: number): number {
  const t = cells(s);
  for (let i = 0; i < s.rows; i++) if (t[WHO[i]] === who) return i;
  return -1;
}
/** Row of `who`, added (depth 0, no continuation) if it has none. */
function rowFor(s: LazyMmuState, who: number): number {
  const i = rowOf(s, who);
  if (i >= 0) return i;
  if (s.rows === ROWS) throw new ModelError(`lazy MMU mode: more than ${ROWS} tasks and interrupt contexts in regions`);
  const n = s.rows++;
  cells(s)[WHO[n]] = who;
  return n;
}

/** Bit of PTE address a in the pending mask (the PTEs of the kernel PTE page only). */
function pendingBit(k: Kernel, s: LazyMmuState, a: number): number {
  const i = a - s.kpt;
  if (i < 0 || i > KMAP_SLOT) throw new ModelError(`lazy MMU mode: a deferred store to ${k.m.nameOf(a)}, outside the kernel PTE page the model tracks`);
  return 1 << i;
}
/** The PTE store to address a is queued in a lazy batch (Xen PV: xen_batched_set_pte). */
export function lazyMmuPendingAdd(k: Kernel, a: number) {
  const s = lazyMmuRun(k);
  s.pending |= pendingBit(k, s, a);
}
/** The queued store to a has been issued. */
export function lazyMmuPendingDone(k: Kernel, a: number) {
  const s = lazyMmuRun(k);
  s.pending &= ~pendingBit(k, s, a);
}

/** this_cpu(xen_lazy_mode) of every CPU (arches/x86-xen-pv.ts reads and writes it). */
export function xenLazyMode(k: Kernel): Int32Array {
  return (k.parts[SLOT] as LazyMmuState).xen_lazy_mode;
}

const who = (k: Kernel, x: Ctx) => (x.level === 0 ? k.cpus[x.cpu].curr.ref : -1 - x.cpu);
const whoName = (k: Kernel, x: Ctx) => (x.level === 0 ? k.cpus[x.cpu].curr.name : `cpu${x.cpu} ${k.levelName(x.level)}`);

/** preempt_disable()/preempt_enable() as lazy MMU implementations use them (ghost count). */
export function preemptDisable(k: Kernel, x: Ctx) { lazyMmuRun(k).preempt[x.cpu]++; }
export function preemptEnable(k: Kernel, x: Ctx) { lazyMmuRun(k).preempt[x.cpu]--; }

/** A caller opening a region: the rules, the core-side depth, then the arch hook (the step
 *  returns what this returns). */
export function lazyMmuEnter(k: Kernel, x: Ctx, where: string): number {
  const s = lazyMmuRun(k);
  const id = who(k, x);
  if (x.level > 0) k.violate('lazy-mmu', `arch_enter_lazy_mmu_mode() in ${k.levelName(x.level)} context (${where}): "the mode cannot be used in interrupt context"`, x);
  const t = cells(s);
  const row = rowOf(s, id);
  const d = row >= 0 ? t[DEPTH[row]] : 0;
  if (d > 0) {
    k.count('lazy_mmu_nested');
    k.violate('lazy-mmu', `nested lazy MMU region: ${where} enters while ${whoName(k, x)} is already in one ("lazy mmu regions can never be nested")`, x);
  }
  t[DEPTH[rowFor(s, id)]] = d + 1;
  k.call(x, H.arch_enter_lazy_mmu_mode);
  return CALL;
}

export function lazyMmuLeave(k: Kernel, x: Ctx): number {
  const s = lazyMmuRun(k);
  const id = who(k, x);
  const t = cells(s);
  const row = rowOf(s, id);
  const d = row >= 0 ? t[DEPTH[row]] : 1;
  t[DEPTH[rowFor(s, id)]] = d - 1;
  k.call(x, H.arch_leave_lazy_mmu_mode);
  return CALL;
}

/** Preemption point of a preemptible region: with preemption enabled and another task runnable
 *  on this CPU, the task is switched out here (the model's involuntary switch: it sleeps until
 *  the CPU would otherwise idle, so the other task runs first). */
function preempted(k: Kernel, x: Ctx, tsk: number): boolean {
  if (lazyMmuRun(k).preempt[x.cpu] > 0) return false;
  k.fpGlobal();
  let other = false;
  for (let i = 0; i < k.taskCount() && !other; i++) {
    const o = k.tasks[i];
    other = o.ref !== tsk && o.cpu === x.cpu && !o.isIdle && o.state === TS_RUNNABLE;
  }
  if (!other) return false;
  const t = k.task(tsk);
  t.state = TS_SLEEPING;
  t.timer = true;
  k.count('lazy_mmu_preemptions');
  if (k.tracing) k.tr(x, `preempt_schedule(): ${t.name} is preempted inside its lazy MMU region`);
  return true;
}

/** Call set_pte(a, v). */
function setPte(k: Kernel, x: Ctx, a: number, v: number) {
  const c = k.call(x, H.set_pte);
  c.a = a;
  c.v = v;
}

/** Call set_ptes(a, v, nr). */
function setPtes(k: Kernel, x: Ctx, a: number, v: number, nr: number) {
  const c = k.call(x, H.set_ptes);
  c.a = a;
  c.v = v;
  c.nr = nr;
}

export function registerLazyMmuCore(r: StepRegistry) {
  const owner = r.owner;
  const as = (o: string, f: () => void) => { r.owner = o; f(); r.owner = owner; };

  // ---- set_pte(): the arch's PTE store (native_set_pte; Xen PV adds xen_batched_set_pte before it)
  // native_set_pte(): WRITE_ONCE(*ptep, pte);
  r.add('set_pte', 'native_set_pte', (k, x, f) => {
    k.st(x, f.a, f.v);
    return YIELD;
  });

  // ---- static inline void set_ptes(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte, unsigned int nr)
  as('base:bcc6cc832573', () => {
    //   page_table_check_ptes_set(mm, ptep, pte, nr);
    //   arch_enter_lazy_mmu_mode();
    r.add('set_ptes', 'arch_enter_lazy_mmu_mode', (k, x) => {
      if (k.arch.name.startsWith('powerpc')) return NEXT; // 47b8def9358c: powerpc's set_ptes() has no lazy calls
      return lazyMmuEnter(k, x, 'set_ptes()');
    }, { kernels: SINCE_SET_PTES });
    //   for (;;) { set_pte(ptep, pte); if (--nr == 0) break; ptep++; pte = pte_next_pfn(pte); }
    // (resume point 0: the loop head, after each set_pte)
    r.add('set_ptes', 'set_pte_loop', (k, x, f) => {
      if (f.i >= f.nr) return NEXT;
      const i = f.i++;
      setPte(k, x, f.a + i, f.v + i);
      return callAgain(0);
    }, { kernels: SINCE_SET_PTES });
    //   arch_leave_lazy_mmu_mode();
    r.add('set_ptes', 'arch_leave_lazy_mmu_mode', (k, x) => {
      if (k.arch.name.startsWith('powerpc')) return NEXT;
      return lazyMmuLeave(k, x);
    }, { kernels: SINCE_SET_PTES });
  });

  // ---- static int apply_to_pte_range(mm, pmd, addr, end, fn, data, create, mask): kernel mappings
  as('base:38e0edb15bd0', () => {
    //   arch_enter_lazy_mmu_mode();
    r.add('apply_to_pte_range', 'arch_enter_lazy_mmu_mode', (k, x, f) => {
      if (f.resume) return NEXT;
      return lazyMmuEnter(k, x, 'apply_to_pte_range()');
    });
    //   do { if (create || !pte_none(ptep_get(pte))) { err = fn(pte++, addr, data); ... } } while (addr += PAGE_SIZE, addr != end);
    // fn (vmap, KASAN shadow populate ...): set_pte_at(&init_mm, addr, pte, ...), which is
    // set_ptes(..., 1) from v6.6 and the arch's set_pte() before.
    // No lock is held for kernel mappings: the task is preemptible between PTEs.
    // Resume points: 0 the loop head (PTE f.i), 1 after set_pte_at() of PTE f.i (the preemption point).
    const fnLoop = (setPteAt: (k: Kernel, x: Ctx, a: number, v: number) => void): Step<'apply_to_pte_range'> => (k, x, f, pc) => {
      const s = lazyMmuRun(k);
      if (pc === 1) {
        if (f.i + 1 < f.n && preempted(k, x, f.tsk)) {
          const t = cells(s), row = rowFor(s, f.tsk);
          t[HAS_CONT[row]] = 1;
          t[CONT_I[row]] = f.i + 1;
          t[CONT_N[row]] = f.n;
          f.preempted = true;
          return RET;
        }
        f.i++;
        return goTo(0);
      }
      if (f.i >= f.n) return NEXT;
      setPteAt(k, x, s.kpt + f.i, 100 + f.i);
      return callAgain(1);
    };
    r.add('apply_to_pte_range', 'fn_loop', fnLoop((k, x, a, v) => setPtes(k, x, a, v, 1)), { kernels: SINCE_SET_PTES });
    r.add('apply_to_pte_range', 'fn_loop', fnLoop(setPte), { kernels: BEFORE_SET_PTES });
    //   arch_leave_lazy_mmu_mode();
    r.add('apply_to_pte_range', 'arch_leave_lazy_mmu_mode', (k, x) => lazyMmuLeave(k, x));
  });

  // ---- static int pagemap_scan_pmd_entry(pmd_t *pmd, unsigned long start, unsigned long end, struct mm_walk *walk)
  as('base:pagemap', () => {
    //   arch_enter_lazy_mmu_mode();
    r.add('pagemap_scan_pmd_entry', 'arch_enter_lazy_mmu_mode', (k, x) => lazyMmuEnter(k, x, 'pagemap_scan_pmd_entry()'), { kernels: SINCE_PAGEMAP_SCAN });
    //   if ((ret = pagemap_scan_thp_entry(pmd, start, end, walk)) != -ENOENT) { arch_leave_lazy_mmu_mode(); return ret; }
    r.add('pagemap_scan_pmd_entry', 'pagemap_scan_thp_entry', () => NEXT, { kernels: SINCE_PAGEMAP_SCAN });
  });
  //   start_pte = pte = pte_offset_map_lock(vma->vm_mm, pmd, start, &ptl);
  r.add('pagemap_scan_pmd_entry', 'pte_offset_map_lock', (k, x) => {
    k.call(x, H.pte_offset_map_lock);
    return CALL;
  }, { kernels: SINCE_PAGEMAP_SCAN });
  //   for (addr = start; addr != end; pte++, addr += PAGE_SIZE) { ... make_uffd_wp_pte(vma, addr, pte, ptent):
  //       old_pte = ptep_modify_prot_start(vma, addr, pte); ptent = pte_mkuffd_wp(old_pte);
  //       ptep_modify_prot_commit(vma, addr, pte, old_pte, ptent)  -> set_pte_at() }
  // Resume points: 0 the loop head (read PTE f.i), 1 after the read (set_ptes() of PTE f.i).
  r.add('pagemap_scan_pmd_entry', 'make_uffd_wp_pte_loop', (k, x, f, pc) => {
    const s = lazyMmuRun(k);
    if (pc === 1) {
      const i = f.i++;
      setPtes(k, x, s.kpt + i, f.old | 0x400, 1);
      return callAgain(0);
    }
    if (f.i >= f.n) return NEXT;
    f.old = k.ld(x, s.kpt + f.i);
    return again(1);
  }, { kernels: SINCE_PAGEMAP_SCAN });
  as('base:pagemap', () => {
    //   arch_leave_lazy_mmu_mode();
    r.add('pagemap_scan_pmd_entry', 'arch_leave_lazy_mmu_mode', (k, x) => lazyMmuLeave(k, x), { kernels: SINCE_PAGEMAP_SCAN });
  });
  //   pte_unmap_unlock(start_pte, ptl);
  r.add('pagemap_scan_pmd_entry', 'pte_unmap_unlock', (k, x) => {
    k.call(x, H.pte_unmap_unlock);
    return CALL;
  }, { kernels: SINCE_PAGEMAP_SCAN });

  // ---- pte_offset_map_lock(): with CONFIG_HIGHPTE (32-bit; `--set CONFIG_HIGHPTE=y`) the PTE page
  // is mapped with kmap_local_page(), which writes the kmap slot's PTE and reads through it.
  r.add('pte_offset_map_lock', 'kmap_local_page', (k, x) => {
    if (!k.flag('CONFIG_HIGHPTE', false)) return NEXT;
    k.call(x, H.kmap_local_page);
    return CALL;
  });
  r.add('pte_unmap_unlock', 'kunmap_local', (k, x) => {
    if (!k.flag('CONFIG_HIGHPTE', false)) return NEXT;
    setPte(k, x, lazyMmuRun(k).kpt + KMAP_SLOT, 0);
    return CALL;
  });
  // __kmap_local_pfn_prot(): set_pte_at(&init_mm, vaddr, kmap_pte - idx, pteval); then the caller
  // dereferences vaddr: the MMU walks the slot's PTE, which must already hold the new entry.
  r.add('kmap_local_page', 'set_pte', (k, x) => {
    setPte(k, x, lazyMmuRun(k).kpt + KMAP_SLOT, 0x7000);
    return CALL;
  });
  r.add('kmap_local_page', 'access', (k, x) => {
    const s = lazyMmuRun(k);
    const a = s.kpt + KMAP_SLOT;
    const seen = k.ld(x, a);
    if (s.pending & (1 << KMAP_SLOT))
      k.violate('lazy-mmu', `deferred update seen as immediate: kmap_local_page() uses ${k.m.nameOf(a)} (reads ${seen}) while its set_pte() still waits in cpu${x.cpu}'s lazy MMU batch`, x);
    return YIELD;
  });

  // ---- Xen enter_lazy()/leave_lazy() at v6.14: 49147beb0ccb "x86/xen: allow nesting of same lazy mode"
  as('base:49147beb0ccb', () => {
    //   enum xen_lazy_mode old_mode = this_cpu_read(xen_lazy_mode);
    //   if (mode == old_mode) { this_cpu_inc(xen_lazy_nesting); return; }
    r.add('enter_lazy', 'xen_lazy_nesting', (k, x, f) => {
      const s = lazyMmuState(k);
      if (s.xen_lazy_mode[x.cpu] !== f.mode || f.mode === XEN_LAZY_NONE) return NEXT;
      s.xen_lazy_nesting[x.cpu]++;
      if (k.tracing) k.tr(x, `this_cpu_inc(xen_lazy_nesting) -> ${s.xen_lazy_nesting[x.cpu]}`);
      return RET;
    }, { kernels: SINCE_XEN_NESTING });
    //   BUG_ON(this_cpu_read(xen_lazy_mode) != mode);
    //   if (this_cpu_read(xen_lazy_nesting) == 0) this_cpu_write(xen_lazy_mode, XEN_LAZY_NONE);
    //   else this_cpu_dec(xen_lazy_nesting);
    r.add('leave_lazy', 'xen_lazy_nesting', (k, x, f) => {
      const s = lazyMmuState(k);
      if (s.xen_lazy_nesting[x.cpu] === 0 || s.xen_lazy_mode[x.cpu] !== f.mode) return NEXT;
      s.xen_lazy_nesting[x.cpu]--;
      if (k.tracing) k.tr(x, `this_cpu_dec(xen_lazy_nesting) -> ${s.xen_lazy_nesting[x.cpu]}`);
      return RET;
    }, { kernels: SINCE_XEN_NESTING });
  });

  // ---- the preemption rule, checked where a task is switched out (an oracle: no state change)
  r.add('context_switch', 'lazy_mmu_preempt_check', (k, x, f) => {
    const s = lazyMmuState(k);
    if (s.kpt === 0) return NEXT; // no region in this run yet
    const row = rowOf(s, f.prev);
    if (row < 0 || !(cells(s)[DEPTH[row]] > 0)) return NEXT;
    const prev = k.task(f.prev).name;
    if (s.preempt[x.cpu] > 0) {
      k.violate('context', `BUG: scheduling while atomic: ${prev} in a lazy MMU region with preemption disabled`, x);
      return NEXT;
    }
    const st = k.arch.lazyMmuState?.(k, x.cpu);
    if (st?.active && !k.hasBody(H.arch_start_context_switch))
      k.violate('lazy-mmu', `${prev} is switched out inside a lazy MMU region on ${k.arch.name}, whose lazy MMU state is per-CPU and not saved at context switch: cpu${x.cpu} stays in lazy MMU mode (${st.pending} pending) for ${k.task(f.next).name}`, x);
    return NEXT;
  }, { after: 'prepare_task_switch' });

  // ---- the operations
  // apply_to_page_range(&init_mm, ...): one PMD's worth of kernel PTEs. Preempted inside the
  // region, the op runs again when the task is scheduled back in and resumes the region.
  // Resume point 1: apply_to_pte_range() has returned.
  r.add('sys_apply_to_page_range', 'apply_to_pte_range', (k, x, f, pc) => {
    if (pc === 1) {
      if (k.ret(x, H.apply_to_pte_range).preempted) k.task(f.tsk).pc--; // run again when it is scheduled back in
      return NEXT;
    }
    const s = lazyMmuRun(k), t = cells(s);
    const row = rowOf(s, f.tsk);
    const resume = row >= 0 && t[HAS_CONT[row]] !== 0;
    const i = resume ? t[CONT_I[row]] : 0;
    const n = resume ? t[CONT_N[row]] : Math.min(opIn<'apply_to_page_range'>(k, f).ptes ?? 2, NPTES);
    if (resume) t[HAS_CONT[row]] = t[CONT_I[row]] = t[CONT_N[row]] = 0;
    const c = k.call(x, H.apply_to_pte_range);
    c.tsk = f.tsk;
    c.i = i;
    c.n = n;
    c.resume = resume;
    return callAgain(1);
  });
  r.add('sys_pagemap_scan', 'pagemap_scan_pmd_entry', (k, x, f) => {
    const n = Math.min(opIn<'pagemap_scan'>(k, f).ptes ?? 2, NPTES);
    const c = k.call(x, H.pagemap_scan_pmd_entry);
    c.tsk = f.tsk;
    c.n = n;
    return CALL;
  }, { kernels: SINCE_PAGEMAP_SCAN });
  // Before v6.7 /proc/PID/pagemap has no unlocked_ioctl: vfs_ioctl() returns -ENOTTY.
  r.add('sys_pagemap_scan', 'vfs_ioctl', (k, x) => {
    if (k.tracing) k.tr(x, 'ioctl(PAGEMAP_SCAN) = -ENOTTY (no PAGEMAP_SCAN before v6.7)');
    return NEXT;
  }, { kernels: BEFORE_PAGEMAP_SCAN });
}

BASELINE_PARTS.push(registerLazyMmuCore);

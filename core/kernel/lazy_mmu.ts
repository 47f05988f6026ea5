// Lazy MMU mode, core side, as of v6.14 (the base of the lazy-mmu series; seeds/001,
// reference/seeds-001-003-004.md §1): the callers that open lazy MMU regions, the generic
// set_ptes() that nests one since bcc6cc832573, and the rules of the mode as oracles. The arch side
// (what a region batches) is in the arch plugins (arches/lazy-mmu.ts, sparc64.ts, x86-xen-pv.ts).
//
// Registered by the baseline; steps carry the owner of the upstream change they model, so that
// `lazymm list hooks` shows what the lazy-mmu series' diffs apply to:
//  - base:bcc6cc832573  set_ptes() default: arch_enter_lazy_mmu_mode(); set_pte() x nr; arch_leave_...
//                       (powerpc's override has no lazy calls since 47b8def9358c, sparc64's has them
//                       since 1a10a44dfc1d: the model's set_ptes serves all three)
//  - base:38e0edb15bd0  apply_to_pte_range() runs the callback in a lazy MMU region, kernel
//                       mappings included: no lock, so preemptible between PTEs
//  - base:pagemap       pagemap_scan_pmd_entry() opens its region before pte_offset_map_lock()
//  - arch/x86/xen       xen_set_pte(): in MMU lazy mode the PTE store is a queued multicall
//                       (xen_batched_set_pte); x86-xen-pv.ts models the batch but not set_pte
//  - base:49147beb0ccb  Xen enter_lazy()/leave_lazy() count same-mode nesting (v6.6; the x86-xen-pv
//                       plugin has v5.16's BUG_ON-only code, so the v6.14 counter is added here,
//                       ahead of its steps; lazy-mmu/04 reverts it)
//
// Oracles ('lazy-mmu', core/oracles.ts), the rules patch 01 writes down ("lazy mmu regions can
// never be nested, must not be called in interrupt context and preemption may or may not be
// enabled for the duration of the region"):
//  - nesting: a caller enters a region while its task (or the CPU's interrupt context) is in one;
//  - interrupt context: a region entered from hardirq/NMI;
//  - preemption: a task switched out inside a region on an arch whose mode is per-CPU state that
//    nothing saves at context switch (no arch_start_context_switch(): sparc64);
//  - deferred update seen as immediate: a PTE stored in the region is used (kmap) while its store
//    still waits in the CPU's lazy batch (Xen PV defers PTE stores; "something like kmap() which
//    would expect an immediate mode pte modification but it would end up deferred").
import type { StepRegistry } from '../hooks.ts';
import { defineHooks } from '../hooks.ts';
import { H, type Kernel, type Ctx, type TaskInfo } from '../kernel.ts';
import { registerOp } from '../program.ts';
import { LAZY_MMU } from '../../arches/lazy-mmu.ts';

export const LM = defineHooks([
  'set_ptes', 'set_pte', 'apply_to_pte_range', 'pagemap_scan_pmd_entry', 'pte_offset_map_lock',
  'pte_unmap_unlock', 'kmap_local_page', 'enter_lazy', 'leave_lazy',
]);

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

interface Cont { i: number; n: number }
interface LazyMmuRun {
  kpt: number; // a page-table page: NPTES entries + the kmap PTE
  depth: Map<number, number>; // region depth per task (ref), or per CPU's interrupt context (-1-cpu)
  preempt: number[]; // preempt_count per CPU, as far as lazy MMU code changes it
  cont: Map<number, Cont>; // apply_to_page_range preempted: where it resumes
  pending: Set<number>; // PTE addresses whose store waits in a lazy batch
}

const runs = new WeakMap<object, LazyMmuRun>();
/** This run's state (keyed by the run's task list, which boot() makes afresh). */
export function lazyMmuRun(k: Kernel): LazyMmuRun {
  let s = runs.get(k.tasks);
  if (!s) {
    const fields = Array.from({ length: NPTES }, (_, i) => `pte[${i}]`).concat('kmap_pte');
    s = { kpt: k.m.alloc('page table', 'kernel.pte', fields), depth: new Map(), preempt: new Array(k.ncpus).fill(0), cont: new Map(), pending: new Set() };
    runs.set(k.tasks, s);
  }
  return s;
}

const who = (k: Kernel, x: Ctx) => (x.level === 0 ? k.cpus[x.cpu].curr.ref : -1 - x.cpu);
const whoName = (k: Kernel, x: Ctx) => (x.level === 0 ? k.cpus[x.cpu].curr.name : `cpu${x.cpu} ${k.levelName(x.level)}`);

/** preempt_disable()/preempt_enable() as lazy MMU implementations use them (ghost count). */
export function preemptDisable(k: Kernel, x: Ctx) { lazyMmuRun(k).preempt[x.cpu]++; }
export function preemptEnable(k: Kernel, x: Ctx) { lazyMmuRun(k).preempt[x.cpu]--; }

/** A caller opening a region: the rules, the core-side depth, then the arch hook. */
export function* lazyMmuEnter(k: Kernel, x: Ctx, where: string): Generator<number, void, unknown> {
  const s = lazyMmuRun(k);
  const id = who(k, x);
  if (x.level > 0) k.violate('lazy-mmu', `arch_enter_lazy_mmu_mode() in ${k.levelName(x.level)} context (${where}): "the mode cannot be used in interrupt context"`, x);
  const d = s.depth.get(id) ?? 0;
  if (d > 0) {
    k.count('lazy_mmu_nested');
    k.violate('lazy-mmu', `nested lazy MMU region: ${where} enters while ${whoName(k, x)} is already in one ("lazy mmu regions can never be nested")`, x);
  }
  s.depth.set(id, d + 1);
  yield k.invoke(LAZY_MMU.arch_enter_lazy_mmu_mode, {});
}

export function* lazyMmuLeave(k: Kernel, x: Ctx): Generator<number, void, unknown> {
  const s = lazyMmuRun(k);
  const id = who(k, x);
  s.depth.set(id, (s.depth.get(id) ?? 1) - 1);
  yield k.invoke(LAZY_MMU.arch_leave_lazy_mmu_mode, {});
}

/** Is this a Xen PV model (its multicall batch and lazy mode, arches/x86-xen-pv.ts)? */
const isXenPv = (k: Kernel) => H.xen_mc_flush !== undefined && k.hasBody(H.xen_mc_flush) && Array.isArray(k.archState.mc);
const PARAVIRT_LAZY_NONE = 0;
const PARAVIRT_LAZY_MMU = 1;

/** Preemption point of a preemptible region: with preemption enabled and another task runnable
 *  on this CPU, the task is switched out here (the model's involuntary switch: it sleeps until
 *  the CPU would otherwise idle, so the other task runs first). */
function preempted(k: Kernel, x: Ctx, t: TaskInfo): boolean {
  if (lazyMmuRun(k).preempt[x.cpu] > 0) return false;
  k.fpGlobal();
  if (!k.tasks.some((o) => o !== t && o.cpu === x.cpu && !o.isIdle && o.state === 'runnable')) return false;
  t.state = 'sleeping';
  t.timer = true;
  k.count('lazy_mmu_preemptions');
  if (k.tracing) k.tr(x, `preempt_schedule(): ${t.name} is preempted inside its lazy MMU region`);
  return true;
}

export function registerLazyMmuCore(r: StepRegistry) {
  const owner = r.owner;
  const as = (o: string, f: () => void) => { r.owner = o; f(); r.owner = owner; };

  // ---- set_pte(): the arch's PTE store (native_set_pte; Xen PV: xen_set_pte)
  as('arch/x86/xen', () => {
    // static bool xen_batched_set_pte(pte_t *ptep, pte_t pteval)
    //   if (xen_get_lazy_mode() != XEN_LAZY_MMU) return false;
    //   mcs = xen_mc_entry(...); u.ptr = virt_to_machine(ptep).maddr; u.val = pte_val_ma(pteval);
    //   MULTI_mmu_update(mcs.mc, &u, 1, NULL, DOMID_SELF); xen_mc_issue(XEN_LAZY_MMU); return true;
    r.add('set_pte', 'xen_batched_set_pte', (k, x, f) => {
      if (!isXenPv(k) || k.archState.lazy_mode[x.cpu] !== PARAVIRT_LAZY_MMU) return;
      const s = lazyMmuRun(k);
      s.pending.add(f.a);
      k.archState.mc[x.cpu].push({
        op: `MULTI_mmu_update ${k.m.nameOf(f.a)} = ${f.v}`,
        run: (kk: Kernel, xx: Ctx) => { kk.st(xx, f.a, f.v); s.pending.delete(f.a); },
      });
      k.count('xen_mc_deferred');
      if (k.tracing) k.tr(x, `xen_mc_entry(MULTI_mmu_update ${k.m.nameOf(f.a)} = ${f.v}): deferred`);
      f.ret_early = true;
    });
  });
  // native_set_pte(): WRITE_ONCE(*ptep, pte);
  r.add('set_pte', 'native_set_pte', function* (k, x, f) {
    k.st(x, f.a, f.v);
    yield 0;
  });

  // ---- static inline void set_ptes(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte, unsigned int nr)
  as('base:bcc6cc832573', () => {
    //   page_table_check_ptes_set(mm, ptep, pte, nr);
    //   arch_enter_lazy_mmu_mode();
    r.add('set_ptes', 'arch_enter_lazy_mmu_mode', function* (k, x) {
      if (k.arch.name.startsWith('powerpc')) return; // 47b8def9358c: powerpc's set_ptes() has no lazy calls
      yield* lazyMmuEnter(k, x, 'set_ptes()');
    });
    //   for (;;) { set_pte(ptep, pte); if (--nr == 0) break; ptep++; pte = pte_next_pfn(pte); }
    r.add('set_ptes', 'set_pte_loop', function* (k, _x, f) {
      for (let i = 0; i < f.nr; i++) yield k.invoke(LM.set_pte, { a: f.a + i, v: f.v + i });
    });
    //   arch_leave_lazy_mmu_mode();
    r.add('set_ptes', 'arch_leave_lazy_mmu_mode', function* (k, x) {
      if (k.arch.name.startsWith('powerpc')) return;
      yield* lazyMmuLeave(k, x);
    });
  });

  // ---- static int apply_to_pte_range(mm, pmd, addr, end, fn, data, create, mask): kernel mappings
  as('base:38e0edb15bd0', () => {
    //   arch_enter_lazy_mmu_mode();
    r.add('apply_to_pte_range', 'arch_enter_lazy_mmu_mode', function* (k, x, f) {
      if (f.resume) return;
      yield* lazyMmuEnter(k, x, 'apply_to_pte_range()');
    });
    //   do { if (create || !pte_none(ptep_get(pte))) { err = fn(pte++, addr, data); ... } } while (addr += PAGE_SIZE, addr != end);
    // fn (vmap, KASAN shadow populate ...): set_pte_at(&init_mm, addr, pte, ...) = set_ptes(..., 1).
    // No lock is held for kernel mappings: the task is preemptible between PTEs.
    r.add('apply_to_pte_range', 'fn_loop', function* (k, x, f) {
      const s = lazyMmuRun(k);
      for (; f.i < f.n; f.i++) {
        yield k.invoke(LM.set_ptes, { a: s.kpt + f.i, v: 100 + f.i, nr: 1 });
        if (f.i + 1 < f.n && preempted(k, x, f.tsk)) {
          s.cont.set(f.tsk.ref, { i: f.i + 1, n: f.n });
          f.preempted = true;
          f.ret_early = true;
          return;
        }
      }
    });
    //   arch_leave_lazy_mmu_mode();
    r.add('apply_to_pte_range', 'arch_leave_lazy_mmu_mode', function* (k, x) {
      yield* lazyMmuLeave(k, x);
    });
  });

  // ---- static int pagemap_scan_pmd_entry(pmd_t *pmd, unsigned long start, unsigned long end, struct mm_walk *walk)
  as('base:pagemap', () => {
    //   arch_enter_lazy_mmu_mode();
    r.add('pagemap_scan_pmd_entry', 'arch_enter_lazy_mmu_mode', function* (k, x) {
      yield* lazyMmuEnter(k, x, 'pagemap_scan_pmd_entry()');
    });
    //   if ((ret = pagemap_scan_thp_entry(pmd, start, end, walk)) != -ENOENT) { arch_leave_lazy_mmu_mode(); return ret; }
    r.add('pagemap_scan_pmd_entry', 'pagemap_scan_thp_entry', () => {});
  });
  //   start_pte = pte = pte_offset_map_lock(vma->vm_mm, pmd, start, &ptl);
  r.add('pagemap_scan_pmd_entry', 'pte_offset_map_lock', function* (k, _x, f) {
    yield k.invoke(LM.pte_offset_map_lock, f);
  });
  //   for (addr = start; addr != end; pte++, addr += PAGE_SIZE) { ... make_uffd_wp_pte(vma, addr, pte, ptent):
  //       old_pte = ptep_modify_prot_start(vma, addr, pte); ptent = pte_mkuffd_wp(old_pte);
  //       ptep_modify_prot_commit(vma, addr, pte, old_pte, ptent)  -> set_pte_at() }
  r.add('pagemap_scan_pmd_entry', 'make_uffd_wp_pte_loop', function* (k, x, f) {
    const s = lazyMmuRun(k);
    for (let i = 0; i < f.n; i++) {
      const old = k.ld(x, s.kpt + i);
      yield 0;
      yield k.invoke(LM.set_ptes, { a: s.kpt + i, v: old | 0x400, nr: 1 });
    }
  });
  as('base:pagemap', () => {
    //   arch_leave_lazy_mmu_mode();
    r.add('pagemap_scan_pmd_entry', 'arch_leave_lazy_mmu_mode', function* (k, x) {
      yield* lazyMmuLeave(k, x);
    });
  });
  //   pte_unmap_unlock(start_pte, ptl);
  r.add('pagemap_scan_pmd_entry', 'pte_unmap_unlock', function* (k, _x, f) {
    yield k.invoke(LM.pte_unmap_unlock, f);
  });

  // ---- pte_offset_map_lock(): with CONFIG_HIGHPTE (32-bit; `--set CONFIG_HIGHPTE=y`) the PTE page
  // is mapped with kmap_local_page(), which writes the kmap slot's PTE and reads through it.
  r.add('pte_offset_map_lock', 'kmap_local_page', function* (k, _x, f) {
    if (!k.flag('CONFIG_HIGHPTE', false)) return;
    yield k.invoke(LM.kmap_local_page, f);
  });
  r.add('pte_unmap_unlock', 'kunmap_local', function* (k) {
    if (!k.flag('CONFIG_HIGHPTE', false)) return;
    yield k.invoke(LM.set_pte, { a: lazyMmuRun(k).kpt + KMAP_SLOT, v: 0 });
  });
  // __kmap_local_pfn_prot(): set_pte_at(&init_mm, vaddr, kmap_pte - idx, pteval); then the caller
  // dereferences vaddr: the MMU walks the slot's PTE, which must already hold the new entry.
  r.add('kmap_local_page', 'set_pte', function* (k) {
    yield k.invoke(LM.set_pte, { a: lazyMmuRun(k).kpt + KMAP_SLOT, v: 0x7000 });
  });
  r.add('kmap_local_page', 'access', function* (k, x) {
    const s = lazyMmuRun(k);
    const a = s.kpt + KMAP_SLOT;
    const seen = k.ld(x, a);
    if (s.pending.has(a))
      k.violate('lazy-mmu', `deferred update seen as immediate: kmap_local_page() uses ${k.m.nameOf(a)} (reads ${seen}) while its set_pte() still waits in cpu${x.cpu}'s lazy MMU batch`, x);
    yield 0;
  });

  // ---- Xen enter_lazy()/leave_lazy() at v6.14: 49147beb0ccb "x86/xen: allow nesting of same lazy mode"
  as('base:49147beb0ccb', () => {
    //   enum xen_lazy_mode old_mode = this_cpu_read(xen_lazy_mode);
    //   if (mode == old_mode) { this_cpu_inc(xen_lazy_nesting); return; }
    r.add('enter_lazy', 'xen_lazy_nesting', (k, x, f) => {
      if (k.archState.lazy_mode?.[x.cpu] !== f.mode || f.mode === PARAVIRT_LAZY_NONE) return;
      const n: number[] = (k.archState.xen_lazy_nesting ??= new Array(k.ncpus).fill(0));
      n[x.cpu]++;
      if (k.tracing) k.tr(x, `this_cpu_inc(xen_lazy_nesting) -> ${n[x.cpu]}`);
      f.ret_early = true;
    });
    //   BUG_ON(this_cpu_read(xen_lazy_mode) != mode);
    //   if (this_cpu_read(xen_lazy_nesting) == 0) this_cpu_write(xen_lazy_mode, XEN_LAZY_NONE);
    //   else this_cpu_dec(xen_lazy_nesting);
    r.add('leave_lazy', 'xen_lazy_nesting', (k, x, f) => {
      const n: number[] | undefined = k.archState.xen_lazy_nesting;
      if (!n || n[x.cpu] === 0 || k.archState.lazy_mode?.[x.cpu] !== f.mode) return;
      n[x.cpu]--;
      if (k.tracing) k.tr(x, `this_cpu_dec(xen_lazy_nesting) -> ${n[x.cpu]}`);
      f.ret_early = true;
    });
  });

  // ---- the preemption rule, checked where a task is switched out (an oracle: no state change)
  r.add('context_switch', 'lazy_mmu_preempt_check', (k, x, f) => {
    const s = runs.get(k.tasks);
    if (!s || !(s.depth.get(f.prev.ref)! > 0)) return;
    if (s.preempt[x.cpu] > 0) {
      k.violate('context', `BUG: scheduling while atomic: ${f.prev.name} in a lazy MMU region with preemption disabled`, x);
      return;
    }
    const st = k.arch.lazyMmuState?.(k, x.cpu);
    if (st?.active && !k.hasBody(LAZY_MMU.arch_start_context_switch))
      k.violate('lazy-mmu', `${f.prev.name} is switched out inside a lazy MMU region on ${k.arch.name}, whose lazy MMU state is per-CPU and not saved at context switch: cpu${x.cpu} stays in lazy MMU mode (${st.pending} pending) for ${f.next.name}`, x);
  }, { after: 'prepare_task_switch' });
}

registerOp('apply_to_page_range', function* (k, x, t, op) {
  const s = lazyMmuRun(k);
  const c = s.cont.get(t.ref);
  const f = { tsk: t, i: c?.i ?? 0, n: c?.n ?? Math.min(op.ptes ?? 2, NPTES), resume: !!c, preempted: false };
  s.cont.delete(t.ref);
  yield k.invoke(LM.apply_to_pte_range, f);
  if (f.preempted) t.pc--; // run again when it is scheduled back in: resume the region
});

registerOp('pagemap_scan', function* (k, _x, t, op) {
  yield k.invoke(LM.pagemap_scan_pmd_entry, { tsk: t, n: Math.min(op.ptes ?? 2, NPTES) });
});

// Reference ownership, in the spirit of the kernel's ref_tracker: every mm_count and mm_users
// reference of an mm has an owner and a place it was taken (the step that called mmgrab/mmget).
//
// Owners are the pointer fields that hold a counted reference -- a task's ->mm (mm_users), a
// kernel thread's or an exited task's lazy ->active_mm, rq->prev_mm, rq->drop_mm (mm_count) --
// and a few holders that are not fields: the reference all users share (mm_init()'s mm_count = 1,
// dropped by __mmput), a kthread's mmget_not_zero() (the scenario's op), a scenario's pin, a
// reference the kernel keeps forever (poking_mm), and "in hand": a reference a running kernel
// function holds in a local (between mmgrab() and the store that hands it to its owner, between
// the store that takes it from its owner and mmdrop(); mm_unlazy_mm_count()'s batch).
//
// Ownership moves with the pointer, with no annotation at the call sites: a reference taken by
// mmgrab()/mmget() is in the caller's hand; at the end of an event, a reference whose owner field
// no longer points to it (or no longer counts) goes to the hand of the context that changed it,
// and a reference in a context's hand goes to a counting field that points to its mm and holds
// none. mmdrop()/mmput() release one in the caller's hand, else one whose owner let go of it.
// Which fields count is the convention of the kernel a configuration builds, declared by the code
// that sets it (k.refRules): the baseline counts lazy active_mm references and a kthread's used mm;
// lazy-mm/15 stops counting the used mm, lazy-mm/16 the lazy active_mm ("Lazy mms are no longer
// pinned by mm_count"), shoot-lazies/03 both lazy ones when MMU_LAZY_TLB_REFCOUNT=n. rq->lazy_mm
// is a hazard pointer: it owns nothing and hides nothing.
//
// At quiescence a reference with no owner is a leak ('leak', naming where it was taken), and
// every scheduler or MMU pointer to a freed mm or pgd is a dangling pointer ('dangling'), whether
// or not anything dereferences it; the dangling check also runs at every context switch.
//
// State: a table of rows (mm, kind, owner, site), kept sorted, so it is its own canonical form.
// init_mm is never freed and its references are not tracked.
import { TS_DEAD, REF_RW, type Kernel, type Ctx, type RefRules } from './kernel.ts';
import { sid, str } from './strings.ts';
import * as L from './layout.ts';

export const REF_COUNT = 0, REF_USERS = 1;
const KIND_NAMES = ['mm_count', 'mm_users'];

// owners that are not fields (fields are their address, > 0)
const OWN_SHARED = -1; // the mm_count reference all mm_users share (mm_init; __mmput drops it)
const OWN_PERM = -2; // kept by the kernel for good (poking_mm, efi_mm)
const OWN_HAND = -16; // -16 - ctx id (< 3 * 4096): in the hands of a running kernel function
const OWN_HELD = -20000; // -20000 - task id: a kthread's mmget_not_zero() (scenario op)
const OWN_PIN = -40000; // -40000 - task id: a scenario pin (mmgrab'd by whoever created the kthread)
const OWN_HAND_MAX = OWN_HELD;

/** Watched fields (Memory.watch): a store to one may move a reference. */
export const W_TASK_MM = 1, W_TASK_ACTIVE_MM = 2, W_RQ_PREV_MM = 3, W_RQ_DROP_MM = 4;

/** A row: the mm, the kind (mm_count/mm_users), the owner, where it was taken, and for a
 *  reference in a hand its place in that hand (1: taken first; a function hands on or drops the
 *  reference it took last: __mmput() drops the users' shared reference, not exit_mm()'s). */
export const R_MM = 0, R_KIND = 1, R_OWNER = 2, R_SITE = 3, R_SEQ = 4;
export const RW = REF_RW;

export type { RefRules };

export const hand = (x: Ctx) => OWN_HAND - x.id;
export const held = (tid: number) => OWN_HELD - tid;
export const pin = (tid: number) => OWN_PIN - tid;
export { OWN_SHARED, OWN_PERM };

// ---- the table ----------------------------------------------------------------------------------

function cmpRow(a: Int32Array, i: number, j: number): number {
  for (let f = 0; f < RW; f++) {
    const d = a[i * RW + f] - a[j * RW + f];
    if (d !== 0) return d;
  }
  return 0;
}

/** Restore sorted order after row i changed (insertion sort: a handful of rows). */
function resort(k: Kernel) {
  const r = k.refR, a = r.a, n = r.n / RW;
  for (let i = 1; i < n; i++) {
    for (let j = i; j > 0 && cmpRow(a, j - 1, j) > 0; j--) {
      for (let f = 0; f < RW; f++) { const t = a[(j - 1) * RW + f]; a[(j - 1) * RW + f] = a[j * RW + f]; a[j * RW + f] = t; }
    }
  }
}

const isHand = (ow: number) => ow <= OWN_HAND && ow > OWN_HAND_MAX;

/** The next place in owner's hand (0 if owner is not a hand). */
function nextSeq(k: Kernel, owner: number): number {
  if (!isHand(owner)) return 0;
  const r = k.refR, a = r.a;
  let s = 0;
  for (let i = 0; i < r.n / RW; i++) if (a[i * RW + R_OWNER] === owner && a[i * RW + R_SEQ] > s) s = a[i * RW + R_SEQ];
  return s + 1;
}

function addRow(k: Kernel, mm: number, kind: number, owner: number, site: number) {
  const seq = nextSeq(k, owner);
  const r = k.refR;
  r.ensure(r.n + RW);
  const a = r.a, o = r.n;
  a[o + R_MM] = mm; a[o + R_KIND] = kind; a[o + R_OWNER] = owner; a[o + R_SITE] = site; a[o + R_SEQ] = seq;
  r.n += RW;
  resort(k);
}

function removeRow(k: Kernel, i: number) {
  const r = k.refR, a = r.a;
  a.copyWithin(i * RW, (i + 1) * RW, r.n);
  r.n -= RW;
}

/** Row i gets a new owner (the caller re-sorts). */
function setOwner(k: Kernel, i: number, owner: number) {
  const seq = nextSeq(k, owner);
  k.refR.a[i * RW + R_OWNER] = owner;
  k.refR.a[i * RW + R_SEQ] = seq;
}

/** The row of (mm, kind) that x took into its hand last, or -1. */
function lastInHand(k: Kernel, x: Ctx, mm: number, kind: number): number {
  const r = k.refR, a = r.a, h = hand(x);
  let best = -1;
  for (let i = 0; i < r.n / RW; i++) {
    const o = i * RW;
    if (a[o + R_OWNER] === h && a[o + R_MM] === mm && a[o + R_KIND] === kind && (best < 0 || a[o + R_SEQ] > a[best * RW + R_SEQ])) best = i;
  }
  return best;
}

// ---- taking and dropping references --------------------------------------------------------------

/** The step a reference is taken at: the innermost frame on x's stack that is not one of the
 *  refcounting helpers themselves (mmgrab, mmget, mmgrab_lazy_tlb...). */
function site(k: Kernel, x: Ctx): number {
  const fns = k.stackFns(x);
  for (let d = fns.length - 1; d >= 0; d--) {
    if (/^mm(grab|get)/.test(k.hookName(fns[d]))) continue;
    const fr = k.frameAt(x, d);
    const names = k.stepNames[fr.fn];
    return sid(`${k.hookName(fr.fn)}.${names[Math.min(fr.step, names.length - 1)] ?? '?'}`);
  }
  return sid(k.stepOf(x));
}

/** mmgrab()/mmget() took `n` references: they are in x's hand (until a store gives them an
 *  owner), or `owner`'s when the taker says who keeps it (a scenario op). */
export function refGet(k: Kernel, x: Ctx, mm: number, kind: number, n = 1, owner = hand(x)) {
  if (!k.refTracking || mm === k.init_mm) return;
  const s = site(k, x);
  for (let i = 0; i < n; i++) addRow(k, mm, kind, owner, s);
  k.refDirty = x.id + 1;
}

/** A reference created with its owner (scenario setup, mm_init). */
export function refAdd(k: Kernel, mm: number, kind: number, owner: number, where: string) {
  if (!k.refTracking || mm === k.init_mm) return;
  addRow(k, mm, kind, owner, sid(where));
}

/** Move a reference of mm from a non-field owner to x's hand (mmput of a held reference,
 *  mmdrop of a pin, __mmput's drop of the users' shared reference). */
export function refTake(k: Kernel, x: Ctx, mm: number, kind: number, owner: number) {
  if (!k.refTracking || mm === k.init_mm) return;
  const r = k.refR, a = r.a;
  for (let i = 0; i < r.n / RW; i++) {
    const o = i * RW;
    if (a[o + R_MM] === mm && a[o + R_KIND] === kind && a[o + R_OWNER] === owner) { setOwner(k, i, hand(x)); resort(k); return; }
  }
}

/** mmdrop()/mmput() dropped a reference: the one in x's hand, else one whose owner no longer
 *  holds it, else (an over-release: some owner now points at the mm without a reference) the
 *  first. */
export function refPut(k: Kernel, x: Ctx, mm: number, kind: number, n = 1) {
  if (!k.refTracking || mm === k.init_mm) return;
  // what x let go of earlier in this event is in its hand now (finish_task_switch() clears
  // rq->prev_mm and mmdrop()s it in one event)
  if (k.refDirty === x.id + 1) releaseLoose(k, x);
  for (let j = 0; j < n; j++) {
    const r = k.refR, a = r.a, rows = r.n / RW;
    const pick = lastInHand(k, x, mm, kind);
    let loose = -1, any = -1;
    for (let i = 0; pick < 0 && i < rows; i++) {
      const o = i * RW;
      if (a[o + R_MM] !== mm || a[o + R_KIND] !== kind) continue;
      const ow = a[o + R_OWNER];
      if (isHand(ow)) continue; // what another function holds is its own
      if (any < 0) any = i;
      if (loose < 0 && !ownerHolds(k, mm, kind, ow)) loose = i;
    }
    const i = pick >= 0 ? pick : loose >= 0 ? loose : any;
    if (i >= 0) removeRow(k, i);
  }
  k.refDirty = x.id + 1;
}

// ---- owners ---------------------------------------------------------------------------------------

/** The value of field a in its writer's program order: a store still in some CPU's store buffer
 *  (TSO) is what that field holds for ownership, whoever can see it yet (one CPU writes a field
 *  at a time). At quiescence the buffers are empty: memory. */
function valueAt(k: Kernel, a: number): number {
  const m = k.m;
  for (let c = 0; c < k.ncpus; c++) {
    const len = m.sbLen[c];
    if (len === 0) continue;
    const b = m.sb[c];
    for (let i = 2 * (len - 1); i >= 0; i -= 2) if (b[i] === a) return b[i + 1];
  }
  return m.mem[a];
}

/** Does the pointer field at address a hold a counted reference of kind `kind` on mm? */
function fieldCounts(k: Kernel, a: number, mm: number, kind: number): boolean {
  if (valueAt(k, a) !== mm) return false;
  const rules = k.refRules;
  switch (k.m.watch[a]) {
    case W_TASK_MM: {
      if (kind !== REF_USERS) return false;
      const t = k.task(a - L.T_MM);
      return !t.reaped && t.usingMm !== mm;
    }
    case W_TASK_ACTIVE_MM: {
      if (kind !== REF_COUNT) return false;
      const t = k.task(a - L.T_ACTIVE_MM);
      if (t.reaped) return false;
      const tmm = valueAt(k, t.ref + L.T_MM);
      if (tmm === mm) return rules.usedMm && t.usingMm === mm; // a kthread's used mm
      return rules.lazyActiveMm; // lazy: a kernel thread, an exited task
    }
    case W_RQ_PREV_MM: return kind === REF_COUNT && rules.lazyActiveMm;
    case W_RQ_DROP_MM: return kind === REF_COUNT;
  }
  return false;
}

/** Does `owner` still hold its reference of kind on mm? */
function ownerHolds(k: Kernel, mm: number, kind: number, owner: number): boolean {
  if (owner > 0) return fieldCounts(k, owner, mm, kind);
  if (owner === OWN_SHARED) return k.m.mem[mm + L.MM_USERS] > 0;
  if (owner === OWN_PERM) return true;
  if (owner <= OWN_PIN) return k.tasks[OWN_PIN - owner]?.pinned.includes(mm) ?? false;
  if (owner <= OWN_HELD && owner > OWN_PIN) return (k.tasks[OWN_HELD - owner]?.heldUsers ?? 0) > 0;
  return false; // in a hand
}

/** The fields a reference in x's hand may go to, in order: the fields x stored in this event
 *  (mm_unlazy_mm_count() parks a reference in another CPU's rq->drop_mm, clone() sets the child's
 *  mm), then x's CPU's own: its runqueue, its current task, the other tasks it runs. A field of
 *  another CPU waiting for that CPU's own reference (next->active_mm before transfer_active_mm)
 *  is not x's to fill. */
function candidates(k: Kernel, x: Ctx): number[] {
  const out: number[] = [];
  for (let i = 0; i < k.refStoredN; i++) out.push(k.refStored[i]);
  const rq = k.rq[x.cpu];
  out.push(rq + L.RQ_PREV_MM, rq + L.RQ_DROP_MM);
  const cur = k.cpus[x.cpu].curr.ref;
  out.push(cur + L.T_ACTIVE_MM, cur + L.T_MM);
  for (const t of k.rqTasks[x.cpu]) if (t.ref !== cur) out.push(t.ref + L.T_ACTIVE_MM, t.ref + L.T_MM);
  return out;
}

function owns(k: Kernel, owner: number, mm: number, kind: number): boolean {
  const r = k.refR, a = r.a;
  for (let i = 0; i < r.n / RW; i++) {
    const o = i * RW;
    if (a[o + R_OWNER] === owner && a[o + R_MM] === mm && a[o + R_KIND] === kind) return true;
  }
  return false;
}

/** The end of an event in which context `ctx` took, dropped or moved a reference (or stored to a
 *  watched field): references whose owner let go go to its hand; references in its hand go to
 *  the fields that now point at their mm and hold none. */
export function settleRefs(k: Kernel) {
  const x = k.ctxs[k.refDirty - 1];
  k.refDirty = 0;
  let moved = releaseLoose(k, x);
  const r = k.refR, a = r.a, h = hand(x);
  let cands: number[] | null = null;
  // the references x took last find their owners first
  for (let seq = nextSeq(k, h) - 1; seq > 0; seq--) {
    let i = 0;
    for (; i < r.n / RW; i++) if (a[i * RW + R_OWNER] === h && a[i * RW + R_SEQ] === seq) break;
    if (i === r.n / RW) continue;
    const o = i * RW;
    const mm = a[o + R_MM], kind = a[o + R_KIND];
    cands ??= candidates(k, x);
    for (const f of cands) {
      if (k.m.watch[f] === 0 || !fieldCounts(k, f, mm, kind) || owns(k, f, mm, kind)) continue;
      a[o + R_OWNER] = f;
      a[o + R_SEQ] = 0;
      moved = true;
      break;
    }
  }
  k.refStoredN = 0;
  if (moved) resort(k);
}

/** References whose owner field no longer holds them go to x's hand (x changed the field). */
function releaseLoose(k: Kernel, x: Ctx): boolean {
  const r = k.refR, a = r.a, h = hand(x);
  let moved = false;
  for (let i = 0; i < r.n / RW; i++) {
    const o = i * RW, ow = a[o + R_OWNER];
    if (ow > 0 && !fieldCounts(k, ow, a[o + R_MM], a[o + R_KIND])) { setOwner(k, i, h); moved = true; }
  }
  if (moved) resort(k);
  return moved;
}

// ---- the oracles ------------------------------------------------------------------------------------

function ownerName(k: Kernel, owner: number): string {
  if (owner > 0) return k.m.nameOf(owner);
  if (owner === OWN_SHARED) return 'mm_users';
  if (owner === OWN_PERM) return 'the kernel';
  if (owner <= OWN_PIN) return `${k.tasks[OWN_PIN - owner]?.name}'s pin`;
  if (owner <= OWN_HELD) return `${k.tasks[OWN_HELD - owner]?.name}'s mmget_not_zero()`;
  if (owner <= OWN_HAND && owner > OWN_HAND_MAX) {
    const x = k.ctxs[OWN_HAND - owner];
    return `cpu${x.cpu}'s ${k.levelName(x.level)} context`;
  }
  return String(owner);
}

/** Leaks at quiescence: references no owner holds. One report per mm, naming where each of its
 *  ownerless references was taken. */
export function leakOracle(k: Kernel) {
  if (!k.refTracking) return;
  const r = k.refR, a = r.a;
  for (const mi of k.mmList()) {
    if (mi.isInit) continue;
    const lost = new Map<string, number>();
    for (let i = 0; i < r.n / RW; i++) {
      const o = i * RW;
      if (a[o + R_MM] !== mi.ref) continue;
      const kind = a[o + R_KIND], ow = a[o + R_OWNER];
      if (ownerHolds(k, mi.ref, kind, ow)) continue;
      const what = `${KIND_NAMES[kind]} reference taken in ${str(a[o + R_SITE])}`;
      lost.set(what, (lost.get(what) ?? 0) + 1);
    }
    // a reference taken outside mmgrab()/mmget() (a plugin's raw atomic) has no row: with no users
    // and no pointer left to the mm, nothing can drop it either
    if (lost.size === 0 && !k.m.dead[mi.ref]) {
      let rows = 0;
      for (let i = 0; i < r.n / RW; i++) if (a[i * RW + R_MM] === mi.ref && a[i * RW + R_KIND] === REF_COUNT) rows++;
      const count = k.peek(mi.ref + L.MM_COUNT);
      if (count > rows && k.peek(mi.ref + L.MM_USERS) === 0 && !pointedTo(k, mi.ref))
        lost.set('mm_count reference taken outside mmgrab() (untracked)', count - rows);
    }
    if (lost.size === 0) continue;
    const refs = [...lost].map(([w, n]) => (n > 1 ? `${w} (x${n})` : w)).join(', ');
    const freed = k.m.dead[mi.ref] ? ' (freed)' : '';
    k.violate('leak', `${mi.name}${freed} leaked: mm_users == ${k.peek(mi.ref + L.MM_USERS)}, mm_count == ${k.peek(mi.ref + L.MM_COUNT)}; no owner holds the ${refs}`, null);
  }
}

/** Does any task, runqueue or MMU still point at mm? (rq->lazy_mm, a hazard pointer, does not
 *  count: it never drops anything) */
function pointedTo(k: Kernel, mm: number): boolean {
  for (let c = 0; c < k.ncpus; c++) {
    const rq = k.rq[c];
    if (k.peek(rq + L.RQ_PREV_MM) === mm || k.peek(rq + L.RQ_DROP_MM) === mm) return true;
    if (k.arch.hwLoadedMm(k, c) === mm) return true;
  }
  for (let i = 0; i < k.taskCount(); i++) {
    const t = k.tasks[i];
    if (t.reaped) continue;
    if (k.peek(t.ref + L.T_ACTIVE_MM) === mm || k.peek(t.ref + L.T_MM) === mm) return true;
  }
  return false;
}

/** Scheduler and MMU pointers to a freed mm (or to the freed pgd of an mm): rq->lazy_mm,
 *  rq->drop_mm, rq->prev_mm, current's and the idle task's active_mm, every live task's mm and
 *  active_mm, the arch's loaded_mm, and the MMU itself (CR3, PID...) of a CPU that is not dead.
 *  Reported once per freed mm, even if nothing ever dereferences the pointer. `x` is the context
 *  of the check (a context switch), null at quiescence. */
export function danglingOracle(k: Kernel, x: Ctx | null) {
  let any = false;
  for (let i = 0, n = k.mmCount(); i < n; i++) {
    const mi = k.mmAt(i);
    if (!mi.isInit && (k.m.dead[mi.ref] || k.m.dead[mi.pgd])) { any = true; break; }
  }
  if (!any) return;
  const mms = k.mmList();
  if (x) k.fpGlobal(); // reads every CPU's scheduler and MMU state
  for (const mi of mms) {
    const mm = mi.ref;
    const mmFreed = k.m.dead[mm] !== 0, pgdFreed = k.m.dead[mi.pgd] !== 0;
    if (mi.isInit || !(mmFreed || pgdFreed)) continue;
    const by: string[] = [];
    if (mmFreed) {
      for (let c = 0; c < k.ncpus; c++) {
        const rq = k.rq[c];
        for (const f of [L.RQ_LAZY_MM, L.RQ_DROP_MM, L.RQ_PREV_MM]) if (k.m.read(c, rq + f) === mm) by.push(k.m.nameOf(rq + f));
        if (k.arch.loadedMm && !k.cpus[c].dead && k.arch.loadedMm(k, c) === mm) by.push(`cpu${c}'s loaded_mm`);
      }
      for (let i = 0; i < k.taskCount(); i++) {
        const t = k.tasks[i];
        if (t.reaped || (t.state === TS_DEAD && k.cpus[t.cpu].curr !== t)) continue;
        const c = t.cpu;
        if (k.m.read(c, t.ref + L.T_ACTIVE_MM) === mm) by.push(k.m.nameOf(t.ref + L.T_ACTIVE_MM));
        if (k.m.read(c, t.ref + L.T_MM) === mm) by.push(k.m.nameOf(t.ref + L.T_MM));
      }
    }
    for (let c = 0; c < k.ncpus; c++) if (!k.cpus[c].dead && k.arch.hwLoadedMm(k, c) === mm) by.push(`cpu${c}'s MMU (CR3/PID)`);
    if (by.length === 0) continue;
    if (!k.once(`dangling ${mi.name}`)) continue;
    const what = mmFreed ? `${mi.name} (freed by ${k.m.objAt(mm)!.freedBy})` : `${mi.name}.pgd (freed by ${k.m.objAt(mi.pgd)!.freedBy})`;
    k.violate('dangling', `${what} is still pointed to by ${by.join(', ')}`, x);
  }
}

/** Test and debugging aid: the references of mm, "kind owner <- site" each. */
export function refsOf(k: Kernel, mm: number): string[] {
  const r = k.refR, a = r.a, out: string[] = [];
  for (let i = 0; i < r.n / RW; i++) {
    const o = i * RW;
    if (a[o + R_MM] !== mm) continue;
    out.push(`${KIND_NAMES[a[o + R_KIND]]} ${ownerName(k, a[o + R_OWNER])} <- ${str(a[o + R_SITE])}`);
  }
  return out;
}

/** Does every live mm's counter equal the references the table tracks? (the test of the
 *  instrumentation: a get or put the table misses shows here) */
export function refsConsistent(k: Kernel): string | null {
  if (!k.refTracking) return null;
  const r = k.refR, a = r.a;
  for (const mi of k.mmList()) {
    if (mi.isInit || k.m.dead[mi.ref]) continue;
    const n = [0, 0];
    for (let i = 0; i < r.n / RW; i++) if (a[i * RW + R_MM] === mi.ref) n[a[i * RW + R_KIND]]++;
    const count = k.m.mem[mi.ref + L.MM_COUNT], users = k.m.mem[mi.ref + L.MM_USERS];
    if (count < 0 || users < 0) continue; // an underflow (the refcount oracle's report): nothing to track
    if (n[REF_COUNT] !== count || n[REF_USERS] !== users)
      return `${mi.name}: mm_count ${count} vs ${n[REF_COUNT]} tracked, mm_users ${users} vs ${n[REF_USERS]} tracked: ${refsOf(k, mi.ref).join('; ')}`;
  }
  return null;
}


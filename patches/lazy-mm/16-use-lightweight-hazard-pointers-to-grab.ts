// lazy-mm/16 "sched: Use lightweight hazard pointers to grab lazy mms"
// Seed: seeds/000_13ce268f039a5445.txt L3762-4242 (diff L3832-4236: include/linux/sched/mm.h,
// kernel/fork.c, kernel/sched/core.c, kernel/sched/sched.h).
// Lazy mms are no longer pinned by mm_count: rq->prev_mm and the lazy mmgrab()/mmdrop() pairs go
// (context_switch, finish_task_switch, __change_current_mm*, unlazy_mm_irqs_off); each CPU publishes
// its lazy mm in the hazard pointer rq->lazy_mm (WRITE_ONCE on user->kernel, smp_store_release of
// NULL on the way out), and __mmput() calls mm_unlazy_mm_count(), which scans
// for_each_possible_lazymm_cpu() (default: online CPUs) and converts every published lazy_mm == mm
// into an mm_count reference parked in rq->drop_mm (batched atomic_add(num_possible_cpus()) /
// atomic_sub), dropped later by the owning CPU's mmdrop_lazy().
//
// Under x86-TSO, smp_store_release is a plain store and smp_load_acquire a plain load; try_cmpxchg,
// cmpxchg, atomic_add and atomic_sub are LOCKed RMWs that drain the store buffer.
import {
  definePatch, fns, frameExt, ptr, int, bool, NEXT, RET, YIELD, YIELD_RET, FUSE, FUSE_RET, CALL,
  again, goTo, callAgain, H, NULL, L,
  refGet, refPut, REF_COUNT,
} from '../../core/model/index.ts';

export const P16 = fns({
  /** static void mmdrop_lazy(struct rq *rq) (rq: the rq's address) */
  mmdrop_lazy: { rq: ptr, old_mm: ptr },
  /** void mm_unlazy_mm_count(struct mm_struct *mm); cpu: the loop's CPU */
  mm_unlazy_mm_count: { mm: ptr, drop_count: int, cpu: int },
  /** static bool __try_mm_drop_rq_ref(struct rq *rq, struct mm_struct *mm) */
  __try_mm_drop_rq_ref: { rq: ptr, mm: ptr, old_drop_mm: ptr, ret: bool },
  /** for_each_possible_lazymm_cpu(cpu, mm), one candidate CPU per call: is `cpu` in the set? */
  for_each_possible_lazymm_cpu: { mm: ptr, cpu: int, in: bool },
});
/** __change_current_mm()'s new local (lazy-mm/14 declares the function) */
export const P16_EXT = frameExt({ __change_current_mm: { was_kernel: bool } });
declare module '../../core/model/fns.ts' {
  interface KernelFns extends Readonly<typeof P16> {}
  interface FrameExts { 'lazy-mm/16': typeof P16_EXT }
  interface KernelSteps {
    'mmdrop_lazy.read_drop_mm': true; 'mmdrop_lazy.try_cmpxchg_relaxed': true; 'mmdrop_lazy.mmdrop': true;
    'for_each_possible_lazymm_cpu.for_each_online_cpu': true;
    '__try_mm_drop_rq_ref.load_drop_mm': true; '__try_mm_drop_rq_ref.try_cmpxchg': true;
    '__try_mm_drop_rq_ref.reload_lazy_mm': true; '__try_mm_drop_rq_ref.cmpxchg': true;
    '__try_mm_drop_rq_ref.mmdrop_old_drop_mm': true;
    'mm_unlazy_mm_count.warn_on_mm_users': true; 'mm_unlazy_mm_count.for_each_possible_lazymm_cpu': true;
    'mm_unlazy_mm_count.atomic_sub': true; '__mmput.mm_unlazy_mm_count': true;
    'context_switch.kasan_check_byte': true; 'context_switch.lazy_mm_grab': true;
    'context_switch.lazy_mm_release': true;
    'finish_task_switch.read_prev_state': true; 'finish_task_switch.mmdrop_lazy': true;
    '__change_current_mm.was_kernel': true; '__change_current_mm.lazy_mm_release': true;
    '__change_current_mm_to_kernel.lazy_mm_grab': true;
    'unlazy_mm_irqs_off.lazy_mm_release': true; 'unlazy_mm_irqs_off.mmdrop_lazy': true;
  }
}

export default definePatch({
  id: 'lazy-mm/16',
  series: 'lazy-mm',
  index: 16,
  title: 'sched: Use lightweight hazard pointers to grab lazy mms',
  requires: ['lazy-mm/02', 'lazy-mm/04', 'lazy-mm/12', 'lazy-mm/14', 'lazy-mm/15'],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L3762-4242 (diff L3832-4236)',
  apply(r, k) {
    // "Lazy mms are no longer pinned by mm_count": a lazy active_mm (and rq->prev_mm, which this
    // patch removes) holds no reference from here on; rq->drop_mm does (ownership.ts).
    k.refRules.lazyActiveMm = false;

    // ---- static void mmdrop_lazy(struct rq *rq)
    //   old_mm = READ_ONCE(rq->drop_mm);
    r.add('mmdrop_lazy', 'read_drop_mm', (k, x, f) => {
      f.old_mm = k.ld(x, f.rq + L.RQ_DROP_MM);
      return YIELD;
    });
    //   do { if (likely(!old_mm || old_mm == rq->lazy_mm)) return; }
    //   while (!try_cmpxchg_relaxed(&rq->drop_mm, &old_mm, NULL));
    // One iteration per event; a failed try_cmpxchg leaves the value it found in f.old_mm and
    // the step runs again (resume point 0) after the scheduling point.
    r.add('mmdrop_lazy', 'try_cmpxchg_relaxed', (k, x, f) => {
      if (f.old_mm === NULL) return RET;
      if (f.old_mm === k.ld(x, f.rq + L.RQ_LAZY_MM)) return FUSE_RET;
      const cur = k.cmpxchg(x, f.rq + L.RQ_DROP_MM, f.old_mm, NULL);
      if (cur === f.old_mm) return YIELD;
      f.old_mm = cur;
      return again(0);
    });
    //   mmdrop(old_mm);
    r.add('mmdrop_lazy', 'mmdrop', (k, x, f) => {
      k.count('lazy_mm_deferred_drops');
      k.call(x, H.mmdrop).mm = f.old_mm;
      return CALL;
    });

    // ---- #ifndef for_each_possible_lazymm_cpu
    //      #define for_each_possible_lazymm_cpu(cpu, mm) for_each_online_cpu((cpu))
    // The iterator, one candidate CPU per call: is `cpu` in the set?
    r.add('for_each_possible_lazymm_cpu', 'for_each_online_cpu', (k, x, f) => {
      f.in = k.ld(x, k.online + f.cpu) !== 0;
      return YIELD;
    });

    // ---- static bool __try_mm_drop_rq_ref(struct rq *rq, struct mm_struct *mm)
    //   struct mm_struct *old_drop_mm = smp_load_acquire(&rq->drop_mm);
    //   WARN_ON_ONCE(old_drop_mm == mm);
    r.add('__try_mm_drop_rq_ref', 'load_drop_mm', (k, x, f) => {
      f.old_drop_mm = k.ld(x, f.rq + L.RQ_DROP_MM);
      k.warn(x, f.old_drop_mm === f.mm, 'WARN_ON_ONCE(old_drop_mm == mm) in __try_mm_drop_rq_ref');
      return YIELD;
    });
    //   if (!old_drop_mm) return try_cmpxchg(&rq->drop_mm, &old_drop_mm, mm);
    r.add('__try_mm_drop_rq_ref', 'try_cmpxchg', (k, x, f) => {
      if (f.old_drop_mm !== NULL) return NEXT;
      f.ret = k.cmpxchg(x, f.rq + L.RQ_DROP_MM, NULL, f.mm) === NULL;
      k.count(f.ret ? 'lazy_mm_parked' : 'lazy_mm_cmpxchg_retries');
      return YIELD_RET;
    });
    //   "NB: it is critical that we load rq->lazy_mm again after loading drop_mm."
    //   if (smp_load_acquire(&rq->lazy_mm) != mm) { mmdrop(mm); return true; }  /* "We got lucky!" */
    // Resume points: 1 after the read (it is not mm), 2 after mmdrop(mm).
    r.add('__try_mm_drop_rq_ref', 'reload_lazy_mm', (k, x, f, pc) => {
      switch (pc) {
        case 0:
          return k.ld(x, f.rq + L.RQ_LAZY_MM) === f.mm ? YIELD : again(1);
        case 1:
          k.count('lazy_mm_lucky');
          k.call(x, H.mmdrop).mm = f.mm;
          return callAgain(2);
        default:
          f.ret = true;
          return RET;
      }
    });
    //   if (cmpxchg(&rq->drop_mm, old_drop_mm, mm) != old_drop_mm) return false;
    // Resume point 1: after a failed cmpxchg.
    r.add('__try_mm_drop_rq_ref', 'cmpxchg', (k, x, f, pc) => {
      if (pc === 1) {
        k.count('lazy_mm_cmpxchg_retries');
        f.ret = false;
        return RET;
      }
      return k.cmpxchg(x, f.rq + L.RQ_DROP_MM, f.old_drop_mm, f.mm) === f.old_drop_mm ? YIELD : again(1);
    });
    //   mmdrop(old_drop_mm); return true;  /* steal the rq's reference to old_drop_mm */
    // Resume point 1: after mmdrop(old_drop_mm).
    r.add('__try_mm_drop_rq_ref', 'mmdrop_old_drop_mm', (k, x, f, pc) => {
      if (pc === 1) {
        f.ret = true;
        return NEXT;
      }
      k.count('lazy_mm_steals');
      k.call(x, H.mmdrop).mm = f.old_drop_mm;
      return callAgain(1);
    });

    // ---- void mm_unlazy_mm_count(struct mm_struct *mm)
    //   "mm_users is zero, so no cpu will set its rq->lazy_mm to mm."
    r.add('mm_unlazy_mm_count', 'warn_on_mm_users', (k, x, f) => {
      const users = k.ld(x, f.mm + L.MM_USERS);
      k.warn(x, users !== 0, `WARN_ON_ONCE(atomic_read(&mm->mm_users) != 0) in mm_unlazy_mm_count (${users})`);
      f.drop_count = 0;
      return YIELD;
    });
    //   for_each_possible_lazymm_cpu(cpu, mm) {
    //       if (smp_load_acquire(&rq->lazy_mm) != mm) continue;
    //       if (!drop_count) { drop_count = num_possible_cpus(); atomic_add(drop_count, &mm->mm_count); }
    //       drop_count--;
    //       while (!__try_mm_drop_rq_ref(rq, mm)) ;
    //   }
    // The loop's CPU is f.cpu. Resume points: 0 the next CPU, 1 the iterator has returned, 2 after
    // reading rq->lazy_mm (it is mm), 3 drop_count is set, 4 __try_mm_drop_rq_ref() has returned.
    r.add('mm_unlazy_mm_count', 'for_each_possible_lazymm_cpu', (k, x, f, pc) => {
      switch (pc) {
        case 0: {
          if (f.cpu >= k.ncpus) return NEXT;
          const it = k.call(x, H.for_each_possible_lazymm_cpu);
          it.mm = f.mm;
          it.cpu = f.cpu;
          return callAgain(1);
        }
        case 1:
          if (!k.ret(x, H.for_each_possible_lazymm_cpu).in) { f.cpu++; return goTo(0); }
          k.count('lazy_mm_scan_cpus');
          if (k.ld(x, k.rq[f.cpu] + L.RQ_LAZY_MM) === f.mm) return again(2);
          f.cpu++;
          return again(0);
        case 2:
          k.count('lazy_mm_scan_matches');
          if (f.drop_count) return goTo(3);
          f.drop_count = k.ncpus; // num_possible_cpus()
          k.atomicAdd(x, f.mm + L.MM_COUNT, f.drop_count, 'atomic_add');
          refGet(k, x, f.mm, REF_COUNT, f.drop_count); // the batch, in this function's hands
          k.count('mm_count_rmw');
          return again(3);
        case 3: {
          f.drop_count--;
          const t = k.call(x, H.__try_mm_drop_rq_ref);
          t.rq = k.rq[f.cpu];
          t.mm = f.mm;
          return callAgain(4);
        }
        default: {
          if (k.ret(x, H.__try_mm_drop_rq_ref).ret) { f.cpu++; return goTo(0); }
          const t = k.call(x, H.__try_mm_drop_rq_ref);
          t.rq = k.rq[f.cpu];
          t.mm = f.mm;
          return callAgain(4);
        }
      }
    });
    //   atomic_sub(drop_count, &mm->mm_count);  (unconditional, even when drop_count == 0)
    r.add('mm_unlazy_mm_count', 'atomic_sub', (k, x, f) => {
      k.atomicAdd(x, f.mm + L.MM_COUNT, -f.drop_count, 'atomic_sub');
      refPut(k, x, f.mm, REF_COUNT, f.drop_count);
      k.count('mm_count_rmw');
      return YIELD;
    });

    // ---- kernel/fork.c __mmput(): "... Do this after exit_mmap() ..."  mm_unlazy_mm_count(mm); mmdrop(mm);
    r.add('__mmput', 'mm_unlazy_mm_count', (k, x, f) => {
      k.call(x, H.mm_unlazy_mm_count).mm = f.mm;
      return CALL;
    }, { before: 'mmdrop' });

    // ---- context_switch()
    // arch_start_context_switch(prev); kasan_check_byte(prev->active_mm);
    // "Sanity check: if something went wrong and the previous mm was freed while we were still
    //  using it, KASAN might not notice without help."
    r.add('context_switch', 'kasan_check_byte', (k, x, f) => {
      if (f.prev_active_mm === NULL) return NEXT;
      k.ld(x, f.prev_active_mm);
      return YIELD;
    }, { after: 'prepare_task_switch' });
    // user -> kernel: "lazy + lazy_mm grab active" (was mmgrab(prev->active_mm))
    //   SCHED_WARN_ON(rq->lazy_mm); WRITE_ONCE(rq->lazy_mm, next->active_mm);
    //   "No explicit barrier needed: we still hold an explicit (mm_users) reference."
    r.replace('context_switch', 'mmgrab_lazy', (k, x, f) => {
      if (f.next_mm !== NULL || f.prev_mm === NULL) return NEXT;
      const rq = k.rq[x.cpu];
      k.warn(x, k.ld(x, rq + L.RQ_LAZY_MM) !== NULL, 'SCHED_WARN_ON(rq->lazy_mm) in context_switch');
      k.st(x, rq + L.RQ_LAZY_MM, k.ld(x, f.next + L.T_ACTIVE_MM));
      return YIELD;
    }, 'lazy_mm_grab');
    // kernel -> user: "lazy_mm release active" (was rq->prev_mm = prev->active_mm)
    //   prev->active_mm = NULL; smp_store_release(&rq->lazy_mm, NULL);
    r.replace('context_switch', 'rq_prev_mm', (k, x, f) => {
      if (f.next_mm === NULL || f.prev_mm !== NULL) return NEXT;
      k.st(x, f.prev + L.T_ACTIVE_MM, NULL);
      k.st(x, k.rq[x.cpu] + L.RQ_LAZY_MM, NULL);
      return YIELD;
    }, 'lazy_mm_release');

    // ---- finish_task_switch(): `mm = rq->prev_mm; rq->prev_mm = NULL;` and `if (mm) mmdrop(mm);`
    // go; mmdrop_lazy(rq) takes the mmdrop's place. (prev_state = READ_ONCE(prev->__state) stays.)
    r.replace('finish_task_switch', 'take_prev_mm', (k, _x, f) => {
      f.prev_state = k.task(f.prev).state;
      return NEXT;
    }, 'read_prev_state');
    r.replace('finish_task_switch', 'mmdrop_prev_mm', (k, x) => {
      k.call(x, H.mmdrop_lazy).rq = k.rq[x.cpu];
      return CALL;
    }, 'mmdrop_lazy');

    // ---- __change_current_mm(): `mm_to_drop = tsk->active_mm` becomes `was_kernel = true`;
    // `if (was_kernel) smp_store_release(&this_rq()->lazy_mm, NULL);` before task_unlock();
    // the trailing mmdrop(mm_to_drop) goes.
    r.replace('__change_current_mm', 'mm_to_drop', (k, x, f) => {
      f.was_kernel = k.ld(x, f.tsk + L.T_MM) === NULL;
      return FUSE;
    }, 'was_kernel');
    r.add('__change_current_mm', 'lazy_mm_release', (k, x, f) => {
      if (!f.was_kernel) return NEXT;
      k.st(x, k.rq[x.cpu] + L.RQ_LAZY_MM, NULL);
      return YIELD;
    }, { after: 'vmacache_flush' });
    r.remove('__change_current_mm', 'mmdrop_mm_to_drop');

    // ---- __change_current_mm_to_kernel(): mmgrab(old_mm) becomes
    //   WRITE_ONCE(this_rq()->lazy_mm, old_mm);  "As in context_switch(), no explicit barrier needed"
    r.replace('__change_current_mm_to_kernel', 'mmgrab', (k, x, f) => {
      k.st(x, k.rq[x.cpu] + L.RQ_LAZY_MM, f.old_mm);
      return YIELD;
    }, 'lazy_mm_grab');

    // ---- unlazy_mm_irqs_off() (added by lazy-mm/12):
    //   switch_mm_irqs_off(mm, &init_mm, current);
    // - mmgrab(&init_mm);
    //   current->active_mm = &init_mm;
    // + smp_store_release(&rq->lazy_mm, NULL);   "We don't need a lazy reference to init_mm"
    //   finish_arch_post_lock_switch();
    // - mmdrop(mm);
    // + mmdrop_lazy(rq);
    r.remove('unlazy_mm_irqs_off', 'mmgrab_init_mm');
    r.add('unlazy_mm_irqs_off', 'lazy_mm_release', (k, x) => {
      k.st(x, k.rq[x.cpu] + L.RQ_LAZY_MM, NULL);
      return YIELD;
    }, { after: 'set_active_mm' });
    r.replace('unlazy_mm_irqs_off', 'mmdrop', (k, x) => {
      k.call(x, H.mmdrop_lazy).rq = k.rq[x.cpu];
      return CALL;
    }, 'mmdrop_lazy');
  },
});

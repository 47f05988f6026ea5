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
import { definePatch } from '../../core/series/types.ts';
import { defineHooks } from '../../core/hooks.ts';
import { H, NULL } from '../../core/kernel.ts';
import * as L from '../../core/layout.ts';

defineHooks(['mmdrop_lazy', 'mm_unlazy_mm_count', '__try_mm_drop_rq_ref', 'for_each_possible_lazymm_cpu']);

export default definePatch({
  id: 'lazy-mm/16',
  series: 'lazy-mm',
  index: 16,
  title: 'sched: Use lightweight hazard pointers to grab lazy mms',
  requires: ['lazy-mm/02', 'lazy-mm/04', 'lazy-mm/12', 'lazy-mm/14', 'lazy-mm/15'],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L3762-4242 (diff L3832-4236)',
  apply(r) {
    // ---- static void mmdrop_lazy(struct rq *rq); frame { rq } (the rq's address)
    //   old_mm = READ_ONCE(rq->drop_mm);
    r.add('mmdrop_lazy', 'read_drop_mm', function* (k, x, f) {
      f.old_mm = k.ld(x, f.rq + L.RQ_DROP_MM);
      yield 0;
    });
    //   do { if (likely(!old_mm || old_mm == rq->lazy_mm)) return; }
    //   while (!try_cmpxchg_relaxed(&rq->drop_mm, &old_mm, NULL));
    r.add('mmdrop_lazy', 'try_cmpxchg_relaxed', function* (k, x, f) {
      for (;;) {
        if (f.old_mm === NULL || f.old_mm === k.ld(x, f.rq + L.RQ_LAZY_MM)) { f.ret_early = true; return; }
        const cur = k.cmpxchg(x, f.rq + L.RQ_DROP_MM, f.old_mm, NULL);
        yield 0;
        if (cur === f.old_mm) break;
        f.old_mm = cur;
      }
    });
    //   mmdrop(old_mm);
    r.add('mmdrop_lazy', 'mmdrop', function* (k, _x, f) {
      k.count('lazy_mm_deferred_drops');
      yield k.invoke(H.mmdrop, { mm: f.old_mm });
    });

    // ---- #ifndef for_each_possible_lazymm_cpu
    //      #define for_each_possible_lazymm_cpu(cpu, mm) for_each_online_cpu((cpu))
    // The iterator, one candidate CPU per call (frame { mm, cpu, in }): is `cpu` in the set?
    r.add('for_each_possible_lazymm_cpu', 'for_each_online_cpu', function* (k, x, f) {
      f.in = k.ld(x, k.online + f.cpu) !== 0;
      yield 0;
    });

    // ---- static bool __try_mm_drop_rq_ref(struct rq *rq, struct mm_struct *mm); frame { rq, mm, ret }
    //   struct mm_struct *old_drop_mm = smp_load_acquire(&rq->drop_mm);
    //   WARN_ON_ONCE(old_drop_mm == mm);
    r.add('__try_mm_drop_rq_ref', 'load_drop_mm', function* (k, x, f) {
      f.old_drop_mm = k.ld(x, f.rq + L.RQ_DROP_MM);
      k.warn(x, f.old_drop_mm === f.mm, 'WARN_ON_ONCE(old_drop_mm == mm) in __try_mm_drop_rq_ref');
      yield 0;
    });
    //   if (!old_drop_mm) return try_cmpxchg(&rq->drop_mm, &old_drop_mm, mm);
    r.add('__try_mm_drop_rq_ref', 'try_cmpxchg', function* (k, x, f) {
      if (f.old_drop_mm !== NULL) return;
      f.ret = k.cmpxchg(x, f.rq + L.RQ_DROP_MM, NULL, f.mm) === NULL;
      k.count(f.ret ? 'lazy_mm_parked' : 'lazy_mm_cmpxchg_retries');
      f.ret_early = true;
      yield 0;
    });
    //   "NB: it is critical that we load rq->lazy_mm again after loading drop_mm."
    //   if (smp_load_acquire(&rq->lazy_mm) != mm) { mmdrop(mm); return true; }  /* "We got lucky!" */
    r.add('__try_mm_drop_rq_ref', 'reload_lazy_mm', function* (k, x, f) {
      const lazy = k.ld(x, f.rq + L.RQ_LAZY_MM);
      yield 0;
      if (lazy === f.mm) return;
      k.count('lazy_mm_lucky');
      yield k.invoke(H.mmdrop, { mm: f.mm });
      f.ret = true;
      f.ret_early = true;
    });
    //   if (cmpxchg(&rq->drop_mm, old_drop_mm, mm) != old_drop_mm) return false;
    r.add('__try_mm_drop_rq_ref', 'cmpxchg', function* (k, x, f) {
      const cur = k.cmpxchg(x, f.rq + L.RQ_DROP_MM, f.old_drop_mm, f.mm);
      yield 0;
      if (cur !== f.old_drop_mm) { k.count('lazy_mm_cmpxchg_retries'); f.ret = false; f.ret_early = true; }
    });
    //   mmdrop(old_drop_mm); return true;  /* steal the rq's reference to old_drop_mm */
    r.add('__try_mm_drop_rq_ref', 'mmdrop_old_drop_mm', function* (k, _x, f) {
      k.count('lazy_mm_steals');
      yield k.invoke(H.mmdrop, { mm: f.old_drop_mm });
      f.ret = true;
    });

    // ---- void mm_unlazy_mm_count(struct mm_struct *mm); frame { mm }
    //   "mm_users is zero, so no cpu will set its rq->lazy_mm to mm."
    r.add('mm_unlazy_mm_count', 'warn_on_mm_users', function* (k, x, f) {
      const users = k.ld(x, f.mm + L.MM_USERS);
      k.warn(x, users !== 0, `WARN_ON_ONCE(atomic_read(&mm->mm_users) != 0) in mm_unlazy_mm_count (${users})`);
      f.drop_count = 0;
      yield 0;
    });
    //   for_each_possible_lazymm_cpu(cpu, mm) {
    //       if (smp_load_acquire(&rq->lazy_mm) != mm) continue;
    //       if (!drop_count) { drop_count = num_possible_cpus(); atomic_add(drop_count, &mm->mm_count); }
    //       drop_count--;
    //       while (!__try_mm_drop_rq_ref(rq, mm)) ;
    //   }
    r.add('mm_unlazy_mm_count', 'for_each_possible_lazymm_cpu', function* (k, x, f) {
      for (let c = 0; c < k.ncpus; c++) {
        const it = { mm: f.mm, cpu: c, in: false };
        yield k.invoke(H.for_each_possible_lazymm_cpu, it);
        if (!it.in) continue;
        k.count('lazy_mm_scan_cpus');
        const rq = k.rq[c];
        const lazy = k.ld(x, rq + L.RQ_LAZY_MM);
        yield 0;
        if (lazy !== f.mm) continue;
        k.count('lazy_mm_scan_matches');
        if (!f.drop_count) {
          f.drop_count = k.ncpus; // num_possible_cpus()
          k.atomicAdd(x, f.mm + L.MM_COUNT, f.drop_count, 'atomic_add');
          k.count('mm_count_rmw');
          yield 0;
        }
        f.drop_count--;
        for (;;) {
          const t = { rq, mm: f.mm, ret: false };
          yield k.invoke(H.__try_mm_drop_rq_ref, t);
          if (t.ret) break;
        }
      }
    });
    //   atomic_sub(drop_count, &mm->mm_count);  (unconditional, even when drop_count == 0)
    r.add('mm_unlazy_mm_count', 'atomic_sub', function* (k, x, f) {
      k.atomicAdd(x, f.mm + L.MM_COUNT, -f.drop_count, 'atomic_sub');
      k.count('mm_count_rmw');
      yield 0;
    });

    // ---- kernel/fork.c __mmput(): "... Do this after exit_mmap() ..."  mm_unlazy_mm_count(mm); mmdrop(mm);
    r.add('__mmput', 'mm_unlazy_mm_count', function* (k, _x, f) {
      yield k.invoke(H.mm_unlazy_mm_count, { mm: f.mm });
    }, { before: 'mmdrop' });

    // ---- context_switch()
    // arch_start_context_switch(prev); kasan_check_byte(prev->active_mm);
    // "Sanity check: if something went wrong and the previous mm was freed while we were still
    //  using it, KASAN might not notice without help."
    r.add('context_switch', 'kasan_check_byte', function* (k, x, f) {
      if (f.prev_active_mm === NULL) return;
      k.ld(x, f.prev_active_mm);
      yield 0;
    }, { after: 'prepare_task_switch' });
    // user -> kernel: "lazy + lazy_mm grab active" (was mmgrab(prev->active_mm))
    //   SCHED_WARN_ON(rq->lazy_mm); WRITE_ONCE(rq->lazy_mm, next->active_mm);
    //   "No explicit barrier needed: we still hold an explicit (mm_users) reference."
    r.replace('context_switch', 'mmgrab_lazy', function* (k, x, f) {
      if (f.next_mm !== NULL || f.prev_mm === NULL) return;
      const rq = k.rq[x.cpu];
      k.warn(x, k.ld(x, rq + L.RQ_LAZY_MM) !== NULL, 'SCHED_WARN_ON(rq->lazy_mm) in context_switch');
      k.st(x, rq + L.RQ_LAZY_MM, k.ld(x, f.next.ref + L.T_ACTIVE_MM));
      yield 0;
    }, 'lazy_mm_grab');
    // kernel -> user: "lazy_mm release active" (was rq->prev_mm = prev->active_mm)
    //   prev->active_mm = NULL; smp_store_release(&rq->lazy_mm, NULL);
    r.replace('context_switch', 'rq_prev_mm', function* (k, x, f) {
      if (f.next_mm === NULL || f.prev_mm !== NULL) return;
      k.st(x, f.prev.ref + L.T_ACTIVE_MM, NULL);
      k.st(x, k.rq[x.cpu] + L.RQ_LAZY_MM, NULL);
      yield 0;
    }, 'lazy_mm_release');

    // ---- finish_task_switch(): `mm = rq->prev_mm; rq->prev_mm = NULL;` and `if (mm) mmdrop(mm);`
    // go; mmdrop_lazy(rq) takes the mmdrop's place. (prev_state = READ_ONCE(prev->__state) stays.)
    r.replace('finish_task_switch', 'take_prev_mm', (_k, _x, f) => {
      f.prev_state = f.prev.state;
    }, 'read_prev_state');
    r.replace('finish_task_switch', 'mmdrop_prev_mm', function* (k, x) {
      yield k.invoke(H.mmdrop_lazy, { rq: k.rq[x.cpu] });
    }, 'mmdrop_lazy');

    // ---- __change_current_mm(): `mm_to_drop = tsk->active_mm` becomes `was_kernel = true`;
    // `if (was_kernel) smp_store_release(&this_rq()->lazy_mm, NULL);` before task_unlock();
    // the trailing mmdrop(mm_to_drop) goes.
    r.replace('__change_current_mm', 'mm_to_drop', (k, x, f) => {
      f.was_kernel = k.ld(x, f.tsk.ref + L.T_MM) === NULL;
    }, 'was_kernel');
    r.add('__change_current_mm', 'lazy_mm_release', function* (k, x, f) {
      if (!f.was_kernel) return;
      k.st(x, k.rq[x.cpu] + L.RQ_LAZY_MM, NULL);
      yield 0;
    }, { after: 'vmacache_flush' });
    r.remove('__change_current_mm', 'mmdrop_mm_to_drop');

    // ---- __change_current_mm_to_kernel(): mmgrab(old_mm) becomes
    //   WRITE_ONCE(this_rq()->lazy_mm, old_mm);  "As in context_switch(), no explicit barrier needed"
    r.replace('__change_current_mm_to_kernel', 'mmgrab', function* (k, x, f) {
      k.st(x, k.rq[x.cpu] + L.RQ_LAZY_MM, f.old_mm);
      yield 0;
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
    r.add('unlazy_mm_irqs_off', 'lazy_mm_release', function* (k, x) {
      k.st(x, k.rq[x.cpu] + L.RQ_LAZY_MM, NULL);
      yield 0;
    }, { after: 'set_active_mm' });
    r.replace('unlazy_mm_irqs_off', 'mmdrop', function* (k, x) {
      yield k.invoke(H.mmdrop_lazy, { rq: k.rq[x.cpu] });
    }, 'mmdrop_lazy');
  },
});

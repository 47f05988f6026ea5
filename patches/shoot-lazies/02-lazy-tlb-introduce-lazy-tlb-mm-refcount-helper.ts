// shoot-lazies/02 "lazy tlb: introduce lazy tlb mm refcount helper functions" — mainline
// aa464ba9a1e4 (anchors-upstream.md §1; the seeds carry no diff: v7 2/5,
// 20230203071837.1136453-3-npiggin@gmail.com).
// Every lazy active_mm reference goes through mmgrab_lazy_tlb()/mmdrop_lazy_tlb[_sched](), which
// still are mmgrab()/mmdrop(); kthread_unuse_mm() turns its real reference into a lazy one
// (mmgrab_lazy_tlb + mmdrop), so the two kinds can diverge in 03.
import { definePatch, NEXT, YIELD, CALL, again, callAgain, H, NULL, L } from '../../core/model/index.ts';
import { switchLazyToInitMm } from '../../arches/powerpc.ts';
import { isPpcBook3s64 } from './kconfig.ts';

export default definePatch({
  id: 'shoot-lazies/02',
  series: 'shoot-lazies',
  index: 2,
  title: 'lazy tlb: introduce lazy tlb mm refcount helper functions',
  requires: ['shoot-lazies/01'],
  effect: 'behaviour',
  seed: 'anchors-upstream.md §1: aa464ba9a1e4 (no diff in the seeds)',
  apply(r, k) {
    // /* Helpers for lazy TLB mm refcounting */ include/linux/sched/mm.h
    r.add('mmgrab_lazy_tlb', 'mmgrab', (k, x, f) => { k.call(x, H.mmgrab).mm = f.mm; return CALL; });
    r.add('mmdrop_lazy_tlb', 'mmdrop', (k, x, f) => { k.call(x, H.mmdrop).mm = f.mm; return CALL; });
    r.add('mmdrop_lazy_tlb_sched', 'mmdrop_sched', (k, x, f) => { k.call(x, H.mmdrop).mm = f.mm; return CALL; });

    // context_switch():  user -> kernel   lazy + mmgrab_lazy_tlb() active
    r.replace('context_switch', 'mmgrab_lazy', (k, x, f) => {
      if (f.next_mm !== NULL || f.prev_mm === NULL) return NEXT;
      k.call(x, H.mmgrab_lazy_tlb).mm = f.prev_active_mm;
      return CALL;
    });
    // finish_task_switch(): mmdrop_sched(mm) -> mmdrop_lazy_tlb_sched(mm)
    r.replace('finish_task_switch', 'mmdrop_prev_mm', (k, x, f) => {
      if (f.mm === NULL) return NEXT;
      k.call(x, H.mmdrop_lazy_tlb_sched).mm = f.mm;
      return CALL;
    });
    // exit_mm(): mmgrab(mm) -> mmgrab_lazy_tlb(mm)
    r.replace('exit_mm', 'mmgrab', (k, x, f) => {
      k.call(x, H.mmgrab_lazy_tlb).mm = f.mm;
      return CALL;
    }, 'mmgrab_lazy_tlb');
    // exec_mmap(): mmdrop(active_mm) -> mmdrop_lazy_tlb(active_mm)
    r.replace('exec_mmap', 'mmdrop_active_mm', (k, x, f) => {
      k.call(x, H.mmdrop_lazy_tlb).mm = f.active_mm;
      return CALL;
    });
    // finish_cpu(): mmdrop(mm) -> mmdrop_lazy_tlb(mm)
    // Resume point 1: after reading (and resetting) the idle task's active_mm.
    r.replace('finish_cpu', 'mmdrop_idle_active_mm', (k, x, f, pc) => {
      if (pc === 1) {
        k.call(x, H.mmdrop_lazy_tlb).mm = f.mm;
        return CALL;
      }
      const idle = k.cpus[f.cpu].idle.ref;
      f.mm = k.ld(x, idle + L.T_ACTIVE_MM);
      if (f.mm !== k.init_mm) k.st(x, idle + L.T_ACTIVE_MM, k.init_mm);
      return again(1);
    });
    // arch/powerpc/kernel/smp.c start_secondary(): mmgrab(&init_mm) -> mmgrab_lazy_tlb(&init_mm)
    // (x86's cpu_init() is not converted by the patch and keeps mmgrab()).
    // Resume point 1: after mmgrab_lazy_tlb(&init_mm).
    if (isPpcBook3s64(k.arch) && r.has('start_secondary', 'mmgrab_init_mm')) {
      r.replace('start_secondary', 'mmgrab_init_mm', (k, x, _f, pc) => {
        const cpu = k.cpus[x.cpu];
        if (pc === 1) {
          k.st(x, cpu.idle.ref + L.T_ACTIVE_MM, k.init_mm);
          k.warn(x, k.view(x.cpu, cpu.idle.ref + L.T_MM) !== 0, 'BUG_ON(current->mm) in cpu_init');
          return YIELD;
        }
        cpu.dead = false;
        cpu.dying = false;
        cpu.rcuWatching = true;
        k.call(x, H.mmgrab_lazy_tlb).mm = k.init_mm;
        return callAgain(1);
      }, 'mmgrab_lazy_tlb_init_mm');
    }
    // arch/powerpc/mm/book3s64/radix_tlb.c exit_lazy_flush_tlb(): "Is a kernel thread and is
    // using mm as the lazy tlb": mmgrab(&init_mm) -> mmgrab_lazy_tlb(&init_mm), mmdrop(mm) ->
    // mmdrop_lazy_tlb(mm) (the step of arches/powerpc.ts, with the two calls converted).
    if (r.has('exit_lazy_flush_tlb', 'switch_lazy_to_init_mm')) {
      r.replace('exit_lazy_flush_tlb', 'switch_lazy_to_init_mm', switchLazyToInitMm(H.mmgrab_lazy_tlb, H.mmdrop_lazy_tlb));
    }
    // kthread_use_mm(): "we must still mmgrab(mm) and mmdrop_lazy_tlb(active_mm), because these
    // references are not equivalent."
    r.replace('kthread_use_mm', 'mmdrop_active_mm', (k, x, f) => {
      k.call(x, H.mmdrop_lazy_tlb).mm = f.active_mm;
      return CALL;
    });
    // kthread_unuse_mm(): + mmgrab_lazy_tlb(mm); /* active_mm is still 'mm' */ ... + mmdrop(mm);
    r.add('kthread_unuse_mm', 'mmgrab_lazy_tlb', (k, x, f) => {
      k.call(x, H.mmgrab_lazy_tlb).mm = f.mm;
      return CALL;
    }, { before: 'enter_lazy_tlb' });
    r.add('kthread_unuse_mm', 'mmdrop', (k, x, f) => {
      k.call(x, H.mmdrop).mm = f.mm;
      return CALL;
    }, { after: 'task_unlock' });
  },
});

// shoot-lazies/04 "lazy tlb: shoot lazies, non-refcounting lazy tlb mm reference handling
// scheme" — mainline 2655421ae69f (anchors-upstream.md §1, "Current upstream cleanup_lazy_tlbs()";
// v7 4/5, 20230203071837.1136453-5-npiggin@gmail.com; seed 000 L6019-6021 is Andy's KASAN
// objection to flipping it on for x86, L6534-6600 and L7374-7446 Nick's case for it).
// __mmdrop() first calls cleanup_lazy_tlbs(): with CONFIG_MMU_LAZY_TLB_SHOOTDOWN (--set, an arch
// selects it) it IPIs every CPU in mm_cpumask and each one whose current->active_mm is the mm
// switches to init_mm; CONFIG_DEBUG_VM_SHOOT_LAZIES then IPIs every CPU to WARN on a leftover.
import { definePatch, NEXT, YIELD, CALL, again, H, NULL, L } from '../../core/model/index.ts';
import { lazyTlb } from './kconfig.ts';

export default definePatch({
  id: 'shoot-lazies/04',
  series: 'shoot-lazies',
  index: 4,
  title: 'lazy tlb: shoot lazies, non-refcounting lazy tlb mm reference handling scheme',
  requires: ['shoot-lazies/03'],
  effect: 'behaviour',
  seed: 'seeds/000_13ce268f039a5445.txt L6019-6021, L6534-6600, L7374-7446 (discussion); anchors-upstream.md §1: 2655421ae69f',
  apply(r) {
    // static void cleanup_lazy_tlbs(struct mm_struct *mm)
    // Resume point 1: after reading mm_cpumask (and cpu_online_mask).
    r.add('cleanup_lazy_tlbs', 'on_each_cpu_mask', (k, x, f, pc) => {
      if (pc === 0) {
        // "In this case, lazy tlb mms are refounted and would not reach __mmdrop until all CPUs
        //  have switched away and mmdrop()ed."
        if (!lazyTlb(k).shootdown) return NEXT;
        // on_each_cpu_mask(mm_cpumask(mm), do_shoot_lazy_tlb, (void *)mm, 1);
        const mask: number[] = [];
        for (let c = 0; c < k.ncpus; c++) {
          if (k.ld(x, f.mm + L.MM_CPUMASK + c) && k.ld(x, k.online + c)) mask.push(c);
        }
        f.mask = mask;
        return again(1);
      }
      if (k.tracing) k.tr(x, `shoot lazies of ${k.name(f.mm)}: mm_cpumask = {${f.mask.map((c) => `cpu${c}`).join(',')}}`);
      const c = k.call(x, H.on_each_cpu_mask);
      c.mask = f.mask;
      c.fn = H.do_shoot_lazy_tlb;
      c.purpose = 'shoot_lazies';
      k.ipiArgs(c, H.do_shoot_lazy_tlb).mm = f.mm;
      return CALL;
    });
    // if (IS_ENABLED(CONFIG_DEBUG_VM_SHOOT_LAZIES)) on_each_cpu(do_check_lazy_tlb, (void *)mm, 1);
    // Resume point 1: after reading cpu_online_mask.
    r.add('cleanup_lazy_tlbs', 'debug_vm_shoot_lazies', (k, x, f, pc) => {
      if (pc === 0) {
        if (!lazyTlb(k).debugShootLazies) return NEXT;
        const all: number[] = [];
        for (let c = 0; c < k.ncpus; c++) if (k.ld(x, k.online + c)) all.push(c);
        f.online = all;
        return again(1);
      }
      const c = k.call(x, H.on_each_cpu_mask);
      c.mask = f.online;
      c.fn = H.do_check_lazy_tlb;
      c.purpose = 'check_lazy_tlb';
      k.ipiArgs(c, H.do_check_lazy_tlb).mm = f.mm;
      return CALL;
    });

    // static void do_shoot_lazy_tlb(void *arg)
    //   if (current->active_mm == mm) { WARN_ON_ONCE(current->mm);
    //     current->active_mm = &init_mm; switch_mm(mm, &init_mm, current); }
    // Resume points: 1 after reading current->active_mm, 2 after the active_mm store.
    r.add('do_shoot_lazy_tlb', 'switch_to_init_mm', (k, x, f, pc) => {
      switch (pc) {
        case 0: // entry
          f.cur = k.cpus[x.cpu].curr.ref;
          f.active_mm = k.ld(x, f.cur + L.T_ACTIVE_MM);
          return again(1);
        case 1: // after reading current->active_mm
          if (f.active_mm !== f.mm) return NEXT;
          k.warn(x, k.ld(x, f.cur + L.T_MM) !== NULL, `WARN_ON_ONCE(current->mm) in do_shoot_lazy_tlb (${k.task(f.cur).name})`);
          k.st(x, f.cur + L.T_ACTIVE_MM, k.init_mm);
          k.count('lazy_tlb_shootdowns');
          return again(2);
        default: { // 2: after current->active_mm = &init_mm
          const c = k.call(x, H.switch_mm);
          c.prev = f.mm;
          c.next = k.init_mm;
          c.tsk = f.cur;
          return CALL;
        }
      }
    });
    // static void do_check_lazy_tlb(void *arg): WARN_ON_ONCE(current->active_mm == mm);
    r.add('do_check_lazy_tlb', 'check', (k, x, f) => {
      const cur = k.cpus[x.cpu].curr;
      k.warn(x, k.ld(x, cur.ref + L.T_ACTIVE_MM) === f.mm, `WARN_ON_ONCE(current->active_mm == mm) in do_check_lazy_tlb: ${cur.name} on cpu${x.cpu} still lazy on ${k.name(f.mm)}`);
      return YIELD;
    });

    // void __mmdrop(struct mm_struct *mm)
    //   BUG_ON(mm == &init_mm); WARN_ON_ONCE(mm == current->mm);
    //   /* Ensure no CPUs are using this as their lazy tlb mm */
    //   cleanup_lazy_tlbs(mm);
    //   WARN_ON_ONCE(mm == current->active_mm);
    // The model's sanity_checks step holds all three checks; running cleanup_lazy_tlbs before
    // it keeps the active_mm WARN after the shootdown (the other two read nothing it changes).
    r.add('__mmdrop', 'cleanup_lazy_tlbs', (k, x, f) => {
      k.call(x, H.cleanup_lazy_tlbs).mm = f.mm;
      return CALL;
    }, { before: 'sanity_checks' });
  },
});

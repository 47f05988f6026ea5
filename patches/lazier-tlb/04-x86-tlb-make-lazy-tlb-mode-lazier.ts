// lazier-tlb/04 "x86,tlb: make lazy TLB mode lazier" — seed 003 (the thread on this patch,
// L1-385); tip ac0315896970 (Link 20180716190337.26133-5-riel@surriel.com; the code is what the
// 2018-08-22 revert removes, anchors-upstream.md §2).
// native_flush_tlb_others() skips CPUs with cpu_tlbstate.is_lazy (they stay in mm_cpumask), and
// switch_mm_irqs_off() back to the same mm from lazy mode compares ctxs[asid].tlb_gen with
// mm->context.tlb_gen after an smp_mb() and reloads CR3 with a flush if the TLB went stale.
import {
  definePatch, NEXT, YIELD, YIELD_RET, FUSE, FUSE_RET, CALL, again, callAgain, H, L,
} from '../../core/model/index.ts';
import { loadedMm, isLazy } from './hooks.ts';

export default definePatch({
  id: 'lazier-tlb/04',
  series: 'lazier-tlb',
  index: 4,
  title: 'x86,tlb: make lazy TLB mode lazier',
  requires: ['lazier-tlb/02', 'lazier-tlb/03'],
  effect: 'behaviour',
  seed: 'seeds/003_7db9a387f0b5ce4c.txt L1-385 (thread on this patch); tip ac0315896970 (anchors-upstream.md §2)',
  apply(r) {
    // +	bool was_lazy = this_cpu_read(cpu_tlbstate.is_lazy);
    r.replace('switch_mm_irqs_off', 'read_cpu_tlbstate', (k, x, f) => {
      if (!k.cpus[x.cpu].irqsOff) k.violate('context', `switch_mm_irqs_off() with IRQs enabled on cpu${x.cpu}`, x);
      f.real_prev = k.ld(x, loadedMm(k, x.cpu));
      f.was_lazy = k.ld(x, isLazy(k, x.cpu)) !== 0;
      return FUSE;
    });
    // if (real_prev == next) { ...
    // +	/* If the CPU is not in lazy TLB mode, we are just switching from one thread in a
    // +	 * process to another thread in the same process. No TLB flush required. */
    // +	if (!was_lazy) return;
    // +	/* Read the tlb_gen to check whether a flush is needed. If the TLB is up to date, just
    // +	 * use it. The barrier synchronizes with the tlb_gen increment in the TLB shootdown code. */
    // +	smp_mb(); next_tlb_gen = atomic64_read(&next->context.tlb_gen);
    // +	if (this_cpu_read(cpu_tlbstate.ctxs[prev_asid].tlb_gen) == next_tlb_gen) return;
    // +	/* TLB contents went out of date while we were in lazy mode. Fall through ... */
    // +	new_asid = prev_asid; need_flush = true;
    r.replace('switch_mm_irqs_off', 'same_mm', (k, x, f) => {
      if (f.real_prev !== f.next) return NEXT;
      if (f.real_prev !== k.init_mm && !k.ld(x, f.next + L.MM_CPUMASK + x.cpu)) {
        k.violate('warn', `WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(next))) for ${k.name(f.next)} on cpu${x.cpu}`, x);
        k.cmpxchg(x, f.next + L.MM_CPUMASK + x.cpu, 0, 1);
      }
      return f.was_lazy ? YIELD : YIELD_RET;
    });
    // The barrier and the generation check are steps of their own, so that
    // `--drop-step switch_mm_irqs_off.smp_mb --set memory_model=tso` asks whether the barrier is
    // needed (the pairing is store is_lazy / load tlb_gen against atomic inc tlb_gen / load is_lazy).
    r.add('switch_mm_irqs_off', 'smp_mb', (k, x, f) => {
      if (f.real_prev !== f.next) return NEXT;
      k.mb(x);
      return YIELD;
    }, { after: 'same_mm' });
    // Resume point 1: after reading next's tlb_gen (kept in f.next_tlb_gen).
    r.add('switch_mm_irqs_off', 'check_tlb_gen', (k, x, f, pc) => {
      if (pc === 0) {
        if (f.real_prev !== f.next) return NEXT;
        f.next_tlb_gen = k.ld(x, f.next + L.MM_TLB_GEN);
        return again(1);
      }
      if (k.ld(x, k.tlb[x.cpu] + L.TLB_CTX_GEN) === f.next_tlb_gen) return FUSE_RET;
      k.count('lazy_tlb_gen_catch_up');
      return FUSE;
    }, { after: 'smp_mb' });
    // native_flush_tlb_others(): "A temporary cpumask is used in order to skip sending IPIs to
    // CPUs in lazy TLB state, while keeping them in mm_cpumask(mm)."
    //   for_each_cpu(cpu, lazymask) if (per_cpu(cpu_tlbstate.is_lazy, cpu)) cpumask_clear_cpu(cpu, lazymask);
    // Resume points: 1 after reading the is_lazy flags, 2 after the local flush.
    r.replace('flush_tlb_multi', 'native_flush_tlb_others', (k, x, f, pc) => {
      const cpu = k.cpus[x.cpu];
      if (pc === 0) {
        const targets: number[] = [];
        for (const c of f.mask) {
          if (c !== x.cpu && k.ld(x, isLazy(k, c))) k.count('flush_ipis_skipped_lazy');
          else targets.push(c);
        }
        f.targets = targets;
        return again(1);
      }
      // the local flush (flush_tlb_func_local) is not an IPI and is not skipped
      if (pc === 1 && k.maskHas(f, 'targets', x.cpu)) {
        f.was = cpu.irqsOff ? 1 : 0;
        cpu.irqsOff = true;
        const c = k.call(x, H.flush_tlb_func);
        k.copyFrame(x, H.flush_tlb_info, c.info, f.info);
        c.local = true;
        return callAgain(2);
      }
      if (pc === 2) cpu.irqsOff = f.was !== 0;
      const c = k.call(x, H.smp_call_function_many);
      c.mask = f.targets;
      c.fn = H.flush_tlb_func;
      c.purpose = 'tlb_flush';
      k.copyFrame(x, H.flush_tlb_info, k.ipiArgs(c, H.flush_tlb_func).info, f.info);
      return CALL;
    });
  },
});

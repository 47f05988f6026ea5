// GUP-fast, v6.1 mm/gup.c: lockless_pages_from_mm() -> local_irq_save(); gup_pgd_range() ...
// gup_pmd_range() -> gup_pte_range(); local_irq_restore(). The walk takes no lock: IRQs off hold
// off the TLB-flush IPI that precedes freeing a page table, and every value it uses is re-checked
// after the page reference is taken ("grab-reference-and-revalidate", Jann Horn in the seed).
// The entries it reads are where the torn-read oracle looks.
//
// The levels of the walk share one frame (get_user_pages_fast's, hooks.ts): { vma, i, write } ->
// page (a reference the caller drops), or 0: take the slow path.
import type { StepRegistry } from '../registry.ts';
import { NEXT, RET, CALL, callAgain, again } from '../fns.ts';
import { H } from '../kernel.ts';
import {
  pfnToPage, tableVma, entryPfn, present, pteWrite, sameEntry, ptLo, ld64, pteLowHigh, rcuReadLock,
  rcuReadUnlock, vmaAt,
} from './state.ts';
import { checkTorn, readOnce64 } from './pgtable.ts';

declare module '../fns.ts' {
  interface KernelSteps {
    'get_user_pages_fast.local_irq_save': true; 'get_user_pages_fast.gup_pgd_range': true;
    'get_user_pages_fast.local_irq_restore': true; 'gup_pmd_range.READ_ONCE': true;
    'gup_pmd_range.gup_pte_range': true; 'gup_pte_range.pte_offset_map': true;
    'gup_pte_range.ptep_get_lockless': true; 'gup_pte_range.try_grab_folio': true;
    'gup_pte_range.recheck': true;
  }
}

export function registerGup(r: StepRegistry) {
  // get_user_pages_fast(start, nr_pages, gup_flags, pages) -> lockless_pages_from_mm()
  r.add('get_user_pages_fast', 'local_irq_save', (k, x, f) => {
    const cpu = k.cpus[x.cpu];
    f.irqs_were_off = cpu.irqsOff;
    cpu.irqsOff = true;
    rcuReadLock(k, x.cpu); // IRQs off: a sched-RCU read-side section, it holds off grace periods
    return NEXT;
  });
  r.add('get_user_pages_fast', 'gup_pgd_range', (k, x, f) => {
    k.callOn(x, H.gup_pmd_range, k.ptr(f));
    return CALL;
  });
  r.add('get_user_pages_fast', 'local_irq_restore', (k, x, f) => {
    k.cpus[x.cpu].irqsOff = f.irqs_were_off;
    rcuReadUnlock(k, x);
    return NEXT;
  });

  // static int gup_pmd_range(pud_t *pudp, pud_t pud, unsigned long addr, ...)
  //   pmd_t pmd = READ_ONCE(*pmdp);  (pae-lockless/07: pmdp_get_lockless(pmdp))
  // Resume point 1: after the READ_ONCE().
  r.add('gup_pmd_range', 'READ_ONCE', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    if (pc === 1) {
      f.pmd = k.ret(x, H.read_once64).ret;
      checkTorn(k, x, v.pmd, f.pmd, 'gup_pmd_range()');
      return NEXT;
    }
    readOnce64(k, x, v.pmd, pteLowHigh(k), 'pmd');
    return callAgain(1);
  });
  //   if (!pmd_present(pmd)) return 0; ... else if (!gup_pte_range(pmd, pmdp, addr, next, ...)) return 0;
  r.add('gup_pmd_range', 'gup_pte_range', (k, x, f) => {
    if (!present(f.pmd)) return NEXT;
    k.callOn(x, H.gup_pte_range, k.ptr(f));
    return CALL;
  });

  // static int gup_pte_range(pmd_t pmd, pmd_t *pmdp, unsigned long addr, unsigned long end, ...)
  //   ptem = ptep = pte_offset_map(&pmd, addr);  (the PTE page the value read points to)
  r.add('gup_pte_range', 'pte_offset_map', (k, x, f) => {
    const tv = tableVma(k, entryPfn(f.pmd));
    if (!tv) {
      if (k.tracing) k.tr(x, `pte_offset_map: pfn 0x${entryPfn(f.pmd).toString(16)} is no page table: the walk would read arbitrary memory`);
      return RET;
    }
    f.ptep = tv.pt + ptLo(f.i);
    return NEXT;
  });
  //   pte_t pte = ptep_get_lockless(ptep);
  // Resume point 1: after ptep_get_lockless().
  r.add('gup_pte_range', 'ptep_get_lockless', (k, x, f, pc) => {
    if (pc === 1) {
      f.pte = k.ret(x, H.ptep_get_lockless).ret;
      checkTorn(k, x, f.ptep, f.pte, 'gup_pte_range()');
      if (!present(f.pte) || (f.write && !pteWrite(f.pte))) return RET; // pte_access_permitted()
      return NEXT;
    }
    k.call(x, H.ptep_get_lockless).a = f.ptep;
    return callAgain(1);
  });
  //   folio = try_grab_folio(page, 1, flags); if (!folio) goto pte_unmap;
  // Resume point 1: after folio_try_get().
  r.add('gup_pte_range', 'try_grab_folio', (k, x, f, pc) => {
    if (pc === 1) return k.ret(x, H.folio_try_get).ret ? NEXT : RET;
    f.grabbed = pfnToPage(k, entryPfn(f.pte));
    if (!f.grabbed) return RET;
    k.call(x, H.folio_try_get).page = f.grabbed;
    return callAgain(1);
  });
  //   if (unlikely(pmd_val(pmd) != pmd_val(*pmdp)) || unlikely(pte_val(pte) != pte_val(*ptep))) {
  //           gup_put_folio(folio, 1, flags); goto pte_unmap; }
  // Resume points: 1 after the PMD re-read, 2 after the PTE re-read.
  r.add('gup_pte_range', 'recheck', (k, x, f, pc) => {
    const v = vmaAt(k, f.vma);
    switch (pc) {
      case 0:
        readOnce64(k, x, v.pmd, pteLowHigh(k), 'pmd');
        return callAgain(1);
      case 1:
        f.pmd2 = k.ret(x, H.read_once64).ret;
        f.pte2 = ld64(k, x, f.ptep);
        return again(2);
      default:
        if (!sameEntry(f.pmd2, f.pmd) || !sameEntry(f.pte2, f.pte)) {
          k.call(x, H.put_page).page = f.grabbed;
          return CALL;
        }
        f.page = f.grabbed;
        return NEXT;
    }
  });
}

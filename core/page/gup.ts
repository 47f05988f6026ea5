// GUP-fast, v6.1 mm/gup.c: lockless_pages_from_mm() -> local_irq_save(); gup_pgd_range() ...
// gup_pmd_range() -> gup_pte_range(); local_irq_restore(). The walk takes no lock: IRQs off hold
// off the TLB-flush IPI that precedes freeing a page table, and every value it uses is re-checked
// after the page reference is taken ("grab-reference-and-revalidate", Jann Horn in the seed).
// The entries it reads are where the torn-read oracle looks.
import type { StepRegistry, Frame } from '../hooks.ts';
import { PH } from './hooks.ts';
import {
  pgOf, pfnToPage, entryPfn, present, pteWrite, sameEntry, ptLo, ld64, pteLowHigh, rcuReadLock, rcuReadUnlock, type PgVma,
} from './state.ts';
import { checkTorn, readOnce64 } from './pgtable.ts';
import { folio_try_get, put_page } from './mm.ts';

export function registerGup(r: StepRegistry) {
  // get_user_pages_fast(start, nr_pages, gup_flags, pages) -> lockless_pages_from_mm();
  // f: { vma, i, write } -> f.page (a reference the caller drops), or 0: take the slow path.
  r.add('get_user_pages_fast', 'local_irq_save', (k, x, f) => {
    const cpu = k.cpus[x.cpu];
    f.irqs_were_off = cpu.irqsOff;
    cpu.irqsOff = true;
    rcuReadLock(k, x.cpu); // IRQs off: a sched-RCU read-side section, it holds off grace periods
  });
  r.add('get_user_pages_fast', 'gup_pgd_range', function* (k, _x, f) {
    yield k.invoke(PH.gup_pmd_range, f);
  });
  r.add('get_user_pages_fast', 'local_irq_restore', (k, x, f) => {
    k.cpus[x.cpu].irqsOff = f.irqs_were_off;
    rcuReadUnlock(k, x);
  });

  // static int gup_pmd_range(pud_t *pudp, pud_t pud, unsigned long addr, ...)
  //   pmd_t pmd = READ_ONCE(*pmdp);  (pae-lockless/07: pmdp_get_lockless(pmdp))
  r.add('gup_pmd_range', 'READ_ONCE', function* (k, x, f) {
    const v: PgVma = f.vma;
    f.pmd = yield* readOnce64(k, x, v.pmd, pteLowHigh(k), 'pmd');
    checkTorn(k, x, v.pmd, f.pmd, 'gup_pmd_range()');
  });
  //   if (!pmd_present(pmd)) return 0; ... else if (!gup_pte_range(pmd, pmdp, addr, next, ...)) return 0;
  r.add('gup_pmd_range', 'gup_pte_range', function* (k, _x, f) {
    if (!present(f.pmd)) return;
    yield k.invoke(PH.gup_pte_range, f);
  });

  // static int gup_pte_range(pmd_t pmd, pmd_t *pmdp, unsigned long addr, unsigned long end, ...)
  //   ptem = ptep = pte_offset_map(&pmd, addr);  (the PTE page the value read points to)
  r.add('gup_pte_range', 'pte_offset_map', (k, x, f) => {
    const tv = pgOf(k)!.tables.get(entryPfn(f.pmd));
    if (!tv) {
      if (k.tracing) k.tr(x, `pte_offset_map: pfn 0x${entryPfn(f.pmd).toString(16)} is no page table: the walk would read arbitrary memory`);
      f.ret_early = true;
      return;
    }
    f.ptep = tv.pt + ptLo(f.i);
  });
  //   pte_t pte = ptep_get_lockless(ptep);
  r.add('gup_pte_range', 'ptep_get_lockless', function* (k, x, f) {
    const lf: Frame = { a: f.ptep };
    yield k.invoke(PH.ptep_get_lockless, lf);
    f.pte = lf.ret;
    checkTorn(k, x, f.ptep, f.pte, 'gup_pte_range()');
    if (!present(f.pte) || (f.write && !pteWrite(f.pte))) f.ret_early = true; // pte_access_permitted()
  });
  //   folio = try_grab_folio(page, 1, flags); if (!folio) goto pte_unmap;
  r.add('gup_pte_range', 'try_grab_folio', function* (k, x, f) {
    f.grabbed = pfnToPage(k, entryPfn(f.pte));
    if (!f.grabbed || !(yield* folio_try_get(k, x, f.grabbed))) f.ret_early = true;
  });
  //   if (unlikely(pmd_val(pmd) != pmd_val(*pmdp)) || unlikely(pte_val(pte) != pte_val(*ptep))) {
  //           gup_put_folio(folio, 1, flags); goto pte_unmap; }
  r.add('gup_pte_range', 'recheck', function* (k, x, f) {
    const v: PgVma = f.vma;
    const pmd = yield* readOnce64(k, x, v.pmd, pteLowHigh(k), 'pmd');
    const pte = ld64(k, x, f.ptep);
    yield 0;
    if (!sameEntry(pmd, f.pmd) || !sameEntry(pte, f.pte)) { yield* put_page(k, x, f.grabbed); return; }
    f.page = f.grabbed;
  });
}

// The page-level oracles at quiescence (the per-access ones live beside the code they watch:
// lost-write at page-cache removal and at a user read-back in writeback.ts/fault.ts, mapcount at
// each page-table-lock release in mm.ts, torn-read at lockless reads in pgtable.ts).
import type { Kernel } from '../kernel.ts';
import {
  pgOf, entryPfn, inoPage, inoDisk, ptLo, pageName, PG_DIRTY, PG_WRITEBACK, pageData, PG_MAPCOUNT,
  pfnToPage, allPages, lastWrite, staleWrite,
} from './state.ts';

export function pageQuiescenceOracles(k: Kernel) {
  const s = pgOf(k);
  if (!s) return;
  // lost-write: what the file would hold once every dirty page is written back
  for (const f of s.files) {
    for (let i = 0; i < f.npages; i++) {
      const page = k.peek(inoPage(f, i));
      const disk = k.peek(inoDisk(f, i));
      const lw = lastWrite(k, `${f.name}:${i}`);
      if (page) {
        const data = k.peek(pageData(k, page));
        if (k.peek(page + PG_DIRTY) || k.peek(page + PG_WRITEBACK) || data === disk) continue;
        const how = staleWrite(k, page);
        k.violate('lost-write', `${pageName(k, page)} is clean in the page cache with data ${data} but ${f.name}'s disk holds ${disk}: it will be dropped, not written${how ? ` (${how} after the page had been cleaned)` : ''}`, null);
      } else if (lw && lw.val !== disk) {
        k.violate('lost-write', `${lw.task}'s write of ${lw.val} to ${f.name}:${i} is lost: the page is gone and the disk holds ${disk}`, null);
      }
    }
  }
  // mapcount: every live page's mapcount is the number of PTEs that map it
  const count = new Map<number, number>();
  for (const v of s.vmas) {
    if (k.m.dead[v.pt]) continue;
    for (let i = 0; i < v.npages; i++) {
      const lo = k.peek(v.pt + ptLo(i));
      if (!(lo & 1)) continue;
      const page = pfnToPage(k, entryPfn({ lo, hi: k.peek(v.pt + ptLo(i) + 1) }));
      if (page) count.set(page, (count.get(page) ?? 0) + 1);
    }
  }
  for (const p of allPages(k)) {
    if (k.m.dead[pageData(k, p)]) continue;
    const mc = k.peek(p + PG_MAPCOUNT) + 1;
    const n = count.get(p) ?? 0;
    if (mc !== n) k.violate('mapcount', `${pageName(k, p)} has mapcount ${mc} at quiescence but ${n} PTE${n === 1 ? '' : 's'} map${n === 1 ? 's' : ''} it`, null);
  }
}

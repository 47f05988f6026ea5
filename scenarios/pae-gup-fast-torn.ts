// GUP-fast against a PMD that changes under it (PeterZ's pae-lockless series, seed
// 002_a22f6d6eeee8c674.txt L1-40 and reference/delayed-rmap.md §3; Jann Horn on GUP-fast's
// lockless walk, L397-432): one thread pins a page of an anonymous mapping with
// get_user_pages_fast() (O_DIRECT-style) while another thread of the process munmaps the
// mapping, which clears the PMD (free_pgtables() -> pmd_clear()) and frees the PTE page after
// the TLB flush. On 32-bit PAE the PMD is two 32-bit halves: before pae-lockless/07,
// gup_pmd_range() reads it with READ_ONCE(), two loads that can straddle pmd_clear()'s two stores.
import { defineScenario, pages } from '../core/model/index.ts';

export default defineScenario({
  name: 'pae-gup-fast-torn',
  description: 'P.dio pins a page of an anonymous mapping with get_user_pages_fast() while P.unmap munmaps it (pmd_clear, PTE page freed after the flush)',
  cpus: { default: 2, min: 2, max: 4 },
  strategy: 'random',
  budget: 1500,
  setup(b) {
    const pg = pages(b);
    b.process('P');
    pg.mmap('m', { mm: 'P', pages: 2, populate: 'write' });
    const gup = { op: 'gup_fast', map: 'm', write: true } as const;
    b.thread('P.dio', { mm: 'P', cpu: 0, prog: [gup, gup, gup, gup] });
    b.thread('P.unmap', { mm: 'P', cpu: 1, prog: [{ op: 'munmap' }] });
  },
  expect: [
    { config: '--arch x86-pae', verdict: 'sometimes', oracle: 'torn-read', why: 'gup_pmd_range()\'s READ_ONCE(*pmdp) reads the low half before pmd_clear() and the high half after it' },
    { config: '--arch x86-pae --apply pae-lockless:1-6', verdict: 'sometimes', oracle: 'torn-read', why: 'pmdp_get_lockless() exists (04) but GUP-fast does not use it yet' },
    { config: '--arch x86-pae --apply pae-lockless:1-7', verdict: 'clean', why: 'pmdp_get_lockless() re-reads the low half until it is stable' },
    { config: '--arch x86-pae --apply pae-lockless', verdict: 'clean' },
    { config: '--arch x86', verdict: 'clean', why: 'a 64-bit PMD is read with one load' },
  ],
});

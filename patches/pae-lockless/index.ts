// Peter Zijlstra, "[PATCH 00/13] Clean up pmd_get_atomic() and i386-PAE" (2022-10-22, on v6.1-rc1,
// peterz/queue.git x86/mm.pae). Seed: seeds/002_a22f6d6eeee8c674.txt holds 01 (L1-40) and the
// thread it started; 02-13 are from the LKML posting (reference/delayed-rmap.md §3).
// scenarios/pae-gup-fast-torn.ts is the race the series fixes on the x86-pae arch (07).
import type { SeriesDef } from '../../core/model/index.ts';
import p01 from './01-update-ptep-get-lockless-comment.ts';
import p02 from './02-x86-pae-make-pmd-t-similar-to-pte-t.ts';
import p03 from './03-sh-make-pmd-t-similar-to-pte-t.ts';
import p04 from './04-fix-pmd-read-atomic.ts';
import p05 from './05-rename-gup-get-pte-low-high.ts';
import p06 from './06-rename-pmd-read-atomic.ts';
import p07 from './07-gup-fix-the-lockless-pmd-access.ts';
import p08 from './08-x86-pae-dont-abuse-atomic64.ts';
import p09 from './09-x86-pae-use-write-once.ts';
import p10 from './10-x86-pae-be-consistent-with-pxxp-get-and-clear.ts';
import p11 from './11-x86-64-remove-pointless-set-64bit-usage.ts';
import p12 from './12-x86-pae-get-rid-of-set-64bit.ts';
import p13 from './13-remove-pointless-barrier-after-pmdp-get-lockless.ts';

export const paeLockless: SeriesDef = {
  id: 'pae-lockless',
  title: 'Clean up pmd_get_atomic() and i386-PAE',
  author: 'Peter Zijlstra',
  date: '2022-10-22',
  base: '6.1.0',
  patches: [p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13],
};

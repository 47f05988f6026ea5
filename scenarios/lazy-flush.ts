// A TLB flush that frees page tables (munmap) while another CPU is lazily on the mm: x86 must
// IPI the lazy CPU too, or its paging-structure cache may walk freed page tables.
import { defineScenario } from '../core/model/index.ts';

export default defineScenario({
  name: 'lazy-flush',
  description: 'P.t1 naps on cpu1 (lazy on P) while P.t0 munmaps with freed page tables; then both exit',
  cpus: { default: 2, min: 2, max: 4 },
  setup(b) {
    b.process('P');
    b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'munmap' }, { op: 'touch' }, { op: 'exit' }] });
    b.thread('P.t1', { mm: 'P', cpu: 1, prog: [{ op: 'touch' }, { op: 'sleep' }, { op: 'touch' }, { op: 'exit' }] });
  },
  expect: [
    { config: '--arch x86', verdict: 'never' },
    { config: '--arch x86 --drop-step exit_mm.mmgrab', verdict: 'sometimes',
      why: 'the exiting CPU is lazily on P after exit_mm; without its reference P is freed under it' },
  ],
});

// lazy-mmu/04 Revert "x86/xen: allow nesting of same lazy mode" — upstream c36549ff8d84
// ("Fixes: 49147beb0ccb"; v1 4/4 is 20250302145555.3236789-5-ryan.roberts@arm.com; the seeds carry
// no diff: seed 001 L1 says 49147beb0ccb "breaks its support for preemption").
// Xen's enter_lazy() BUG_ONs again on any mode but NONE and leave_lazy() always returns to NONE:
// the xen_lazy_nesting steps (core/model/baseline/lazy_mmu.ts, base:49147beb0ccb) are removed. Safe only
// once nothing nests (01): "the correct solution is to remove the possibility of nesting from the
// higher level (which has now been done) and remove this x86-specific solution."
import { definePatch } from '../../core/model/index.ts';

export default definePatch({
  id: 'lazy-mmu/04',
  series: 'lazy-mmu',
  index: 4,
  title: 'Revert "x86/xen: allow nesting of same lazy mode"',
  requires: ['lazy-mmu/01'],
  effect: 'behaviour',
  seed: 'seeds/001_452a225ad1e82ef5.txt L1 (49147beb0ccb named); upstream c36549ff8d84',
  apply(r) {
    // static inline void enter_lazy(enum xen_lazy_mode mode)
    // -	enum xen_lazy_mode old_mode = this_cpu_read(xen_lazy_mode);
    // -	if (mode == old_mode) { this_cpu_inc(xen_lazy_nesting); return; }
    // -	BUG_ON(old_mode != XEN_LAZY_NONE);
    // +	BUG_ON(this_cpu_read(xen_lazy_mode) != XEN_LAZY_NONE);
    r.remove('enter_lazy', 'xen_lazy_nesting');
    // static inline void leave_lazy(enum xen_lazy_mode mode)
    // -	if (this_cpu_read(xen_lazy_nesting) == 0) this_cpu_write(xen_lazy_mode, XEN_LAZY_NONE);
    // -	else this_cpu_dec(xen_lazy_nesting);
    // +	this_cpu_write(xen_lazy_mode, XEN_LAZY_NONE);
    r.remove('leave_lazy', 'xen_lazy_nesting');
  },
});

// Ryan Roberts' "Fix lazy mmu mode" (seed 001): the rules as oracles on the v6.14 callers
// (core/model/baseline/lazy_mmu.ts), bisect on Xen PV, the kmap hazard, and the Xen nesting counter.
import { describe, it, expect } from 'vitest';
import { cli, scenario, exploreWith } from './helpers.ts';

describe('lazy-mmu', () => {
  it('bisect lazy-mmu-nesting --series lazy-mmu --arch x86-xen-pv names 01 (fixes)', async () => {
    const r = await cli('bisect', 'lazy-mmu-nesting', '--series', 'lazy-mmu', '--arch', 'x86-xen-pv', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.result.first.id).toBe('lazy-mmu/01');
    expect(j.result.first.title).toBe('mm: Fix lazy mmu docs and usage');
    expect(j.result.direction).toBe('fixes');
    expect(j.counterexample.violation.message).toMatch(/nested lazy MMU region: set_ptes\(\) enters/);
  });

  it('at v6.14 Xen PV tolerates the nesting through 49147beb0ccb\'s counter (no BUG_ON), 04 removes it', async () => {
    const sc = scenario('lazy-mmu-nesting');
    const base = await exploreWith(sc, '--arch x86-xen-pv', { budget: 50 });
    expect(base.violations.map((v) => v.oracle)).toContain('lazy-mmu');
    expect(base.violations.map((v) => v.oracle)).not.toContain('warn');
    const hooks = async (apply: string[]) => {
      const j = JSON.parse((await cli('list', 'hooks', '--arch', 'x86-xen-pv', ...apply, '--json')).out);
      return j.hooks.find((h: { name: string }) => h.name === 'enter_lazy').steps as { name: string; owner: string }[];
    };
    expect((await hooks([])).find((s) => s.name === 'xen_lazy_nesting')?.owner).toBe('base:49147beb0ccb');
    expect((await hooks(['--apply', 'lazy-mmu'])).map((s) => s.name)).not.toContain('xen_lazy_nesting');
  });

  it('a kmap inside the pagemap region uses a PTE update Xen still holds in its batch; 01 moves the region past it', async () => {
    const sc = scenario('lazy-mmu-nesting');
    const base = await exploreWith(sc, '--arch x86-xen-pv --set CONFIG_HIGHPTE=y', { budget: 50 });
    expect(base.violations.map((v) => v.message).join('\n')).toMatch(/deferred update seen as immediate: kmap_local_page\(\)/);
    const fixed = await exploreWith(sc, '--arch x86-xen-pv --apply lazy-mmu/01 --set CONFIG_HIGHPTE=y');
    expect(fixed.violations).toEqual([]);
  });

  it('sparc64: preemption inside a region before 02, none after (bisect from 03)', async () => {
    const sc = scenario('lazy-mmu-preempt');
    const before = await exploreWith(sc, '--arch sparc64 --apply lazy-mmu/03');
    expect(before.violations[0].message).toMatch(/switched out inside a lazy MMU region on sparc64/);
    const after = await exploreWith(sc, '--arch sparc64 --apply lazy-mmu:2-3');
    expect(after.violations).toEqual([]);
    expect(after.counters.lazy_mmu_preemptions ?? 0).toBe(0);
    const xen = await exploreWith(sc, '--arch x86-xen-pv --apply lazy-mmu');
    expect(xen.counters.lazy_mmu_preemptions).toBeGreaterThan(0); // Xen is preempted, and copes
  });
});

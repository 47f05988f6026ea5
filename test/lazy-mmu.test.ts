// Ryan Roberts' "Fix lazy mmu mode" (seed 001): the rules as oracles on the v6.14 callers
// (core/model/baseline/lazy_mmu.ts), bisect on Xen PV, the kmap hazard, and the Xen nesting counter;
// and the kernel-versioned baseline: v5.16 has none of the paths that nest.
import { describe, it, expect } from 'vitest';
import { cli, scenario, exploreWith } from './helpers.ts';

describe('lazy-mmu', () => {
  it('bisect lazy-mmu-nesting --series lazy-mmu --arch x86-xen-pv names 01 (fixes), every configuration on the series\' v6.14', async () => {
    const r = await cli('bisect', 'lazy-mmu-nesting', '--series', 'lazy-mmu', '--arch', 'x86-xen-pv', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.kernel).toBe('6.14.0');
    expect(j.steps[0]).toMatchObject({ spec: '(none)', verdict: 'bad' });
    expect(j.result.first.id).toBe('lazy-mmu/01');
    expect(j.result.first.title).toBe('mm: Fix lazy mmu docs and usage');
    expect(j.result.direction).toBe('fixes');
    expect(j.counterexample.violation.message).toMatch(/nested lazy MMU region: set_ptes\(\) enters/);
  });

  it('at v6.14 Xen PV tolerates the nesting through 49147beb0ccb\'s counter (no BUG_ON), 04 removes it', async () => {
    const sc = scenario('lazy-mmu-nesting');
    const base = await exploreWith(sc, '--arch x86-xen-pv --kernel 6.14', { budget: 50 });
    expect(base.violations.map((v) => v.oracle)).toContain('lazy-mmu');
    expect(base.violations.map((v) => v.oracle)).not.toContain('warn');
    const hooks = async (words: string[]) => {
      const j = JSON.parse((await cli('list', 'hooks', '--arch', 'x86-xen-pv', ...words, '--json')).out);
      return j.hooks.find((h: { name: string }) => h.name === 'enter_lazy').steps as { name: string; owner: string; kernels?: string }[];
    };
    expect((await hooks(['--kernel', '6.14'])).find((s) => s.name === 'xen_lazy_nesting')).toEqual({ name: 'xen_lazy_nesting', owner: 'base:49147beb0ccb', kernels: '>=6.6.0' });
    expect((await hooks(['--apply', 'lazy-mmu'])).map((s) => s.name)).not.toContain('xen_lazy_nesting');
    expect((await hooks([])).map((s) => s.name)).not.toContain('xen_lazy_nesting'); // v5.16: BUG_ON only
  });

  it('a kmap inside the pagemap region uses a PTE update Xen still holds in its batch; 01 moves the region past it', async () => {
    const sc = scenario('lazy-mmu-nesting');
    const base = await exploreWith(sc, '--arch x86-xen-pv --kernel 6.14 --set CONFIG_HIGHPTE=y', { budget: 50 });
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

describe('kernel-versioned baseline: lazy MMU nesting paths exist from v6.6', () => {
  // seed 001: "Commit bcc6cc832573 ("mm: add default definition of set_ptes()") added
  // arch_[enter|leave]_lazy_mmu_mode() to the default implementation of set_ptes(), used by x86.
  // So after this commit, lazy mmu regions can be nested." (v6.6; PAGEMAP_SCAN is v6.7)
  const nested = (vs: { oracle: string; message: string }[]) => vs.filter((v) => v.oracle === 'lazy-mmu' && /nested/.test(v.message));

  it('lazy-mmu-nesting on plain v5.16 x86: no [lazy-mmu] nested in its whole state space; at v6.14 there is', async () => {
    const sc = scenario('lazy-mmu-nesting');
    const v516 = await exploreWith(sc, '--arch x86', { strategy: 'verify', budget: 400_000 });
    expect(v516.coverage.kind).toBe('verified');
    expect(v516.violations).toEqual([]);
    const v614 = await exploreWith(sc, '--arch x86 --kernel 6.14', { budget: 50 });
    expect(nested(v614.violations).length).toBeGreaterThan(0);
  });

  it('lazy-mmu-preempt on plain v5.16 x86: no [lazy-mmu] nested in its whole state space; at v6.14 there is', async () => {
    const sc = scenario('lazy-mmu-preempt');
    const v516 = await exploreWith(sc, '--arch x86', { strategy: 'verify', budget: 400_000 });
    expect(v516.coverage.kind).toBe('verified');
    expect(v516.violations).toEqual([]);
    const v614 = await exploreWith(sc, '--arch x86 --kernel 6.14', { budget: 50 });
    expect(nested(v614.violations).length).toBeGreaterThan(0);
  });

  it('list hooks shows the kernel and the versioned paths: v5.16 has no set_ptes() and no PAGEMAP_SCAN', async () => {
    const steps = async (words: string[]) => {
      const r = await cli('list', 'hooks', '--arch', 'x86', ...words, '--json');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out);
      const of = (h: string) => (j.hooks.find((x: { name: string }) => x.name === h).steps as { name: string; kernels?: string }[]);
      return { kernel: j.kernel, config: j.config.kernel, setPtes: of('set_ptes'), fnLoop: of('apply_to_pte_range').find((s) => s.name === 'fn_loop'), pagemap: of('sys_pagemap_scan') };
    };
    const a = await steps([]);
    expect([a.kernel, a.config]).toEqual(['5.16.0', '5.16.0']);
    expect(a.setPtes).toEqual([]);
    expect(a.fnLoop?.kernels).toBe('<6.6.0');
    expect(a.pagemap.map((s) => s.name)).toEqual(['vfs_ioctl']);
    const b = await steps(['--apply', 'lazy-mmu']); // the series' base
    expect(b.kernel).toBe('6.14.0');
    expect(b.setPtes.map((s) => s.name)).toEqual(['set_pte_loop']); // 01 removed enter/leave
    expect(b.pagemap.map((s) => s.name)).toEqual(['pagemap_scan_pmd_entry']);
    const text = (await cli('list', 'hooks', '--arch', 'x86', '--kernel', 'v6.14')).out;
    expect(text.split('\n')[0]).toBe('kernel v6.14.0 (arch x86 models >=4.20.0)');
    expect(text).toMatch(/\n {2}arch_enter_lazy_mmu_mode +base:bcc6cc832573 {2}\[>=6\.6\.0\]\n/);
  });

  it('--kernel is checked: a malformed version is bad usage (2), one the arch does not model cannot be tested (125)', async () => {
    const bad = await cli('explore', 'lazy-mmu-nesting', '--arch', 'x86', '--kernel', 'six');
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/--kernel takes a version such as 6.14/);
    const old = await cli('explore', 'lazy-mmu-nesting', '--arch', 'x86', '--kernel', '4.18');
    expect(old.code).toBe(125);
    expect(old.err).toMatch(/kernel v4\.18\.0 is not modelled by arch x86 \(models >=4\.20\.0\)/);
  });
});

// Rik van Riel's lazier lazy TLB (seed 003) on the x86 v4.18 model: what it skips and catches up,
// the flaw of 05's helper and where bisect puts it, and the barrier of 04.
import { describe, it, expect } from 'vitest';
import { cli, scenario, exploreWith } from './helpers.ts';

describe('lazier-tlb on x86-4.18', () => {
  it('skips flush IPIs to lazy CPUs and catches up through tlb_gen (without 05)', async () => {
    const sc = scenario('lazier-tlb-munmap');
    const base = await exploreWith(sc, '--arch x86-4.18', { strategy: 'random', budget: 300 });
    const lazier = await exploreWith(sc, '--arch x86-4.18 --apply lazier-tlb --without lazier-tlb/05 --force', { strategy: 'random', budget: 300 });
    expect(base.violations).toEqual([]);
    expect(lazier.violations).toEqual([]);
    expect(base.counters.flush_ipis_skipped_lazy ?? 0).toBe(0);
    expect(lazier.counters.flush_ipis_skipped_lazy).toBeGreaterThan(0);
    expect(lazier.counters.lazy_tlb_gen_catch_up).toBeGreaterThan(0);
    expect(lazier.counters.ipi_remove_tables).toBeGreaterThan(0);
    // fewer flush IPIs reach lazy CPUs, and 07 skips init_mm's cpumask atomics
    expect(lazier.counters.ipi_tlb_flush ?? 0).toBeLessThan(base.counters.ipi_tlb_flush);
    expect(lazier.counters.atomics).toBeLessThan(base.counters.atomics);
  });

  it('bisect names 05 (its helper), or 06 on PCID hardware, where 05 stays latent until 06', async () => {
    const a = JSON.parse((await cli('bisect', 'lazier-tlb-munmap', '--series', 'lazier-tlb', '--arch', 'x86-4.18', '--budget', '500', '--json')).out);
    expect(a.result.first.id).toBe('lazier-tlb/05');
    expect(a.result.direction).toBe('introduces');
    expect(a.counterexample.violation.oracle).toBe('lifetime');
    const b = JSON.parse((await cli('bisect', 'lazier-tlb-munmap', '--series', 'lazier-tlb', '--arch', 'x86-4.18', '--set', 'X86_FEATURE_PCID=y', '--budget', '500', '--json')).out);
    expect(b.result.first.id).toBe('lazier-tlb/06');
  });

  it('04\'s smp_mb() is needed under TSO (stale-tlb or lifetime oracle, PCT)', async () => {
    const sc = scenario('lazier-tlb-munmap');
    const cfg = '--arch x86-4.18 --apply lazier-tlb --without lazier-tlb/05 --force --set memory_model=tso';
    const without = await exploreWith(sc, `${cfg} --drop-step switch_mm_irqs_off.smp_mb`, { strategy: 'pct', budget: 3000 });
    // The flusher reads the lazy CPU's buffered is_lazy = 1 and skips it: the CPU then runs on a
    // stale TLB (stale-tlb) or its page tables are freed under it (lifetime), whichever the
    // explorer reaches first. Both are this missing barrier; with it neither happens (below).
    expect(['stale-tlb', 'lifetime']).toContain(without.violations[0]?.oracle);
    const withMb = await exploreWith(sc, cfg, { strategy: 'pct', budget: 3000 });
    expect(withMb.violations).toEqual([]);
  });

  it('does not apply to the v5.16 x86 model, which already contains the v4.20 redo (exit 125)', async () => {
    const r = await cli('explore', 'lazier-tlb-munmap', '--arch', 'x86', '--apply', 'lazier-tlb');
    expect(r.code).toBe(125);
    expect(r.err).toMatch(/does not apply to arch x86/);
  });
});

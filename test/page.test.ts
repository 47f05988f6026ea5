// The page-level model (core/model/page): its oracles on broken kernels, the delayed-rmap follow-up's
// batching, the explorer finding and replaying Nadav Amit's race, and bisect over pae-lockless.
import { describe, it, expect } from 'vitest';
import { cli, scenario, exploreWith } from './helpers.ts';
import { parseConfigString, resolveConfig, buildKernel } from '../core/lab/config.ts';
import { runOnce } from '../core/model/engine.ts';
import { Rng } from '../core/model/drivers/explore.ts';
import { defineScenario, pages, pgOf, type ScenarioDef } from '../core/model/index.ts';
// (bisect and test/helpers.ts's cli/exploreWith are ported with the CLI, separately)
import { bisect } from '../core/lab/bisect.ts';

/** Random schedules of sc under config: the oracles reported, and k.counters summed. */
async function sample(sc: ScenarioDef, config: string, runs: number) {
  const k = buildKernel(await resolveConfig(parseConfigString(config), sc));
  const rng = new Rng(1);
  const oracles = new Map<string, number>();
  const counters: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    const r = runOnce(k, sc, { choose: (_e, n) => (n === 1 ? 0 : rng.below(n)) }, { maxSteps: 20000 });
    for (const v of r.violations) oracles.set(v.oracle, (oracles.get(v.oracle) ?? 0) + 1);
    for (const key in k.counters) counters[key] = (counters[key] ?? 0) + k.counters[key];
  }
  return { oracles, counters, k };
}

const SMALL_BATCHES = '--set MMU_GATHER_BUNDLE=1 --set MAX_GATHER_BATCH=1';

describe('delayed-rmap-lost-write', () => {
  it('is found by the explorer on x86, and its schedule replays to the same lost write', async () => {
    const r = await cli('explore', 'delayed-rmap-lost-write', '--arch', 'x86', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.violations[0].oracle).toBe('lost-write');
    expect(j.trace.join('\n')).toMatch(/stale/);
    const rr = await cli('run', 'delayed-rmap-lost-write', '--arch', 'x86', '--schedule', j.violations[0].schedule, '--json');
    expect(rr.code).toBe(1);
    expect(JSON.parse(rr.out).violations[0].message).toBe(j.violations[0].message);
  });

  it('exits 0 on s390', async () => {
    const r = await cli('explore', 'delayed-rmap-lost-write', '--arch', 's390', '--budget', '300');
    expect(r.code).toBe(0);
  });

  it('delayed-rmap/04 forces a flush per full local batch; 05 lets one more batch fill first', async () => {
    const sc = scenario('delayed-rmap-lost-write');
    const a = await sample(sc, `--arch x86 --apply delayed-rmap:1-4 ${SMALL_BATCHES}`, 60);
    const b = await sample(sc, `--arch x86 --apply delayed-rmap ${SMALL_BATCHES}`, 60);
    expect([...a.oracles.keys()]).toEqual([]);
    expect([...b.oracles.keys()]).toEqual([]);
    expect(b.counters.zap_forced_flushes).toBeLessThan(a.counters.zap_forced_flushes);
  });

  it('after 05, a tlb_flush_rmaps() that walks only the active batch leaks mapcounts (mapcount oracle)', async () => {
    const sc = scenario('delayed-rmap-lost-write');
    const wrong = await sample(sc, `--arch x86 --apply delayed-rmap --apply test/fixtures/tlb-flush-rmaps-active-only.ts ${SMALL_BATCHES}`, 30);
    expect(wrong.oracles.get('mapcount') ?? 0).toBeGreaterThan(0);
    // with 04's one-batch rule the active batch is the only one with delayed entries: fine
    const r = await exploreWith(sc, `--arch x86 --apply delayed-rmap:1-4 ${SMALL_BATCHES}`, { strategy: 'random', budget: 300 });
    expect(r.violations).toEqual([]);
  });
});

describe('oracles', () => {
  // An anonymous page a thread keeps writing while another MADV_DONTNEEDs it.
  const anonZap = defineScenario({
    name: 'test-anon-zap',
    description: 'P.writer writes an anonymous page twice while P.zapper MADV_DONTNEEDs it',
    cpus: { default: 2, min: 2, max: 2 },
    setup(b) {
      const pg = pages(b);
      b.process('P');
      pg.mmap('a', { mm: 'P', pages: 2, populate: 'write' });
      b.thread('P.writer', { mm: 'P', cpu: 1, prog: [{ op: 'user_write', map: 'a', val: 1 }, { op: 'sleep' }, { op: 'user_write', map: 'a', val: 2 }] });
      b.thread('P.zapper', { mm: 'P', cpu: 0, prog: [{ op: 'madvise_dontneed' }, { op: 'sleep' }, { op: 'sleep' }] });
    },
  });

  it('a write through a stale TLB entry to a page freed without a TLB flush is a KASAN report', async () => {
    const ok = await sample(anonZap, '--arch x86', 200);
    expect([...ok.oracles.keys()]).toEqual([]);
    const bad = await sample(anonZap, '--arch x86 --drop-step zap_pte_range.tlb_flush_mmu_tlbonly --drop-step tlb_flush_mmu.tlb_flush_mmu_tlbonly', 200);
    expect(bad.oracles.get('kasan') ?? 0).toBeGreaterThan(0);
  });

  it('with 04 applied, the flush must still come before the page-table lock drops', async () => {
    const r = await exploreWith(scenario('delayed-rmap-lost-write'), '--arch x86 --apply delayed-rmap:1-4 --drop-step zap_pte_range.tlb_flush_mmu_tlbonly', { strategy: 'random', budget: 1500 });
    expect(r.violations.map((v) => v.oracle)).toContain('lost-write');
  });

  it('a scenario without pages has no page state', async () => {
    const { k } = await sample(scenario('lazy-exit'), '--arch x86', 1);
    expect(pgOf(k)).toBeNull();
  });
});

describe('pae-gup-fast-torn', () => {
  it('bisect over pae-lockless on x86-pae names 07 as the fix', async () => {
    const w = parseConfigString('--arch x86-pae');
    const r = await bisect(scenario('pae-gup-fast-torn'), 'pae-lockless', w, { strategy: 'random', budget: 1000, seed: 1, maxSteps: 20000 });
    expect(r.result?.first.id).toBe('pae-lockless/07');
    expect(r.result?.direction).toBe('fixes');
    expect(r.counterexample?.violation.oracle).toBe('torn-read');
  });
});

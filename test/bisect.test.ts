// bisect logic on synthetic series (the real series' bisect results are tested with them).
import { describe, it, expect, afterEach } from 'vitest';
import { SERIES } from '../patches/index.ts';
import { definePatch, YIELD, NEXT, type SeriesDef, type PatchDef } from '../core/model/index.ts';
import { bisect } from '../core/lab/bisect.ts';
import { emptyWords } from '../core/lab/config.ts';
import { scenario, cli } from './helpers.ts';

type Body = PatchDef['apply'];
const noop: Body = () => {};
const dropGrab: Body = (r) => r.remove('context_switch', 'mmgrab_lazy');
const restoreGrab: Body = (r) => r.add('context_switch', 'mmgrab_lazy', (k, x, f) => {
  if (f.next_mm !== 0 || f.prev_mm === 0) return NEXT;
  k.atomicAdd(x, f.prev_active_mm + 1, 1); // mm->mm_count (MM_COUNT == 1)
  return YIELD;
}, { after: 'next_active_mm' });

function mkSeries(id: string, bodies: [Body, string[]?][]): SeriesDef {
  const s: SeriesDef = {
    id, title: 'synthetic', author: 'test', date: '2026-01-01', base: '5.16.0',
    patches: bodies.map(([apply, req], i) => definePatch({
      id: `${id}/${String(i + 1).padStart(2, '0')}`, series: id, index: i + 1, title: `patch ${i + 1}`,
      requires: (req ?? []).map((n) => `${id}/${n}`), effect: 'behaviour', seed: 'test', apply,
    })),
  };
  SERIES.push(s);
  return s;
}
afterEach(() => { for (let i = SERIES.length - 1; i >= 0; i--) if (SERIES[i].id.startsWith('t-')) SERIES.splice(i, 1); });

const opts = { strategy: 'dfs' as const, budget: 300, seed: 1, maxSteps: 20000 };
const base = () => ({ ...emptyWords(), arch: 'x86' });

describe('bisect', () => {
  it('names the patch that introduces a violation', async () => {
    mkSeries('t-intro', [[noop], [noop], [dropGrab], [noop], [noop]]);
    const r = await bisect(scenario('lazy-exit'), 't-intro', base(), opts);
    expect(r.result).toEqual({ first: { id: 't-intro/03', title: 'patch 3' }, direction: 'introduces' });
    expect(r.counterexample?.violation.oracle).toBeTruthy();
    expect(r.steps.length).toBeLessThanOrEqual(5);
  });
  it('names the patch that fixes a violation', async () => {
    mkSeries('t-break', [[dropGrab]]);
    mkSeries('t-fix', [[noop], [restoreGrab], [noop]]);
    const r = await bisect(scenario('lazy-exit'), 't-fix', { ...base(), apply: ['t-break'] }, opts);
    expect(r.result).toEqual({ first: { id: 't-fix/02', title: 'patch 2' }, direction: 'fixes' });
  });
  it('reports no change when both ends agree', async () => {
    mkSeries('t-same', [[dropGrab], [restoreGrab]]);
    const r = await bisect(scenario('lazy-exit'), 't-same', base(), opts);
    expect(r.result).toBeNull();
  });
  it('skips an untestable configuration (git bisect skip) and reports the range', async () => {
    // 1-3 is refused: patch 3 requires patch 4, so only 1-2 (good) and 1-4 (bad) can be tested.
    mkSeries('t-skip', [[noop], [noop], [dropGrab, ['04']], [noop], [noop]]);
    const r = await bisect(scenario('lazy-exit'), 't-skip', base(), opts);
    expect(r.steps.find((s) => s.k === 3)?.verdict).toBe('skip');
    expect(r.result).toBeNull();
    expect(r.range).toEqual({ from: 't-skip/03', to: 't-skip/04' });
  });
});

describe('bisect flags of the other kind', () => {
  it('says --runs is unused in a schedule bisect instead of dropping it silently', async () => {
    const r = await cli('bisect', 'exit-mm-leak', '--series', 'lazy-mm', '--arch', 'x86', '--runs', '4');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/--runs 4 is not used/);
    expect(r.out).toMatch(/first bad patch: lazy-mm\/16/);
  });
});

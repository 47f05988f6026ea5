import { describe, it, expect } from 'vitest';
import { cli, scenario, exploreWith } from './helpers.ts';

describe('list hooks', () => {
  it('lists the four named hooks with their steps in call order', async () => {
    const r = await cli('list', 'hooks', '--arch', 'x86', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const by = new Map(j.hooks.map((h: { name: string; steps: { name: string }[] }) => [h.name, h.steps.map((s) => s.name)]));
    for (const h of ['finish_task_switch', 'switch_mm_irqs_off', '__mmput', 'tlb_flush_mmu']) expect((by.get(h) as string[]).length).toBeGreaterThan(0);
    expect(by.get('finish_task_switch')).toEqual(['take_prev_mm', 'finish_lock_switch', 'sync_core_prev_mm', 'mmdrop_prev_mm', 'put_task_struct']);
    expect(by.get('__mmput')).toEqual(['exit_mmap', 'mmdrop']);
    const cs = by.get('context_switch') as string[];
    expect(cs.indexOf('mmgrab_lazy')).toBeLessThan(cs.indexOf('switch_to'));
  });

  it('shows a dropped step as gone', async () => {
    const r = await cli('list', 'hooks', '--drop-step', 'context_switch.mmgrab_lazy', '--json');
    const j = JSON.parse(r.out);
    const cs = j.hooks.find((h: { name: string }) => h.name === 'context_switch').steps.map((s: { name: string }) => s.name);
    expect(cs).not.toContain('mmgrab_lazy');
  });
});

describe('lazy-exit', () => {
  it('is clean on the x86 baseline under DFS (at least 100 schedules)', async () => {
    const r = await exploreWith(scenario('lazy-exit'), '--arch x86', { strategy: 'dfs', budget: 2000 });
    expect(r.violations).toEqual([]);
    expect(r.schedulesExplored).toBeGreaterThanOrEqual(100);
  });

  it('reports a use-after-free without the lazy mmgrab, and the schedule replays it', async () => {
    const r = await cli('explore', 'lazy-exit', '--arch', 'x86', '--drop-step', 'context_switch.mmgrab_lazy', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.violations.some((v: { oracle: string }) => v.oracle === 'kasan')).toBe(true);
    const sched = j.violations[0].schedule;
    const rr = await cli('run', 'lazy-exit', '--arch', 'x86', '--drop-step', 'context_switch.mmgrab_lazy', '--schedule', sched, '--json');
    expect(rr.code).toBe(1);
    const jj = JSON.parse(rr.out);
    expect(jj.violations.map((v: { message: string }) => v.message)).toEqual(j.violations.map((v: { message: string }) => v.message));
  });
});

describe('bad input exits 2 with one line naming the problem', () => {
  const cases: [string[], RegExp][] = [
    [['explore', 'no-such-scenario'], /unknown scenario 'no-such-scenario'/],
    [['explore', 'lazy-exit', '--arch', 'vax'], /unknown arch 'vax'/],
    [['explore', 'lazy-exit', '--apply', 'no-such-series'], /unknown series 'no-such-series'/],
    [['explore', 'lazy-exit', '--drop-step', 'context_switch.nope'], /unknown step 'context_switch.nope'/],
    [['explore', 'lazy-exit', '--apply', 'lazy-mm:9-'], /malformed patch spec/],
    [['explore', 'lazy-exit', '--set', 'NOEQUALS'], /malformed --set/],
    [['run', 'lazy-exit', '--schedule', '0.x.1'], /malformed schedule token 'x'/],
    [['explore', './no/such/file.ts'], /does not exist/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [argv, re] of cases) {
    it(argv.join(' '), async () => {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });
  }
});

describe('determinism', () => {
  it('the same seed gives the same JSON', async () => {
    const a = await cli('explore', 'lazy-exit', '--strategy', 'random', '--seed', '7', '--budget', '200', '--json');
    const b = await cli('explore', 'lazy-exit', '--strategy', 'random', '--seed', '7', '--budget', '200', '--json');
    expect(a.out).toBe(b.out);
    const c = await cli('run', 'lazy-flush', '--seed', '3', '--json');
    const d = await cli('run', 'lazy-flush', '--seed', '3', '--json');
    expect(c.out).toBe(d.out);
  });
});

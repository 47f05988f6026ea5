// The shoot-lazies series (Nick Piggin, v6.4) and Andy Lutomirski's NACK of it (seed 004), through
// the command line: Kconfig of the two options, the KASAN check site, the acceptance runs and bisect.
// Scenario verdicts (powerpc clean, x86 forced / SHOOTDOWN=y use-after-free) are lazy-exit's
// `expect` lines, checked by scenarios.test.ts.
import { describe, it, expect } from 'vitest';
import { cli } from './helpers.ts';

const HACK = ['--arch', 'x86', '--set', 'MMU_LAZY_TLB_REFCOUNT=n', '--set', 'MMU_LAZY_TLB_SHOOTDOWN=n'];
const NACK = [...HACK, '--apply', 'shoot-lazies'];

describe('shoot-lazies: Andy\'s NACK on x86 (seed 004)', () => {
  it('REFCOUNT=n without SHOOTDOWN is refused without --force, naming the option', async () => {
    const r = await cli('explore', 'lazy-exit', ...NACK);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/MMU_LAZY_TLB_REFCOUNT=n without MMU_LAZY_TLB_SHOOTDOWN on x86 is not reachable/);
  });

  it('with --force the explorer reports a use-after-free of active_mm in context_switch, and the schedule replays it', async () => {
    const r = await cli('explore', 'lazy-exit', ...NACK, '--force', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    // the primary violation is the fatal one; __mmdrop's WARN_ON_ONCE(mm == current->active_mm) came first
    const v = j.violations.find((x: { oracle: string }) => x.oracle === 'kasan');
    expect(v).toBeDefined();
    expect(v.message).toMatch(/^use-after-free read of \S+ in kasan_check_byte\(prev->active_mm\)/);
    expect(v.step).toBe('context_switch.kasan_check_byte');
    const rr = await cli('run', 'lazy-exit', ...NACK, '--force', '--schedule', v.schedule, '--json');
    expect(rr.code).toBe(1);
    expect(JSON.parse(rr.out).violations.map((x: { message: string }) => x.message)).toContain(v.message);
  });

  it('without the KASAN check site only __mmdrop\'s WARN is left ("appears to work as long as kasan isn\'t in play")', async () => {
    const r = await cli('explore', 'lazy-exit', ...NACK, '--force', '--drop-step', 'context_switch.kasan_check_byte', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.violations.map((v: { oracle: string }) => v.oracle)).not.toContain('kasan');
    expect(j.violations[0].oracle).toBe('warn');
    expect(j.violations[0].message).toMatch(/WARN_ON_ONCE\(mm == current->active_mm\) in __mmdrop/);
  });

  it('bisect names 03 as the patch that introduces it', async () => {
    const r = await cli('bisect', 'lazy-exit', '--series', 'shoot-lazies', ...HACK, '--force', '--budget', '300', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.result.first.id).toBe('shoot-lazies/03');
    expect(j.result.first.title).toBe('lazy tlb: allow lazy tlb mm refcounting to be configurable');
    expect(j.result.direction).toBe('introduces');
  });
});

describe('shoot-lazies on powerpc', () => {
  it('explores clean, and the shootdown IPIs are what keeps it so', async () => {
    const r = await cli('explore', 'lazy-exit', '--arch', 'powerpc', '--apply', 'shoot-lazies', '--budget', '1000', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.metrics.ipi_shoot_lazies).toBeGreaterThan(0);
    expect(j.metrics.lazy_tlb_shootdowns).toBeGreaterThan(0);
    // the refcount is gone: no lazy reference holds mm_count, so cleanup_lazy_tlbs has work to do
    const base = JSON.parse((await cli('explore', 'lazy-exit', '--arch', 'powerpc', '--budget', '1000', '--json')).out);
    expect(base.metrics.ipi_shoot_lazies ?? 0).toBe(0);
    expect(j.metrics.mm_count_rmw).toBeLessThan(base.metrics.mm_count_rmw);
  });

  it('--set MMU_LAZY_TLB_SHOOTDOWN=n MMU_LAZY_TLB_REFCOUNT=y is the refcounting scheme again (no shootdown IPIs)', async () => {
    const r = await cli('explore', 'lazy-exit', '--arch', 'powerpc', '--apply', 'shoot-lazies', '--set', 'MMU_LAZY_TLB_SHOOTDOWN=n', '--set', 'MMU_LAZY_TLB_REFCOUNT=y', '--budget', '300', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).metrics.ipi_shoot_lazies ?? 0).toBe(0);
  });
});

describe('shoot-lazies plumbing', () => {
  it('list hooks shows who owns the new steps', async () => {
    const r = await cli('list', 'hooks', '--arch', 'x86', '--apply', 'shoot-lazies', '--json');
    expect(r.code).toBe(0);
    const hooks = new Map(JSON.parse(r.out).hooks.map((h: { name: string; steps: { name: string; owner: string }[] }) => [h.name, h.steps]));
    const own = (h: string, s: string) => (hooks.get(h) as { name: string; owner: string }[]).find((x) => x.name === s)?.owner;
    expect(own('__mmdrop', 'cleanup_lazy_tlbs')).toBe('shoot-lazies/04');
    expect(own('context_switch', 'kasan_check_byte')).toBe('shoot-lazies/03');
    expect(own('context_switch', 'mmgrab_lazy')).toBe('shoot-lazies/02');
    expect(own('kthread_use_mm', 'set_active_mm')).toBe('shoot-lazies/01');
    const steps = (hooks.get('__mmdrop') as { name: string }[]).map((s) => s.name);
    expect(steps.indexOf('cleanup_lazy_tlbs')).toBeLessThan(steps.indexOf('mm_free_pgd'));
  });

  it('DEBUG_VM_SHOOT_LAZIES adds the check IPIs on powerpc', async () => {
    const r = await cli('run', 'lazy-exit', '--arch', 'powerpc', '--apply', 'shoot-lazies', '--set', 'DEBUG_VM_SHOOT_LAZIES=y', '--seed', '2', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).metrics.ipi_check_lazy_tlb).toBeGreaterThan(0);
  });
});

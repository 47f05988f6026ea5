import { describe, it, expect } from 'vitest';
import { cli } from './helpers.ts';

describe('user plugins and scenarios by path', () => {
  it('a user scenario loads and explores', async () => {
    const r = await cli('explore', 'test/fixtures/user-scenario.ts', '--budget', '200', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).scenario).toBe('user-two-threads');
  });
  it('a user plugin applies after the series and is listed as the owner of its change', async () => {
    const r = await cli('explore', 'lazy-exit', '--apply', 'test/fixtures/drop-grab-plugin.ts', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).config.patches).toEqual(['user/no-lazy-grab']);
  });
  it('a plugin that throws is reported by name, exit 2', async () => {
    const r = await cli('explore', 'lazy-exit', '--apply', 'test/fixtures/throwing-plugin.ts');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/my-broken-plugin.*boom/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
  it('a scenario that does not load exits 2 with one line', async () => {
    const r = await cli('explore', 'test/fixtures/broken-scenario.ts');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/does not load/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
  it('a runaway scenario stops at the step budget with exit 2', async () => {
    const r = await cli('explore', 'test/fixtures/runaway-scenario.ts', '--budget', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/step budget/);
  });
});

// --shard k/n run as n separate commands and merged prints what the unsharded command prints,
// byte for byte apart from timings (n = 1, 3, 4; explore random and exhaustive, bisect, an ab
// sweep); --jobs 2 prints what --jobs 1 prints; merge refuses a missing or duplicated shard.
// The commands run in-process here (the shard's partial result is its stdout); test/scale-out.test.ts
// runs the recipes as separate processes.
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, untimed } from './helpers.ts';

/** The files a sweep wrote (CSV, SVG), by name. */
const filesIn = (d: string) => Object.fromEntries(fs.readdirSync(d).sort().map((f) => [f, fs.readFileSync(path.join(d, f), 'utf8')]));

let dir = '';
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-shard-')); });

async function sharded(args: string[], n: number): Promise<{ code: number; out: string; err: string }> {
  const files: string[] = [];
  for (let k = 1; k <= n; k++) {
    const r = await cli(...args, '--shard', `${k}/${n}`, '--jobs', '1');
    expect(r.code, r.err).toBe(0);
    const f = path.join(dir, `part-${args[0]}-${k}-of-${n}.json`);
    fs.writeFileSync(f, r.out);
    files.push(f);
  }
  return cli('merge', ...files);
}

const CASES: [string, string[]][] = [
  ['explore random', ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'random', '--budget', '300']],
  ['explore random, a violation', ['explore', 'lazy-exit', '--arch', 'x86', '--drop-step', 'context_switch.mmgrab_lazy', '--strategy', 'random', '--budget', '300', '--json']],
  ['explore pct', ['explore', 'litmus-membarrier', '--arch', 'x86', '--drop-step', 'ipi_mb.smp_mb', '--strategy', 'pct', '--budget', '300', '--json']],
  ['explore exhaustive (verify)', ['explore', 'kthread-exec-flush', '--arch', 'x86', '--strategy', 'verify']],
  ['explore exhaustive (bounded dfs, budget spent inside a subtree)', ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'dfs', '--budget', '700', '--json']],
  ['bisect', ['bisect', 'exit-mm-leak', '--series', 'lazy-mm', '--arch', 'x86']],
];

describe('--shard k/n, then merge, prints the unsharded output', () => {
  for (const [what, args] of CASES) {
    it(what, async () => {
      const whole = await cli(...args, '--jobs', '1');
      expect(whole.code).toBeLessThan(2);
      for (const n of [1, 3, 4]) {
        const m = await sharded(args, n);
        expect(m.err).toBe('');
        expect(m.code, `n = ${n}`).toBe(whole.code);
        expect(untimed(m.out), `n = ${n}`).toBe(untimed(whole.out));
      }
    }, 600_000);
  }

  it('an ab sweep (text, JSON and the CSV it writes)', async () => {
    const out = (x: string) => path.join(dir, x);
    const args = (o: string) => ['ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86 --apply lazy-mm', '--runs', '2', '--cpus', '2,4', '--out', out(o)];
    const whole = await cli(...args('whole'), '--jobs', '1');
    expect(whole.code).toBe(0);
    for (const n of [1, 3, 4]) {
      const m = await sharded(args(`n${n}`), n);
      expect(untimed(m.out).replaceAll(out(`n${n}`), 'OUT')).toBe(untimed(whole.out).replaceAll(out('whole'), 'OUT'));
      const written = filesIn(out(`n${n}`));
      expect(Object.keys(written).some((f) => f.endsWith('.csv'))).toBe(true);
      expect(written).toEqual(filesIn(out('whole')));
    }
    const j = await sharded([...args('json'), '--json'], 3);
    const w = await cli(...args('json'), '--json', '--jobs', '1');
    expect(untimed(j.out).replaceAll(out('json'), 'OUT')).toBe(untimed(w.out).replaceAll(out('json'), 'OUT'));
  }, 600_000);

  it('the verify-all table', async () => {
    const args = ['verify', 'exit-mm-leak|lazy-mmu-.*', '--json'];
    const whole = await cli(...args, '--jobs', '1');
    const m = await sharded(args, 3);
    expect(m.code).toBe(whole.code);
    expect(untimed(m.out)).toBe(untimed(whole.out));
  }, 300_000);

  it('merge --json prints the JSON of a text command', async () => {
    const args = ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'random', '--budget', '100'];
    const f = path.join(dir, 'one.json');
    fs.writeFileSync(f, (await cli(...args, '--shard', '1/1')).out);
    const m = await cli('merge', '--json', f);
    const w = await cli(...args, '--json', '--jobs', '1');
    expect(untimed(m.out)).toBe(untimed(w.out));
  });
});

describe('lazymm merge refuses what it cannot merge (exit 2, naming the shard)', () => {
  const args = ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'random', '--budget', '200'];
  const parts: string[] = [];
  beforeAll(async () => {
    for (let k = 1; k <= 3; k++) {
      const f = path.join(dir, `m-${k}.json`);
      fs.writeFileSync(f, (await cli(...args, '--shard', `${k}/3`)).out);
      parts.push(f);
    }
  });

  it('a missing shard', async () => {
    const r = await cli('merge', parts[0], parts[2]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('missing shard 2/3');
  });
  it('a shard given twice', async () => {
    const r = await cli('merge', parts[0], parts[1], parts[1], parts[2]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('duplicated shard 2/3');
  });
  it('a shard that was killed while writing (empty or cut short)', async () => {
    const cut = path.join(dir, 'cut.json');
    fs.writeFileSync(cut, fs.readFileSync(parts[1], 'utf8').slice(0, 40));
    const r = await cli('merge', parts[0], cut, parts[2]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('missing shard 2/3');
    expect(r.err).toContain('cut.json is not a complete partial result');
  });
  it('shards of another command', async () => {
    const other = path.join(dir, 'other.json');
    fs.writeFileSync(other, (await cli('explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'random', '--budget', '201', '--shard', '2/3')).out);
    const r = await cli('merge', parts[0], other, parts[2]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/other\.json is from another command/);
  });
  it('a bad --shard', async () => {
    for (const s of ['0/3', '4/3', '1', 'a/b']) {
      const r = await cli(...args, '--shard', s);
      expect(r.code).toBe(2);
      expect(r.err).toContain('--shard takes k/n');
    }
  });
  it('--search bfs does not shard (one search shared by threads)', async () => {
    const r = await cli('explore', 'exit-mm-leak', '--strategy', 'verify', '--search', 'bfs', '--shard', '1/2');
    expect(r.code).toBe(2);
    expect(r.err).toContain('cannot be split across --shard processes');
  });
});

describe('--jobs 2 prints what --jobs 1 prints', () => {
  const CASES2: string[][] = [
    ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'random', '--budget', '400', '--json'],
    ['explore', 'lazy-exit', '--arch', 'x86', '--drop-step', 'context_switch.mmgrab_lazy', '--strategy', 'pct', '--budget', '400'],
    ['explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'dfs', '--budget', '600', '--json'],
    ['explore', 'kthread-use-mm', '--arch', 'x86', '--drop-step', 'kthread_use_mm.mmgrab_active_mm', '--strategy', 'dfs', '--budget', '3000'],
    ['bisect', 'exit-mm-leak', '--series', 'lazy-mm', '--arch', 'x86', '--json'],
    ['verify', 'exit-mm-leak|lazy-mmu-preempt'],
    ['matrix', 'exit-mm-leak', '--json'],
  ];
  for (const args of CASES2) {
    it(args.slice(0, 2).join(' ') + ' ' + args.slice(2).filter((a) => !a.startsWith('--')).join(' '), async () => {
      const one = await cli(...args, '--jobs', '1');
      const two = await cli(...args, '--jobs', '2');
      expect(two.err).toBe(one.err);
      expect(two.code).toBe(one.code);
      expect(untimed(two.out)).toBe(untimed(one.out));
    }, 300_000);
  }
});

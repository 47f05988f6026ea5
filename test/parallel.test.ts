// The pieces --jobs and --shard rest on: random/PCT schedules that any range of indexes gives the
// same way; the bounded DFS cut into subtrees that add up to the serial search; the breadth-first
// search over a hash-partitioned visited set, which stores exactly the states the depth-first
// search stores, with the same result however many threads own them; the partial-result codec.
import { describe, it, expect } from 'vitest';
import { parseConfigString, resolveConfig, buildKernel } from '../core/lab/config.ts';
import { explore, sampleRange, scheduleSeed, pctSteps } from '../core/model/drivers/explore.ts';
import { dfsExplore } from '../core/model/drivers/dfs.ts';
import { dfsUnits } from '../core/model/drivers/dfs-split.ts';
import { BfsHost, edgeLess, type Candidate } from '../core/model/drivers/verify-bfs.ts';
import { verifyBfsOn } from '../core/lab/parallel/verify-bfs.ts';
import { LocalRunner } from '../core/lab/parallel/runner.ts';
import { encode, decode } from '../core/lab/parallel/codec.ts';
import { scenario } from './helpers.ts';

async function kernel(name: string, config: string) {
  const sc = scenario(name);
  const words = parseConfigString(config);
  return { sc, words, k: buildKernel(await resolveConfig(words, sc)), maxSteps: sc.maxSteps ?? 20000 };
}

describe('random and PCT schedules by index', () => {
  it('neighbouring seeds and indexes give unrelated generators', () => {
    const seen = new Set<number>();
    for (let s = 1; s <= 20; s++) for (let i = 0; i < 200; i++) seen.add(scheduleSeed(s, i));
    expect(seen.size).toBe(4000);
  });

  it('schedules [0, n) in two pieces are the schedules of one piece', async () => {
    const { sc, k, maxSteps } = await kernel('lazy-exit', '--arch x86');
    for (const strategy of ['random', 'pct'] as const) {
      const o = { strategy, budget: 90, seed: 5, maxSteps };
      const kEst = pctSteps(k, sc, o);
      const all = sampleRange(k, sc, o, 0, 90, kEst);
      const a = sampleRange(k, sc, o, 0, 37, kEst), b = sampleRange(k, sc, o, 37, 90, kEst);
      expect(a.explored + b.explored).toBe(all.explored);
      expect(a.steps + b.steps).toBe(all.steps);
      for (const key of Object.keys(all.counters)) expect((a.counters[key] ?? 0) + (b.counters[key] ?? 0)).toBe(all.counters[key]);
    }
  });
});

describe('the bounded DFS cut into subtrees', () => {
  // Searched one after the other in DFS order, the subtrees make the serial search's schedules:
  // the same count, steps, counters and first violation.
  const cases: [string, string, number][] = [
    ['lazy-flush', '--arch x86', 2],
    ['kthread-use-mm', '--arch x86 --drop-step kthread_use_mm.mmgrab_active_mm', 2],
    ['lazy-efi', '--arch x86 --apply lazy-mm:1-19', 1],
  ];
  for (const [name, config, bound] of cases) {
    it(`${name} ${config}`, async () => {
      const { sc, k, maxSteps } = await kernel(name, config);
      const serial = dfsExplore(k, sc, { budget: 1e9, maxSteps, preemptionBound: bound });
      let explored = 0, steps = 0, found: number[] | null = null;
      const counters: Record<string, number> = {};
      const units = Array.from({ length: bound + 1 }, (_, b) => dfsUnits(k, sc, b, 64));
      expect(units.flat().length).toBeGreaterThan(bound + 2);
      outer: for (const us of units) {
        for (const u of us) {
          const r = dfsExplore(k, sc, { budget: 1e9, maxSteps, preemptionBound: bound, unit: u });
          explored += r.schedulesExplored;
          steps += r.steps;
          for (const key in r.counters) counters[key] = (counters[key] ?? 0) + r.counters[key];
          if (r.found) { found = r.found.events; break outer; }
        }
      }
      expect({ explored, steps, found, counters }).toEqual({ explored: serial.schedulesExplored, steps: serial.steps, found: serial.found?.events ?? null, counters: serial.counters });
    }, 120_000);
  }
});

describe('the breadth-first exhaustive search (--search bfs)', () => {
  // Sleep sets with the revisit rule never drop a reachable state: both searches store every one.
  const complete: [string, string][] = [
    ['lazy-flush', '--arch x86'], ['kthread-exec-flush', '--arch x86'], ['membarrier-ppc-switch', '--arch powerpc'], ['lazier-tlb-munmap', '--arch x86-4.18'],
  ];
  for (const [name, config] of complete) {
    it(`stores the states the depth-first search stores: ${name} ${config}`, async () => {
      const { sc, words, k, maxSteps } = await kernel(name, config);
      const o = { strategy: 'verify' as const, budget: 1_000_000, seed: 1, maxSteps };
      const dfs = explore(k, sc, o);
      const bfs = await verifyBfsOn(new LocalRunner(), { scenario: name, words }, k, sc, o);
      expect(dfs.coverage.kind).toBe('verified');
      expect(bfs.coverage.kind).toBe('verified');
      expect(bfs.verify!.states).toBe(dfs.verify!.states);
      expect(bfs.violations).toEqual([]);
    }, 120_000);
  }

  it('finds a violation the depth-first search finds, by a path no longer than its', async () => {
    const { sc, words, k, maxSteps } = await kernel('lazier-tlb-munmap', '--arch x86-4.18 --apply lazier-tlb:1-5');
    const o = { strategy: 'verify' as const, budget: 1_000_000, seed: 1, maxSteps };
    const dfs = explore(k, sc, { ...o, shortestBudget: 1_000_000 });
    const bfs = await verifyBfsOn(new LocalRunner(), { scenario: 'lazier-tlb-munmap', words }, k, sc, o);
    expect(bfs.violations[0].oracle).toBe(dfs.violations[0].oracle);
    expect(bfs.verify!.depth).toBeLessThanOrEqual(dfs.verify!.depth);
  }, 120_000);

  // The threads of --jobs, in one thread: hosts with kernels of their own, the transitions between
  // them packed as between workers. Any number of hosts stores the same states, takes the same
  // transitions and reports the same violation, found at the same level.
  async function hosts(name: string, config: string, n: number) {
    const { sc, k } = await kernel(name, config);
    const r = await resolveConfig(parseConfigString(config), sc);
    const hs = Array.from({ length: n }, (_, i) => new BfsHost(buildKernel(r), sc, i, n));
    const root = BfsHost.root(k, sc, n);
    let inbox: Int32Array[][] = Array.from({ length: n }, () => []);
    inbox[root.host].push(root.buf);
    let transitions = 0, states = 0, depth = 0, carry: Candidate[] = [];
    for (let level = 0; ; level++) {
      const outs = hs.map((h, i) => {
        for (const b of inbox[i]) h.receive(b);
        const finals = h.settle(level);
        return { finals, states: h.states, ex: h.expand() };
      });
      const total = outs.reduce((s, o) => s + o.states, 0);
      if (total > states) depth = level;
      states = total;
      const cands = carry.concat(...outs.map((o) => o.finals));
      if (cands.length) {
        const c = cands.reduce((b, x) => (edgeLess(x, b) ? x : b));
        return { states, transitions, depth, violation: c.violations[0].oracle, edge: [c.phi, c.plo, c.e] };
      }
      inbox = Array.from({ length: n }, () => []);
      let more = hs.some((h) => h.waiting > 0);
      carry = [];
      for (const o of outs) {
        transitions += o.ex.transitions;
        carry.push(...o.ex.candidates);
        o.ex.out.forEach((b, i) => { if (b) { more = true; inbox[i].push(b); } });
      }
      if (!more && !carry.length) return { states, transitions, depth, violation: null, edge: null };
    }
  }
  for (const [name, config] of [['kthread-use-mm', '--arch x86'], ['lazy-drop-irq', '--arch x86 --apply lazy-mm'], ['membarrier-kthread', '--arch x86 --apply lazy-mm:1-9']]) {
    it(`1, 2 and 3 hosts agree: ${name} ${config}`, async () => {
      const one = await hosts(name, config, 1);
      expect(await hosts(name, config, 2)).toEqual(one);
      expect(await hosts(name, config, 3)).toEqual(one);
    }, 120_000);
  }
});

describe('partial results', () => {
  it('round-trip typed arrays, NaN, infinities, -0, undefined and maps', () => {
    const v = { a: new Int32Array([1, -2]), b: [NaN, Infinity, -Infinity, -0, 0.1], c: undefined, d: new Map([[1, 'x']]), e: new Float64Array([NaN, 2.5]) };
    const back = decode(encode(v)) as typeof v;
    expect(back.a).toEqual(v.a);
    expect(back.b).toEqual(v.b);
    expect(Object.is(back.b[3], -0)).toBe(true);
    expect('c' in back && back.c === undefined).toBe(true);
    expect(back.d).toEqual(v.d);
    expect(Array.from(back.e)).toEqual([NaN, 2.5]);
  });
});

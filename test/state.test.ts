// The declared run state: snapshot/restore is sound, stateKey() identifies what decides the rest
// of an execution, and nothing of the run state lives outside the declared regions.
import { describe, it, expect } from 'vitest';
import { SCENARIOS } from '../scenarios/index.ts';
import { parseConfigString, resolveConfig, buildKernel } from '../core/lab/config.ts';
import { startRun, enabledEvents, execEvent, finishRun, enabledBuf } from '../core/model/engine.ts';
import { Rng } from '../core/model/drivers/explore.ts';
import { renderTrace } from '../core/model/trace.ts';
import type { Kernel, ScenarioDef } from '../core/model/index.ts';

/** Run from the current state, choosing with `choose`, for at most `n` events (Infinity: to the
 *  end); returns the events executed. */
function advance(k: Kernel, choose: (n: number) => number, n: number): number[] {
  const buf = enabledBuf(k);
  const out: number[] = [];
  while (out.length < n && !k.fatal) {
    const m = enabledEvents(k, buf);
    if (m === 0) break;
    const e = buf[choose(m)];
    execEvent(k, e);
    out.push(e);
  }
  return out;
}

/** Replay a list of events (each must be enabled). */
function replayEvents(k: Kernel, events: number[]) {
  const buf = enabledBuf(k);
  for (const e of events) {
    const m = enabledEvents(k, buf);
    let ok = false;
    for (let i = 0; i < m; i++) if (buf[i] === e) ok = true;
    if (!ok) throw new Error(`event ${e} not enabled`);
    execEvent(k, e);
  }
}

/** What an execution's suffix shows: its trace from `from` on, its violations, its final state. */
function outcome(k: Kernel, sc: ScenarioDef, traceFrom: number) {
  finishRun(k, sc);
  return { trace: renderTrace(k, k.trace.slice(traceFrom)), violations: k.violations, vector: Array.from(k.stateVector()), counters: k.counters };
}

const rngChoose = (seed: number) => { const rng = new Rng(seed); return (n: number) => (n === 1 ? 0 : rng.below(n)); };

async function kernelFor(sc: ScenarioDef, config?: string): Promise<Kernel> {
  return buildKernel(await resolveConfig(parseConfigString(config ?? sc.expect?.[0]?.config ?? '--arch x86'), sc));
}

describe('snapshot soundness', () => {
  for (const sc of SCENARIOS) {
    it(`${sc.name}: a restored snapshot continues exactly as a replay from boot`, async () => {
      const k = await kernelFor(sc);
      for (let seed = 1; seed <= 6; seed++) {
        // A prefix to a random point P, a detour elsewhere, then back to P and a suffix.
        startRun(k, sc, true);
        const prefix = advance(k, rngChoose(seed), 5 + ((seed * 37) % 60));
        const traceAtP = k.trace.length;
        const snap = k.snapshot();
        advance(k, rngChoose(seed + 100), Infinity); // the detour: another continuation to the end
        k.restore(snap);
        const suffix = advance(k, rngChoose(seed + 200), Infinity);
        const restored = outcome(k, sc, traceAtP);
        // The same schedule from boot.
        startRun(k, sc, true);
        replayEvents(k, prefix);
        const traceAt = k.trace.length;
        replayEvents(k, suffix);
        const fromBoot = outcome(k, sc, traceAt);
        expect(restored).toEqual(fromBoot);
      }
    });
  }
});

let pairsCompared = 0;
describe('stateKey', () => {
  for (const sc of SCENARIOS.filter((s) => !s.memoryModel || s.memoryModel === 'sc').slice(0, 12)) {
    it(`${sc.name}: states with equal keys from different prefixes continue identically`, async () => {
      const k = await kernelFor(sc);
      // Walk random prefixes; remember the first prefix that reached each key.
      const seen = new Map<string, number[]>();
      const pairs: [number[], number[]][] = [];
      for (let seed = 1; seed <= 200 && pairs.length < 8; seed++) {
        startRun(k, sc, false);
        const events: number[] = [];
        const choose = rngChoose(seed);
        const buf = enabledBuf(k);
        for (let d = 0; d < 400 && !k.fatal; d++) {
          const m = enabledEvents(k, buf);
          if (m === 0) break;
          const e = buf[choose(m)];
          execEvent(k, e);
          events.push(e);
          const key = k.stateKey();
          const first = seen.get(key);
          if (!first) seen.set(key, events.slice());
          else if (first.join() !== events.join() && pairs.length < 8) pairs.push([first, events.slice()]);
        }
      }
      pairsCompared += pairs.length;
      for (const [a, b] of pairs) {
        for (let s = 1; s <= 3; s++) {
          const run = (prefix: number[]) => {
            startRun(k, sc, false);
            replayEvents(k, prefix);
            const key = k.stateKey();
            const before = k.counters;
            k.tracing = true;
            const from = k.trace.length;
            const suffix = advance(k, rngChoose(s * 7919), Infinity);
            const out = outcome(k, sc, from);
            // counters count the whole execution: compare what the suffix added
            const added: Record<string, number> = {};
            for (const [c, v] of Object.entries(out.counters)) if (v !== (before[c] ?? 0)) added[c] = v - (before[c] ?? 0);
            return { key, suffix, out: { ...out, counters: added } };
          };
          const ra = run(a);
          const rb = run(b);
          expect(rb.key).toBe(ra.key);
          expect(rb.suffix).toEqual(ra.suffix);
          expect(rb.out).toEqual(ra.out);
        }
      }
    });
  }
});

describe('stateKey', () => {
  it('the comparison above was not vacuous: prefixes that reach the same state were found', () => {
    expect(pairsCompared).toBeGreaterThan(20);
  });
});

describe('declared state', () => {
  it('restore brings back every region, and every key region is part of the identity', async () => {
    const sc = SCENARIOS.find((s) => s.name === 'lazy-switch-exit')!;
    const k = await kernelFor(sc, '--arch x86');
    startRun(k, sc, false);
    advance(k, rngChoose(3), 40);
    const snap = k.snapshot();
    const vector = Array.from(k.stateVector());
    const key = k.stateKey();
    for (const r of k.runState.regions) {
      const live = r.live();
      if (r.opts.appendOnly) {
        // an index of allocations: words below its length never change; restore brings the length back
        r.n = live + 1;
        k.restore(snap);
        expect(r.n, `region ${r.name} length restored`).toBe(live);
        continue;
      }
      if (live === 0) continue;
      // Mutate one word of this region (the last live one), then restore.
      const i = live - 1;
      r.a[i] = (r.a[i] as number) + 1;
      if (r.opts.key && !r.opts.canon) expect(k.stateKey(), `region ${r.name} is part of the state's identity`).not.toBe(key);
      k.restore(snap);
      expect(Array.from(k.stateVector()), `region ${r.name} restored`).toEqual(vector);
    }
    expect(k.stateKey()).toBe(key);
  });

  it('a run continued from a restored state equals a run that never stopped, for every scenario', async () => {
    for (const sc of SCENARIOS) {
      const k = await kernelFor(sc);
      startRun(k, sc, false);
      const events = advance(k, rngChoose(11), Infinity);
      finishRun(k, sc);
      const straight = { vector: Array.from(k.stateVector()), violations: k.violations };
      // Stop at every tenth event, snapshot, scribble a different continuation, restore, go on.
      startRun(k, sc, false);
      for (let i = 0; i < events.length; i++) {
        if (i % 10 === 0) {
          const snap = k.snapshot();
          advance(k, rngChoose(i + 1), 25);
          k.restore(snap);
        }
        replayEvents(k, [events[i]]);
      }
      finishRun(k, sc);
      expect({ vector: Array.from(k.stateVector()), violations: k.violations }, sc.name).toEqual(straight);
    }
  });
});

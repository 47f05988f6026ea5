// The oracles of issue 12: multi-shot reports, reference ownership (leaks naming where a reference
// was taken), dangling pointers, oracles that read what the CPU sees, the observed membarrier
// checker under SC, bisect by signature, and the implicit barriers as named steps.
import { describe, it, expect } from 'vitest';
import { parseConfigString, resolveConfig, buildKernel } from '../core/lab/config.ts';
import { explore, Rng } from '../core/model/drivers/explore.ts';
import { startRun, enabledEvents, execEvent, finishRun, enabledBuf, runOnce } from '../core/model/engine.ts';
import { primaryViolation, refsConsistent, refsOf, defineScenario, L, type Kernel, type ScenarioDef, type ViolationMatch } from '../core/model/index.ts';
import { bisect, matcher, signatureOf } from '../core/lab/bisect.ts';
import { emptyWords } from '../core/lab/config.ts';
import { SCENARIOS } from '../scenarios/index.ts';
import { scenario, cli } from './helpers.ts';

async function kernel(sc: ScenarioDef, config: string): Promise<Kernel> {
  return buildKernel(await resolveConfig(parseConfigString(config), sc));
}
async function search(name: string, config: string, o: { strategy?: 'verify' | 'dfs' | 'pct' | 'random'; budget?: number; match?: ViolationMatch | null } = {}) {
  const sc = scenario(name);
  const k = await kernel(sc, config);
  return explore(k, sc, { strategy: o.strategy ?? sc.strategy ?? 'dfs', budget: o.budget ?? sc.budget ?? 3000, seed: 1, maxSteps: sc.maxSteps ?? 20000, match: o.match ?? null });
}

describe('multi-shot reports', () => {
  it('an execution goes on past a KASAN report; the first stays the headline; later distinct reports follow in order', async () => {
    const sc = scenario('lazy-exit');
    const k = await kernel(sc, '--arch x86 --drop-step context_switch.mmgrab_lazy');
    let seen = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Rng(seed);
      const r = runOnce(k, sc, { choose: (_e, n) => (n === 1 ? 0 : rng.below(n)) }, { maxSteps: 20000, trace: true });
      const fatal = r.violations.findIndex((v) => v.oracle === 'kasan' || v.oracle === 'lifetime');
      if (fatal < 0) continue;
      seen++;
      expect(primaryViolation(r.violations)).toEqual(r.violations[fatal]);
      // the execution did not stop at the report: more happened after it (more reports, or the
      // program ran to its end)
      const at = k.trace.findIndex((l) => l.text.startsWith('!! '));
      expect(k.trace.length).toBeGreaterThan(at + 1);
      // distinct messages only
      expect(new Set(r.violations.map((v) => v.message)).size).toBe(r.violations.length);
    }
    expect(seen).toBeGreaterThan(5);
  });

  it('a later use of freed memory is reported too (freed memory keeps its contents: no model crash)', async () => {
    const r = await search('lazy-exit', '--arch x86 --drop-step context_switch.mmgrab_lazy', { strategy: 'random', budget: 200 });
    expect(r.violations.filter((v) => v.oracle === 'kasan').length).toBeGreaterThan(1);
  });
});

describe('reference ownership', () => {
  it('every mm_count and mm_users reference is tracked with an owner, at every event, in every scenario configuration', async () => {
    let checked = 0;
    for (const sc of SCENARIOS) {
      for (const e of sc.expect ?? []) {
        const k = await kernel(sc, e.config);
        for (let seed = 1; seed <= 3; seed++) {
          const rng = new Rng(seed);
          startRun(k, sc, false);
          const buf = enabledBuf(k);
          for (let n = 0; !k.fatal && n < 20000; n++) {
            const m = enabledEvents(k, buf);
            if (m === 0) break;
            execEvent(k, buf[m === 1 ? 0 : rng.below(m)]);
            if (k.hasFatal) break; // past a use-after-free the counters are what the bug made them
            const bad = refsConsistent(k);
            expect(bad, `${sc.name} ${e.config} seed ${seed} event ${n}`).toBeNull();
            checked++;
          }
          finishRun(k, sc);
        }
      }
    }
    expect(checked).toBeGreaterThan(20000);
  }, 600_000);

  it('both threads exit, both CPUs stay lazily on P: clean with lazy-mm:1-15 (verified), a leak naming exit_mm\'s reference with 1-16', async () => {
    const clean = await search('exit-lazy-leak', '--arch x86 --apply lazy-mm:1-15', { strategy: 'verify', budget: 100000 });
    expect(clean.violations).toEqual([]);
    expect(clean.coverage.kind).toBe('verified');
    const r = await search('exit-lazy-leak', '--arch x86 --apply lazy-mm:1-16', { strategy: 'verify', budget: 100000 });
    const leak = r.violations.find((v) => v.oracle === 'leak');
    expect(leak?.message).toMatch(/^P leaked: .*no owner holds the mm_count reference taken in exit_mm\.mmgrab \(x2\)$/);
  });

  it('a lazy CPU is an owner only where the kernel counts it: the lazy active_mm owns exit_mm\'s reference with 1-15, nothing does with 1-16', async () => {
    const sc = scenario('exit-lazy-leak');
    const lastRefs = async (config: string) => {
      const k = await kernel(sc, config);
      runOnce(k, sc, { choose: () => 0 }, { maxSteps: 20000 });
      return refsOf(k, k.mmByName('P'));
    };
    expect(await lastRefs('--arch x86 --apply lazy-mm:1-15')).toEqual(expect.arrayContaining([expect.stringMatching(/^mm_count swapper\/\d->active_mm <- exit_mm\.mmgrab$/)]));
    for (const r of await lastRefs('--arch x86 --apply lazy-mm:1-16')) expect(r).toMatch(/^mm_count cpu\d's task context <- exit_mm\.mmgrab$/);
  });

  it('rq->lazy_mm, a hazard pointer, owns nothing and hides nothing', async () => {
    // K leaves cpu1 lazily on P (rq1->lazy_mm == P after lazy-mm/16), then P's thread exits.
    const sc = defineScenario({
      name: 'hazard-hides-nothing', description: 'K borrows P on cpu1 and goes lazy on it; P.t0 exits', cpus: { default: 2, min: 2, max: 2 },
      setup(b) {
        b.process('P');
        b.thread('P.t0', { mm: 'P', cpu: 0, prog: [{ op: 'touch' }, { op: 'wait' }, { op: 'exit' }] });
        b.kthread('K', { cpu: 1, prog: [{ op: 'mmget_not_zero', mm: 'P' }, { op: 'kthread_use_mm', mm: 'P' }, { op: 'touch' }, { op: 'kthread_unuse_mm' }, { op: 'mmput', mm: 'P' }, { op: 'wake', task: 'P.t0' }] });
      },
    });
    const k = await kernel(sc, '--arch x86 --apply lazy-mm:1-16');
    let shown = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const rng = new Rng(seed);
      const r = runOnce(k, sc, { choose: (_e, n) => (n === 1 ? 0 : rng.below(n)) }, { maxSteps: 20000 });
      const P = k.mmByName('P');
      if (k.peek(k.rq[1] + L.RQ_LAZY_MM) !== P) continue;
      shown++;
      expect(r.violations.find((v) => v.oracle === 'leak')?.message).toMatch(/no owner holds the mm_count reference taken in exit_mm\.mmgrab$/);
      for (const ref of refsOf(k, P)) expect(ref).not.toMatch(/^\S+ rq\d->lazy_mm /); // owners are never the hazard pointer
    }
    expect(shown).toBeGreaterThan(0);
  });
});

describe('dangling pointers', () => {
  it('the patch-16 steal race with the re-load dropped: found by the explorer, reported although nothing dereferences the freed mm', async () => {
    const r = await search('lazy-mm-steal-race', '--arch x86 --apply lazy-mm:1-20 --drop-step __try_mm_drop_rq_ref.reload_lazy_mm');
    const d = r.violations.find((v) => v.oracle === 'dangling');
    expect(d?.message).toMatch(/^X \(freed by cpu\d __mmdrop\) is still pointed to by rq1->lazy_mm, swapper\/1->active_mm$/);
    // this execution never touches X after the free: no KASAN report at all
    expect(r.violations.filter((v) => v.oracle === 'kasan')).toEqual([]);
    // and with the re-load the race is gone
    const ok = await search('lazy-mm-steal-race', '--arch x86 --apply lazy-mm:1-20', { match: matcher({ oracle: 'dangling', match: null, from: 'user' }) });
    expect(ok.violations).toEqual([]);
  });

  it('at a context switch, before the switch dereferences anything', async () => {
    const r = await search('lazy-flush', '--arch x86 --drop-step exit_mm.mmgrab', { strategy: 'random', budget: 500 });
    const i = r.violations.findIndex((v) => v.oracle === 'dangling');
    expect(r.violations[i]?.message).toMatch(/^P \(freed by cpu\d __mmdrop\) is still pointed to by swapper\/\d->active_mm/);
    expect(r.violations[i]?.step).toBe('__schedule.rq_lock');
    expect(r.violations.slice(0, i).map((v) => v.oracle)).not.toContain('kasan');
  });
});

describe('oracles read what the CPU sees', () => {
  it('powerpc + shoot-lazies litmus-sb: no WARN in __mmdrop anywhere in the state space (the store-buffering outcome is all TSO allows)', async () => {
    const r = await search('litmus-sb', '--arch powerpc --apply shoot-lazies', { strategy: 'verify', budget: 200000, match: matcher({ oracle: 'warn', match: null, from: 'user' }) });
    expect(r.violations).toEqual([]);
    expect(r.coverage.kind).toBe('verified');
  });
  it('powerpc + shoot-lazies litmus-membarrier: verified clean', async () => {
    const r = await search('litmus-membarrier', '--arch powerpc --apply shoot-lazies', { strategy: 'verify', budget: 200000 });
    expect(r.violations).toEqual([]);
    expect(r.coverage.kind).toBe('verified');
  });
});

describe('the observed membarrier checker', () => {
  const cfg = '--arch powerpc --apply lazy-mm:1-6 --without lazy-mm/04 --force --set lazy_mm_06=fixed --set membarrier_checker=observed';
  it('is quiet under SC, where no reordering exists (verified)', async () => {
    const r = await search('membarrier-ppc-switch', `${cfg} --set memory_model=sc`, { strategy: 'verify', budget: 200000 });
    expect(r.violations).toEqual([]);
    expect(r.coverage.kind).toBe('verified');
  });
  it('reports the skipped CPU whose load passed its buffered switch under TSO, with the forbidden outcome', async () => {
    const r = await search('membarrier-ppc-switch', cfg);
    expect(r.violations[0]?.message).toMatch(/^observed: membarrier\(\) on cpu0 skipped cpu1, which had already loaded user memory of P while its switch to P was still in its store buffer/);
    expect(r.violations.map((v) => v.oracle)).toContain('outcome');
  });
});

describe('implicit barriers by name', () => {
  it('x86\'s lazy same-mm smp_mb() and mmdrop()\'s fully ordered atomic are steps --drop-step removes one by one', async () => {
    const base = '--arch x86';
    const mb = '--drop-step switch_mm_irqs_off.smp_mb';
    const atomic = '--drop-step mmdrop.__atomic_pre_full_fence --drop-step mmdrop.__atomic_post_full_fence';
    for (const c of [`${base} ${mb}`, `${base} ${atomic}`]) {
      const r = await search('sync-core-lazy', c, { strategy: 'verify', budget: 100000 });
      expect(r.violations, c).toEqual([]);
      expect(r.coverage.kind).toBe('verified');
    }
    const r = await search('sync-core-lazy', `${base} ${mb} ${atomic}`, { strategy: 'verify', budget: 100000 });
    expect(r.violations[0]?.message).toMatch(/^strict rule: cpu1 accesses user memory of P with no full barrier after the store that made it rq->curr->mm$/);
  });
  it('list hooks shows them with their owners', async () => {
    const r = await cli('list', 'hooks', '--arch', 'x86', '--json');
    const hooks = JSON.parse(r.out).hooks as { name: string; steps: { name: string; owner: string }[] }[];
    expect(hooks.find((h) => h.name === 'mmdrop')!.steps.map((s) => s.name)).toEqual(['__atomic_pre_full_fence', 'atomic_dec_and_test', '__atomic_post_full_fence', '__mmdrop']);
    expect(hooks.find((h) => h.name === 'switch_mm_irqs_off')!.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['same_mm', 'smp_mb', 'check_tlb_gen']));
  });
});

describe('bisect by signature', () => {
  it('signatures wildcard numbers', () => {
    const s = signatureOf({ oracle: 'lifetime', message: 'pgd of P freed while cpu1\'s CR3 still points to it', cpu: 0, step: '' });
    const m = matcher(s);
    const v = (oracle: string, message: string) => ({ oracle, message, cpu: 0, step: '' });
    expect(m(v('lifetime', 'pgd of P freed while cpu2\'s CR3 still points to it'))).toBe(true);
    expect(m(v('kasan', 'pgd of P freed while cpu2\'s CR3 still points to it'))).toBe(false);
    expect(m(v('lifetime', 'page tables of P freed while cpu1 may still walk them'))).toBe(false);
  });
  it('hotplug-lazy-mmput --match \'pgd of P freed\' names lazy-mm/16 with no --drop-step; the baseline\'s page-table report is "other"', async () => {
    const r = await bisect(scenario('hotplug-lazy-mmput'), 'lazy-mm', { ...emptyWords(), arch: 'x86' },
      { strategy: 'auto', budget: 5000, verifyBudget: 1_000_000, seed: 1, maxSteps: 20000, fallback: 'dfs', match: 'pgd of P freed' });
    expect(r.result).toEqual({ first: { id: 'lazy-mm/16', title: 'sched: Use lightweight hazard pointers to grab lazy mms' }, direction: 'introduces' });
    const none = r.steps.find((s) => s.k === 0)!;
    expect(none.verdict).toBe('other');
    expect(none.violation?.message).toMatch(/^page tables of P freed/);
    expect(r.signature).toEqual({ oracle: null, match: 'pgd of P freed', from: 'user' });
  }, 600_000);
  it('--oracle and --match on the command line: an unknown oracle or a bad regex is exit 2', async () => {
    expect((await cli('bisect', 'exit-mm-leak', '--series', 'lazy-mm', '--arch', 'x86', '--oracle', 'nope')).code).toBe(2);
    expect((await cli('bisect', 'exit-mm-leak', '--series', 'lazy-mm', '--arch', 'x86', '--match', '(')).code).toBe(2);
  });
});

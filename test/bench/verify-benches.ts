// npm run bench verify: the exhaustive search on every built-in scenario, and how its verdicts
// compare with bounded DFS and PCT. Figures, not assertions (test/scenarios.test.ts asserts the
// verdicts; this prints states and seconds on this machine).
//   1. each scenario's default configuration (no flags): verified or its violation found, states,
//      transitions, seconds (target: each under 10 s on one core)
//   2. `lazymm explore lazy-exit --arch x86 --strategy verify` end to end, CLI start to verdict
//   3. the lazy-mm/16 steal race with the re-load dropped: verify against DFS bound 2, random, PCT
//   4. every expectation: verify, DFS (bound 2) and PCT side by side, disagreements explained
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from './benches.ts';
import { parseConfigString, resolveConfig, buildKernel } from '../../core/lab/config.ts';
import { explore, type Strategy, type ExploreResult } from '../../core/model/drivers/explore.ts';
import { primaryViolation, type ScenarioDef, type Kernel } from '../../core/model/index.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import { UntestableError } from '../../core/lab/errors.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VERIFY_STATES = 5_000_000;

async function kernelFor(sc: ScenarioDef, config: string): Promise<Kernel | null> {
  try {
    return buildKernel(await resolveConfig(parseConfigString(config), sc));
  } catch (e) {
    if (e instanceof UntestableError) return null;
    throw e;
  }
}

function timed(k: Kernel, sc: ScenarioDef, strategy: Strategy, budget: number): { r: ExploreResult; s: number } {
  const t0 = performance.now();
  const r = explore(k, sc, { strategy, budget, seed: 1, maxSteps: sc.maxSteps ?? 20000 });
  return { r, s: (performance.now() - t0) / 1000 };
}

const verdictOf = (r: ExploreResult) => {
  const v = primaryViolation(r.violations);
  if (v) return `[${v.oracle}]`;
  return r.coverage.kind === 'verified' ? 'never' : r.coverage.kind === 'verified-bounded' ? 'none (bound)' : 'none (sampled)';
};

async function defaults() {
  console.log('verify: each scenario\'s default configuration (no flags), exhaustive search, exact visited set');
  console.log(`${'scenario'.padEnd(26)} ${'verdict'.padEnd(14)} ${'states'.padStart(9)} ${'transitions'.padStart(12)} ${'depth'.padStart(6)} ${'MiB'.padStart(6)} ${'seconds'.padStart(8)}`);
  let worst = 0;
  for (const sc of SCENARIOS) {
    const k = await kernelFor(sc, '');
    if (!k) { console.log(`${sc.name.padEnd(26)} untestable with no flags`); continue; }
    const { r, s } = timed(k, sc, 'verify', VERIFY_STATES);
    worst = Math.max(worst, s);
    const v = r.verify!;
    console.log(`${sc.name.padEnd(26)} ${verdictOf(r).padEnd(14)} ${String(v.states).padStart(9)} ${String(v.transitions).padStart(12)} ${String(v.depth).padStart(6)} ${(v.bytes / 1048576).toFixed(1).padStart(6)} ${s.toFixed(2).padStart(8)}`);
  }
  console.log(`slowest: ${worst.toFixed(2)} s (target: under 10 s each on one core)\n`);
}

function endToEnd() {
  const args = ['bin/lazymm.mjs', 'explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'verify'];
  const times: number[] = [];
  let line = '';
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const p = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    times.push((performance.now() - t0) / 1000);
    line = p.stdout.split('\n').find((l) => l.startsWith('no violation') || l.startsWith('found')) ?? p.stderr.trim();
  }
  times.sort((a, b) => a - b);
  console.log(`verify end to end: lazymm ${args.slice(1).join(' ')}\n  ${line}\n  wall time, median of 3: ${times[1].toFixed(2)} s (range ${times[0].toFixed(2)}-${times[2].toFixed(2)}; target at most 2 s)\n`);
}

async function stealRace() {
  const sc = SCENARIOS.find((s) => s.name === 'lazy-mm-steal-race')!;
  const config = '--arch x86 --apply lazy-mm:1-20 --drop-step __try_mm_drop_rq_ref.reload_lazy_mm';
  const k = (await kernelFor(sc, config))!;
  console.log(`steal race (lazy-mm/16's comment), the re-load dropped: lazy-mm-steal-race ${config}`);
  for (const [strategy, budget] of [['verify', VERIFY_STATES], ['dfs', 20000], ['random', 20000], ['pct', 20000]] as const) {
    const { r, s } = timed(k, sc, strategy, budget);
    const v = primaryViolation(r.violations);
    const size = strategy === 'verify' ? `${r.verify!.states} states, ${r.verify!.transitions} transitions` : `${r.schedulesExplored} schedules`;
    console.log(`  ${strategy.padEnd(7)} ${v ? `found [${v.oracle}] after ${size}` : `missed: ${size} (${r.coverage.kind}${r.coverage.bound !== null ? `, preemption bound ${r.coverage.bound}` : ''})`}, ${s.toFixed(2)} s`);
  }
  console.log();
}

/** Why a sampled or bounded search may miss what the exhaustive search finds (and never the
 *  other way round: a violation the exhaustive search misses would be a bug in it). */
function explain(ver: ExploreResult, other: ExploreResult, name: string): string {
  const a = primaryViolation(ver.violations), b = primaryViolation(other.violations);
  if (!!a === !!b) return '';
  if (a && !b) return `${name} misses it: ${other.coverage.kind === 'verified-bounded' ? 'the violation needs more preemptions than the bound' : `not among ${other.schedulesExplored} sampled schedules`}`;
  return ver.coverage.kind === 'verified' ? `DISAGREEMENT: ${name} found what the exhaustive search says is unreachable` : `the exhaustive search stopped at its budget (${ver.coverage.states} states) before reaching it`;
}

async function agreement() {
  console.log('agreement: every expectation of every built-in scenario, verify (exact, 5M states) vs DFS (bound 2, 3000 schedules) vs PCT (3000 schedules)');
  console.log(`${'scenario and configuration'.padEnd(92)} ${'verify'.padEnd(15)} ${'dfs'.padEnd(15)} ${'pct'.padEnd(15)} note`);
  let rows = 0, agree = 0;
  for (const sc of SCENARIOS) {
    for (const e of sc.expect ?? []) {
      const k = await kernelFor(sc, e.config);
      if (!k) continue;
      const ver = timed(k, sc, 'verify', VERIFY_STATES).r;
      const dfs = timed(k, sc, 'dfs', 3000).r;
      const pct = timed(k, sc, 'pct', 3000).r;
      const notes = [explain(ver, dfs, 'dfs'), explain(ver, pct, 'pct')].filter(Boolean);
      rows++;
      if (!notes.length) agree++;
      console.log(`${`${sc.name} ${e.config}`.slice(0, 92).padEnd(92)} ${verdictOf(ver).padEnd(15)} ${verdictOf(dfs).padEnd(15)} ${verdictOf(pct).padEnd(15)} ${notes.join('; ')}`);
    }
  }
  console.log(`${rows} configurations: all three agree on ${agree}; the rest are listed with the reason\n`);
}

export const VERIFY_BENCHES: Bench[] = [
  {
    name: 'verify',
    async run() {
      await defaults();
      endToEnd();
      await stealRace();
      await agreement();
    },
  },
];

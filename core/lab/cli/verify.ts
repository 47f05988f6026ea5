// lazymm verify [NAME|REGEX ...] [--budget STATES] [--json]: every built-in scenario's stated
// expectations, checked and summarized the way herd7 summarizes litmus tests. An expectation
// 'never'/'clean' is checked by the exhaustive search (verified, or sampled when the state space
// is larger than the budget, which the table says); 'sometimes'/'violation' by the scenario's own
// search, then by the exhaustive one if that found nothing.
import { intFlag, progressFor, type Parsed } from './common.ts';
import { resolveConfig, buildKernel, parseConfigString } from '../config.ts';
import { explore } from '../../model/drivers/explore.ts';
import { shortCoverage, type Coverage } from '../../model/drivers/coverage.ts';
import { SCENARIOS } from '../../../scenarios/index.ts';
import { UsageError, UntestableError } from '../errors.ts';
import { stopRequested, interruptedExit } from '../interrupt.ts';
import { StepFault } from '../../model/errors.ts';
import { primaryViolation, type ScenarioDef, type Expectation, type Violation } from '../../model/index.ts';
import { DEFAULT_MAX_STEPS } from './run.ts';
import { RunawayError } from '../../model/engine.ts';
import { ModelError } from '../../model/kernel.ts';
import { currentRunner } from '../parallel/current.ts';
import type { VerifyRowTask } from '../parallel/tasks.ts';

export interface VerifyRow {
  scenario: string;
  config: string;
  expected: Expectation['verdict'];
  oracle?: string;
  /** never: no violation in the whole space; sometimes: a violation found; unknown: no violation
   *  found, the space not exhausted; untestable: the configuration cannot be built; error: the
   *  model stopped (a model limit or a runaway execution: `error` says where) */
  verdict: 'never' | 'sometimes' | 'unknown' | 'untestable' | 'error';
  error?: string;
  ok: boolean;
  violation?: { oracle: string; message: string; schedule?: string };
  coverage: Coverage | null;
  seconds: number;
}

/** Check one expectation. */
export async function verifyExpectation(sc: ScenarioDef, e: Expectation, budget: number): Promise<VerifyRow>;
/** ... or null if `stop` stopped the search before a verdict. */
export async function verifyExpectation(sc: ScenarioDef, e: Expectation, budget: number, stop: () => boolean): Promise<VerifyRow | null>;
export async function verifyExpectation(sc: ScenarioDef, e: Expectation, budget: number, stop?: () => boolean): Promise<VerifyRow | null> {
  const t0 = performance.now();
  const row = (verdict: VerifyRow['verdict'], coverage: Coverage | null, violation?: VerifyRow['violation']): VerifyRow => {
    const wantViolation = e.verdict === 'sometimes' || e.verdict === 'violation';
    const okVerdict = wantViolation
      ? verdict === 'sometimes' && (!e.oracle || violation?.oracle === e.oracle)
      : e.verdict === 'never' ? verdict === 'never' : verdict === 'never' || verdict === 'unknown';
    return {
      scenario: sc.name, config: e.config, expected: e.verdict, ...(e.oracle ? { oracle: e.oracle } : {}), verdict, ok: okVerdict,
      ...(violation ? { violation } : {}), coverage, seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
    };
  };
  let k;
  try {
    k = buildKernel(await resolveConfig(parseConfigString(e.config), sc));
  } catch (x) {
    if (x instanceof UntestableError) return row('untestable', null);
    throw x;
  }
  const maxSteps = sc.maxSteps ?? DEFAULT_MAX_STEPS;
  const wantViolation = e.verdict === 'sometimes' || e.verdict === 'violation';
  // A stated oracle is the signature: another report on the way does not settle the expectation.
  const match = e.oracle ? (v: Violation) => v.oracle === e.oracle : undefined;
  let res;
  try {
    // A violation is shown by any search that finds it: the scenario's own (fast on large spaces,
    // where a depth-first exhaustive search can spend its whole budget in one corner) first.
    if (wantViolation) res = explore(k, sc, { strategy: sc.strategy ?? 'dfs', budget: sc.budget ?? 3000, seed: 1, maxSteps, match, stop });
    if (res?.interrupted && !res.violations.length) return null; // SIGINT/SIGTERM: no verdict
    if (!res?.violations.length) {
      res = explore(k, sc, { strategy: 'verify', budget, seed: 1, maxSteps, match, stop });
      if (res.interrupted && !res.violations.length) return null;
      if (!res.violations.length && res.coverage.kind !== 'verified' && e.verdict === 'clean') {
        // the state space is larger than the budget: the scenario's own search, as its expectation says
        res = explore(k, sc, { strategy: sc.strategy ?? 'dfs', budget: sc.budget ?? 3000, seed: 1, maxSteps, match, stop });
        if (res.interrupted && !res.violations.length) return null;
      }
    }
  } catch (x) {
    // a model error inside a step reaches here wrapped with the step's name (engine.ts StepFault)
    if (!((x instanceof StepFault ? x.fault : x) instanceof ModelError || x instanceof RunawayError)) throw x;
    return { ...row('error', null), error: (x as Error).message };
  }
  const v = (match && res.violations.find(match)) || primaryViolation(res.violations);
  if (v) return row('sometimes', res.coverage, { oracle: v.oracle, message: v.message, schedule: v.schedule });
  return row(res.coverage.kind === 'verified' ? 'never' : 'unknown', res.coverage);
}

export async function cmdVerify(p: Parsed): Promise<number> {
  const budget = intFlag(p, '--budget', 2_000_000);
  const pick = p.positional.map((s) => {
    try {
      return new RegExp(`^(?:${s})$`);
    } catch (e) {
      throw new UsageError(`verify: '${s}' is not a scenario name or regular expression (${(e as Error).message})`);
    }
  });
  const scenarios = SCENARIOS.filter((s) => !pick.length || pick.some((re) => re.test(s.name)));
  if (!scenarios.length) throw new UsageError(`no built-in scenario matches ${p.positional.join(' ')} (see: lazymm list scenarios)`);
  const json = p.bools.has('--json');
  const prog = progressFor(p, 'verify');
  const rows: VerifyRow[] = [];
  const t0 = performance.now();
  let interrupted = false;
  const w = Math.max(20, ...scenarios.flatMap((sc) => (sc.expect ?? []).map((e) => sc.name.length + e.config.length + 1)));
  // a shard prints nothing but its partial result (merge prints the table)
  const quiet = json || currentRunner().kind === 'shard';
  const say = (line: string) => { if (!quiet) { prog.clear(); process.stdout.write(line + '\n'); } };
  // rows are printed as they are checked: a full run takes minutes
  say(`${'Scenario and configuration'.padEnd(w)}  Expected   Verdict     Ok  ${'Coverage'.padEnd(38)} Time`);
  const sayRow = (r: VerifyRow) => {
    const cov = r.coverage ? shortCoverage(r.coverage) : '-';
    say(`${`${r.scenario} ${r.config}`.padEnd(w)}  ${r.expected.padEnd(10)} ${r.verdict.padEnd(11)} ${r.ok ? 'ok ' : 'NO '} ${cov.padEnd(38)} ${r.seconds.toFixed(2)} s`);
    if (!r.ok && r.violation) say(`${''.padEnd(w)}  [${r.violation.oracle}] ${r.violation.message}`);
    if (r.error) say(`${''.padEnd(w)}  model stopped: ${r.error}`);
  };
  if (currentRunner().kind !== 'local') {
    // each expectation is a task (--jobs: on workers; --shard: a share of them), rows in order
    const tasks: VerifyRowTask[] = scenarios.flatMap((sc) => (sc.expect ?? []).map((_e, index) => ({ kind: 'verify-row' as const, scenario: sc.name, index, budget })));
    await currentRunner().ordered(tasks, (_i, r) => {
      rows.push(r);
      prog.update(`${rows.length}/${tasks.length} expectations checked; ${r.scenario} ${r.config}`);
      sayRow(r);
      return true;
    });
  } else {
    all: for (const sc of scenarios) {
      for (const e of sc.expect ?? []) {
        if (stopRequested()) { interrupted = true; break all; } // SIGINT/SIGTERM: the rows checked so far
        prog.update(`${rows.length} expectations checked; ${sc.name} ${e.config}`);
        const r = await verifyExpectation(sc, e, budget, stopRequested);
        if (!r) { interrupted = true; break all; }
        rows.push(r);
        sayRow(r);
      }
    }
  }
  prog.done();
  const failed = rows.filter((r) => !r.ok);
  const errors = rows.filter((r) => r.verdict === 'error').length;
  if (json) {
    process.stdout.write(JSON.stringify({ command: 'verify', budget, rows, failed: failed.length, errors, seconds: Number(((performance.now() - t0) / 1000).toFixed(3)), ...(interrupted ? { interrupted: true } : {}) }, null, 2) + '\n');
  } else {
    const never = rows.filter((r) => r.verdict === 'never').length;
    say(`\n${rows.length} expectations: ${rows.length - failed.length} hold, ${failed.length} do not${errors ? ` (${errors} stopped by a model error)` : ''}; ${never} verified over the whole state space (budget ${budget} states each), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (interrupted) say('interrupted: the expectations above were checked before the stop (a partial table)');
  }
  if (interrupted) return interruptedExit(failed.length > 0);
  // exit 3: the model stopped on some configuration (an internal limit, not a verdict)
  if (errors) return 3;
  // exit 1: a verdict contradicts its stated expectation
  return failed.length ? 1 : 0;
}

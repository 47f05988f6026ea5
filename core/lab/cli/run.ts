// lazymm run / lazymm explore
import { intFlag, loadScenario, configJson, describeConfig, progressFor, oracleFlag, type Parsed } from './common.ts';
import { resolveConfig, buildKernel, type ConfigWords } from '../config.ts';
import { replay, minimizeAndTrace, Rng, STRATEGIES, type Strategy } from '../../model/drivers/explore.ts';
import { describeCoverage, type Coverage } from '../../model/drivers/coverage.ts';
import { runOnce, encodeSchedule, decodeSchedule, type Chooser } from '../../model/engine.ts';
import { primaryViolation, type Violation, type ViolationMatch } from '../../model/index.ts';
import { renderTrace } from '../../model/trace.ts';
import { UsageError } from '../errors.ts';
import { checkOutputFile } from '../outputs.ts';
import { stopRequested, interruptedExit } from '../interrupt.ts';
import { traceFormat, writeExecution, writeText } from '../render/index.ts';
import { violationWhere } from '../render/view.ts';
import { scenarioRef, replayCommand, shq } from './replay.ts';
import { currentRunner } from '../parallel/current.ts';
import { exploreOn, type Search } from '../parallel/explore.ts';
import { matcher } from '../bisect.ts';

export const DEFAULT_MAX_STEPS = 20000;

/** `minimized`: the explorer shortened the schedule; a run's trace is the whole execution. */
function printViolations(vs: Violation[], trace: string[], scenario: string, replayArgs: string, minimized: boolean, match: ViolationMatch | null = null) {
  const p = primaryViolation(vs, match)!;
  const out: string[] = [];
  out.push(`VIOLATION [${p.oracle}] ${p.message}`);
  out.push(`  ${violationWhere(p)}`);
  for (const v of vs) if (v !== p) out.push(`  also [${v.oracle}] ${v.message} (${v.cpu < 0 ? 'end of run' : `cpu${v.cpu}, ${v.step}`})`);
  out.push('');
  out.push(minimized ? 'trace (minimized):' : 'trace:');
  out.push(...trace.map((l) => '  ' + l));
  out.push('');
  out.push(`schedule: ${p.schedule}`);
  out.push(`replay:   ${replayCommand(scenario, replayArgs, p.schedule!)}`);
  process.stdout.write(out.join('\n') + '\n');
}

/** The config words again, as flags a replay line repeats (values quoted for the shell). */
export function replayArgsOf(w: ConfigWords): string {
  const out: string[] = [];
  if (w.arch !== undefined) out.push('--arch', shq(w.arch));
  if (w.kernel !== undefined) out.push('--kernel', w.kernel);
  if (w.cpus !== undefined) out.push('--cpus', String(w.cpus));
  for (const x of w.apply) out.push('--apply', shq(x));
  for (const x of w.without) out.push('--without', shq(x));
  for (const x of w.set) out.push('--set', shq(x));
  for (const x of w.dropSteps) out.push('--drop-step', shq(x));
  if (w.force) out.push('--force');
  return out.length ? ' ' + out.join(' ') : '';
}

export async function cmdRun(p: Parsed): Promise<number> {
  const format = traceFormat(p.flags.get('--trace-format'));
  if (p.flags.has('--trace-format') && !p.flags.has('--trace')) throw new UsageError('--trace-format needs --trace FILE');
  const sc = await loadScenario(p.positional[0]);
  const ref = scenarioRef(p.positional[0]!, sc);
  if (p.flags.has('--seed') && p.flags.has('--schedule')) throw new UsageError('give --seed or --schedule, not both');
  if (p.bools.has('--lenient') && !p.flags.has('--schedule')) throw new UsageError('--lenient is an option of --schedule');
  const traceFile = p.flags.has('--trace') ? checkOutputFile(p.flags.get('--trace')!, '--trace') : null; // before the work
  const r = await resolveConfig(p.words, sc);
  const k = buildKernel(r);
  const maxSteps = sc.maxSteps ?? DEFAULT_MAX_STEPS;
  let res;
  let schedule: string;
  if (p.flags.has('--schedule')) {
    // checked against the configuration's CPUs and the step budget before anything runs
    res = replay(k, sc, p.flags.get('--schedule')!, maxSteps, true, p.bools.has('--lenient'));
  } else {
    const rng = new Rng(intFlag(p, '--seed', 1));
    const chooser: Chooser = { choose: (_e, n) => (n === 1 ? 0 : rng.below(n)) };
    res = runOnce(k, sc, chooser, { maxSteps, trace: true });
  }
  schedule = encodeSchedule(res.events);
  const trace = renderTrace(k, k.trace);
  const vs = res.violations.map((v) => ({ ...v, schedule }));
  const replayArgs = replayArgsOf(p.words);
  if (p.flags.has('--trace')) {
    if (format === 'text') writeText(traceFile!, trace.join('\n') + '\n');
    else writeExecution(traceFile!, format, k, sc, res.events, schedule, maxSteps, { scenario: ref, config: describeConfig(r), replay: replayCommand(ref, replayArgs, schedule) });
  }
  const seed = p.flags.has('--schedule') ? null : intFlag(p, '--seed', 1);
  const coverage: Coverage = { kind: 'sampled', states: null, transitions: null, schedules: 1, bound: null, strategy: seed === null ? 'replay' : 'random', seed };
  if (p.bools.has('--json')) {
    process.stdout.write(JSON.stringify({
      command: 'run', scenario: sc.name, config: configJson(r), violations: vs, schedulesExplored: 1,
      steps: res.steps, schedule, metrics: k.counters, coverage,
    }, null, 2) + '\n');
  } else {
    process.stdout.write(`run ${sc.name}: ${describeConfig(r)}\n`);
    if (vs.length) printViolations(vs, trace, ref, replayArgs, false);
    else process.stdout.write(`no violation in this one schedule (${res.steps} steps; ${describeCoverage(coverage)})\nschedule: ${schedule}\n`);
  }
  return vs.length ? 1 : 0;
}

/** Default state budget of the exhaustive search (states stored). */
export const VERIFY_BUDGET = 5_000_000;

export async function cmdExplore(p: Parsed): Promise<number> {
  const format = traceFormat(p.flags.get('--trace-format'));
  if (p.flags.has('--trace-format') && !p.flags.has('--trace')) throw new UsageError('--trace-format needs --trace FILE');
  const sc = await loadScenario(p.positional[0]);
  const ref = scenarioRef(p.positional[0]!, sc);
  const traceFile = p.flags.has('--trace') ? checkOutputFile(p.flags.get('--trace')!, '--trace') : null; // before the work
  const strategy = (p.flags.get('--strategy') ?? sc.strategy ?? 'dfs') as Strategy;
  if (!STRATEGIES.includes(strategy)) throw new UsageError(`unknown strategy '${strategy}' (${STRATEGIES.join(', ')})`);
  const storage = (p.flags.get('--storage') ?? 'exact') as 'exact' | 'hash-compact' | 'bitstate';
  if (!['exact', 'hash-compact', 'bitstate'].includes(storage)) throw new UsageError(`--storage takes exact, hash-compact or bitstate, not '${storage}'`);
  if (strategy !== 'verify' && (p.flags.has('--storage') || p.flags.has('--bitstate-bits') || p.bools.has('--shortest') || p.flags.has('--search')))
    throw new UsageError('--storage, --bitstate-bits, --shortest and --search are options of --strategy verify');
  const search = (p.flags.get('--search') ?? 'dfs') as Search;
  const r = await resolveConfig(p.words, sc);
  const k = buildKernel(r);
  const budget = intFlag(p, '--budget', strategy === 'verify' ? VERIFY_BUDGET : sc.budget ?? 20000);
  const seed = intFlag(p, '--seed', 1);
  const prog = progressFor(p, `explore ${sc.name}`);
  // --match/--oracle: look for that signature (other reports do not stop the search)
  const sigMatch = p.flags.get('--match'), sigOracle = oracleFlag(p.flags.get('--oracle'));
  if (sigMatch !== undefined) {
    try { new RegExp(sigMatch); } catch (e) { throw new UsageError(`--match: not a regular expression: ${(e as Error).message}`); }
  }
  const sig = sigMatch !== undefined || sigOracle !== undefined ? { oracle: sigOracle ?? null, match: sigMatch ?? null, from: 'user' as const } : null;
  const match = sig ? matcher(sig) : null;
  const t0 = performance.now();
  const res = await exploreOn(currentRunner(), { scenario: p.positional[0]!, words: p.words, sig }, k, sc, {
    match,
    strategy, budget, seed, maxSteps: sc.maxSteps ?? DEFAULT_MAX_STEPS,
    preemptionBound: intFlag(p, '--preemptions', 2),
    storage, bitstateLog2: intFlag(p, '--bitstate-bits', 30), shortestBudget: p.bools.has('--shortest') ? 20 * budget : 0,
    progress: (n, b) => prog.update(strategy === 'verify' ? `${n} states` : `${n}/${b} schedules`),
    stop: stopRequested, // SIGINT/SIGTERM: stop at the next schedule boundary, print what was done
  }, search);
  prog.done();
  const secs = (performance.now() - t0) / 1000;
  const replayArgs = replayArgsOf(p.words);
  if (p.flags.has('--trace')) {
    // the counterexample: the minimized schedule, replayed with tracing
    const pv = primaryViolation(res.violations, match);
    const file = p.flags.get('--trace')!;
    if (!pv) process.stderr.write(`lazymm: no violation, so no trace written to ${file}\n`);
    else writeExecution(traceFile!, format, k, sc, decodeSchedule(pv.schedule!), pv.schedule!, sc.maxSteps ?? DEFAULT_MAX_STEPS, { scenario: ref, config: describeConfig(r), replay: replayCommand(ref, replayArgs, pv.schedule!), match });
  }
  if (p.bools.has('--json')) {
    process.stdout.write(JSON.stringify({
      command: 'explore', scenario: sc.name, config: configJson(r), strategy, seed, budget,
      violations: res.violations, schedulesExplored: res.schedulesExplored, steps: res.steps,
      complete: res.complete, coverage: res.coverage, ...(res.verify ? { verify: res.verify } : {}),
      metrics: res.counters, trace: res.trace, ...(res.interrupted ? { interrupted: true } : {}),
    }, null, 2) + '\n');
  } else {
    const what = strategy === 'verify' ? `verify (stateful exhaustive search, ${search === 'bfs' ? 'breadth-first, hash-partitioned exact' : storage} visited set)` : `${strategy}, budget ${budget}${strategy === 'dfs' ? `, preemption bound ${intFlag(p, '--preemptions', 2)}` : `, seed ${seed}`}`;
    process.stdout.write(`explore ${sc.name}: ${describeConfig(r)}; ${what}\n`);
    const v = res.verify;
    const size = v ? `${v.states} states stored, ${v.transitions} transitions, depth ${v.depth}, ${(v.bytes / 1048576).toFixed(1)} MiB` : `${res.schedulesExplored} schedules, ${res.steps} steps`;
    if (res.violations.length) {
      process.stdout.write(`found after ${size} (${secs.toFixed(2)} s)\n\n`);
      printViolations(res.violations, res.trace, ref, replayArgs, true, match);
    } else {
      process.stdout.write(`no violation: ${describeCoverage(res.coverage)}\n  ${size}, ${secs.toFixed(2)} s\n`);
      if (res.coverage.kind === 'sampled' && strategy === 'verify') process.stdout.write(`  the search stopped at the budget of ${budget} states (--budget N raises it)\n`);
    }
    if (res.interrupted) process.stdout.write('interrupted: a partial result (the search stopped at a signal)\n');
  }
  if (res.interrupted) return interruptedExit(res.violations.length > 0);
  return res.violations.length ? 1 : 0;
}

export { minimizeAndTrace };

// lazymm bisect <scenario> --series ID [config] [--budget N] [--metric NAME] [--json]
import { parseArgs, intFlag, loadScenario, progressFor } from './common.ts';
import type { BisectStep } from '../bisect.ts';
import { bisectOn } from '../parallel/bisect.ts';
import { currentRunner } from '../parallel/runner.ts';
import { UsageError } from '../errors.ts';
import { findSeries } from '../series.ts';
import { replayArgsOf, DEFAULT_MAX_STEPS } from './run.ts';
import { METRIC_BISECT } from './metric-hook.ts';
import { STRATEGIES, type Strategy } from '../../model/drivers/explore.ts';
import { describeCoverage } from '../../model/drivers/coverage.ts';

function line(s: BisectStep): string {
  const v = s.verdict === 'bad' ? 'BAD ' : s.verdict === 'good' ? 'good' : 'skip';
  // a good verdict always says what it covers: verified, verified within a bound, or sampled
  const what = s.verdict === 'bad' ? `[${s.violation!.oracle}] ${s.violation!.message}` : s.verdict === 'skip' ? s.reason! : describeCoverage(s.coverage!);
  const t = s.seconds !== undefined ? ` (${s.seconds.toFixed(2)} s)` : '';
  return `  ${s.spec.padEnd(16)} ${v}  ${what}${t}`;
}

export async function cmdBisect(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['--series', '--budget', '--seed', '--strategy', '--metric', '--runs'], ['--json']);
  const sc = p.flags.has('--metric') ? null : await loadScenario(p.positional[0]);
  const seriesId = p.flags.get('--series');
  if (!seriesId) throw new UsageError('bisect needs --series ID (see: lazymm list series)');
  findSeries(seriesId);
  // Flags of the other kind of bisect are accepted (the contract lists them together) but said
  // to be unused, not dropped silently.
  const unused = (flags: string[], why: string) => {
    for (const f of flags) if (p.flags.has(f)) process.stderr.write(`lazymm: note: ${f} ${p.flags.get(f)} is not used: ${why}\n`);
  };
  if (p.flags.has('--metric')) {
    if (!METRIC_BISECT.run) throw new UsageError('--metric needs the timing simulator, which is not built yet');
    unused(['--budget', '--strategy'], 'a metric bisect runs the timing driver, --runs runs per configuration');
    return METRIC_BISECT.run(p);
  }
  unused(['--runs'], '--runs is for a metric bisect (--metric NAME); this bisect explores --budget schedules per configuration');
  // By default each configuration is verified when its state space fits the state budget, and
  // sampled with the scenario's strategy otherwise (each line says which).
  const strategy = (p.flags.get('--strategy') ?? 'auto') as Strategy | 'auto';
  if (strategy !== 'auto' && !STRATEGIES.includes(strategy)) throw new UsageError(`unknown strategy '${strategy}' (auto, ${STRATEGIES.join(', ')})`);
  const fallback: Strategy = sc!.strategy ?? 'dfs';
  const budget = intFlag(p, '--budget', strategy === 'verify' ? 1_000_000 : sc!.budget ?? 5000);
  const seed = intFlag(p, '--seed', 1);
  const json = p.bools.has('--json');
  const prog = progressFor(p, `bisect ${sc!.name}`);
  const t0 = performance.now();
  const res = await bisectOn(currentRunner(), p.positional[0]!, sc!, seriesId, p.words, {
    strategy, budget, seed, maxSteps: sc!.maxSteps ?? DEFAULT_MAX_STEPS, fallback, verifyBudget: 1_000_000,
    onStep: (s) => prog.update(`tested ${s.spec}: ${s.verdict}`),
  });
  prog.done();
  const secs = (performance.now() - t0) / 1000;
  if (json) {
    process.stdout.write(JSON.stringify({ command: 'bisect', ...res, strategy, budget, seed, seconds: Number(secs.toFixed(3)) }, null, 2) + '\n');
    return 0;
  }
  const series = findSeries(seriesId);
  const o: string[] = [];
  const how = strategy === 'auto'
    ? `verify (exhaustive, up to 1000000 states), else ${fallback} with ${budget} schedules`
    : strategy === 'verify' ? `verify (exhaustive, up to ${budget} states)` : `${strategy}, ${budget} schedules per configuration, seed ${seed}`;
  o.push(`bisect ${sc!.name} over ${seriesId} (${series.patches.length} patches): ${how}`);
  for (const s of res.steps) o.push(line(s));
  if (res.result) {
    const verb = res.result.direction === 'fixes' ? 'the violation disappears' : 'the violation appears';
    o.push('');
    o.push(`first ${res.result.direction === 'fixes' ? 'good' : 'bad'} patch: ${res.result.first.id} "${res.result.first.title}"`);
    o.push(`direction: ${res.result.direction} (${verb} at ${res.result.first.id})`);
  } else if (res.range) {
    o.push('', `the change lies between ${res.range.from} and ${res.range.to} (configurations in between could not be tested)`);
  } else {
    o.push('', `no change: the verdict is the same with and without ${seriesId}`);
  }
  if (res.counterexample) {
    const c = res.counterexample;
    const applyArgs = c.spec === '(none)' ? '' : ` --apply ${c.spec}`;
    o.push('', `counterexample (${c.spec}): [${c.violation.oracle}] ${c.violation.message}`);
    // The lines leading to where the violation was raised (not simply the end of the trace).
    const at = c.trace.findIndex((l) => l.includes('!! '));
    const end = at >= 0 ? at + 1 : c.trace.length;
    o.push(...c.trace.slice(Math.max(0, end - 20), end).map((l) => '  ' + l));
    if (end < c.trace.length) o.push(`  ... (${c.trace.length - end} more lines: see the replay)`);
    o.push(`  replay: lazymm run ${sc!.name}${replayArgsOf(argv)}${applyArgs} --schedule '${c.violation.schedule}'`);
  }
  o.push('', `${res.steps.length} configurations in ${secs.toFixed(2)} s`);
  process.stdout.write(o.join('\n') + '\n');
  return 0;
}

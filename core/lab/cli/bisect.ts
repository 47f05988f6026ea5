// lazymm bisect <scenario> --series ID [config] [--budget N] [--metric NAME] [--json]
import { intFlag, loadScenario, progressFor, describeConfig, configJson, oracleFlag, type Parsed } from './common.ts';
import { matcher, type Signature } from '../bisect.ts';
import { bisectOn } from '../parallel/bisect.ts';
import { currentRunner } from '../parallel/current.ts';
import { resolveConfig, buildKernel, type ConfigWords } from '../config.ts';
import { recordRun } from '../render/record.ts';
import { buildView, leadingLog } from '../render/view.ts';
import { renderTrace } from '../../model/trace.ts';
import { decodeSchedule } from '../../model/engine.ts';
import type { ScenarioDef } from '../../model/index.ts';
import { scenarioRef } from './replay.ts';
import { bisectText, bisectJson, type BisectMeta } from '../render/bisect-report.ts';
import { UsageError } from '../errors.ts';
import { stopRequested, interruptedExit } from '../interrupt.ts';
import { findSeries } from '../series.ts';
import { replayArgsOf, DEFAULT_MAX_STEPS } from './run.ts';
import { METRIC_BISECT } from './metric-hook.ts';
import { STRATEGIES, type Strategy } from '../../model/drivers/explore.ts';

export async function cmdBisect(p: Parsed): Promise<number> {
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
    // the timing simulator is loaded only for a metric bisect (verbs load lazily: ab, which also
    // imports it, has not run in this process)
    if (!METRIC_BISECT.run) await import('../timing/metric-bisect.ts');
    if (!METRIC_BISECT.run) throw new UsageError('--metric needs the timing simulator, which did not register');
    unused(['--budget', '--strategy', '--match', '--oracle'], 'a metric bisect runs the timing driver, --runs runs per configuration');
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
    match: p.flags.get('--match'), oracle: oracleFlag(p.flags.get('--oracle')),
    onStep: (s) => prog.update(`tested ${s.spec}: ${s.verdict}`),
    stop: stopRequested, // SIGINT/SIGTERM: the steps tested so far, no result
  });
  const exit = res.interrupted ? interruptedExit(res.steps.some((s) => s.verdict === 'bad')) : 0;
  prog.done();
  const secs = (performance.now() - t0) / 1000;
  const series = findSeries(seriesId);
  // every configuration was built on res.kernel (the series' base unless --kernel): the header
  // names it, and a reproducer repeats it where its configuration would default to another kernel
  const words: ConfigWords = { ...p.words, kernel: res.kernel };
  const base = await resolveConfig(words, sc!);
  const meta: BisectMeta = {
    scenario: scenarioRef(p.positional[0]!, sc!), arch: base.cfg.arch.name, configText: describeConfig(base), config: configJson(base),
    seriesTitle: series.title, seriesLength: series.patches.length,
    strategyText: strategy === 'auto'
      ? `verify (exhaustive, up to 1000000 states), else ${fallback} with ${budget} schedules`
      : strategy === 'verify' ? `verify (exhaustive, up to ${budget} states)` : `${strategy}, ${budget} schedules per configuration, seed ${seed}`,
    replayArgs: replayArgsOf(p.words),
  };
  if (res.counterexample) {
    const { spec, violation } = res.counterexample;
    const apply = spec === '(none)' ? p.words.apply : [...p.words.apply, spec];
    if (!p.words.kernel && (await resolveConfig({ ...p.words, apply }, sc!)).cfg.kernel !== res.kernel)
      meta.replayArgs = replayArgsOf(words);
    meta.log = await counterexampleLog(sc!, words, spec, violation.schedule!, res.signature ?? null);
  }
  if (json) {
    process.stdout.write(JSON.stringify({ ...bisectJson(res, meta, { scenarioName: sc!.name, strategy, budget, seed }), seconds: Number(secs.toFixed(3)) }, null, 2) + '\n');
    return exit;
  }
  process.stdout.write(bisectText(res, meta, secs));
  return exit;
}

/** The counterexample's lines that lead to its violation, replayed in its configuration. */
async function counterexampleLog(sc: ScenarioDef, words: ConfigWords, spec: string, schedule: string, sig: Signature | null): Promise<string[] | null> {
  const r = await resolveConfig({ ...words, apply: spec === '(none)' ? words.apply : [...words.apply, spec] }, sc);
  const k = buildKernel(r);
  const rec = recordRun(k, sc, decodeSchedule(schedule), schedule, sc.maxSteps ?? DEFAULT_MAX_STEPS, { scenario: sc.name, config: '', replay: '', match: sig ? matcher(sig) : null });
  return leadingLog(buildView(rec), renderTrace(k, rec.lines));
}

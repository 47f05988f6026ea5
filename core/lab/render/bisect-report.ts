// The bisect report, shaped like syzbot's bisection mail: a header naming what was bisected
// (scenario, arch, configuration, series, strategy, how strong the good verdicts are), each
// configuration tested with its verdict and coverage, then the culprit patch with its title and
// direction, the final violation, a reproducer command that replays it, and the log leading to
// it. The JSON carries the same fields.
import { describeSignature, type BisectResult, type BisectStep } from '../bisect.ts';
import { describeCoverage, type Coverage } from '../../model/drivers/coverage.ts';

export interface BisectMeta {
  /** the scenario as a command line names it (a path for a user module) */
  scenario: string;
  arch: string;
  /** describeConfig() of the configuration the series is applied on */
  configText: string;
  /** configJson() of it */
  config: Record<string, unknown>;
  seriesTitle: string;
  seriesLength: number;
  /** one line: how each configuration is tested */
  strategyText: string;
  /** the replay arguments of the base configuration (replayArgsOf) */
  replayArgs: string;
  /** the counterexample's lines that lead to the violation (leadingLog), if any are known */
  log?: string[] | null;
}

const COVERAGE_ORDER: Coverage['kind'][] = ['interrupted', 'sampled', 'hashed', 'verified-bounded', 'verified'];

/** How strong the good verdicts are: the weakest coverage among them, and the count of each. */
export function coverageSummary(steps: BisectStep[]): { weakest: Coverage['kind'] | null; counts: Partial<Record<Coverage['kind'], number>>; bad: number; skipped: number; other: number } {
  const counts: Partial<Record<Coverage['kind'], number>> = {};
  let weakest: Coverage['kind'] | null = null;
  for (const s of steps) {
    if (s.verdict !== 'good' || !s.coverage) continue;
    const k = s.coverage.kind;
    counts[k] = (counts[k] ?? 0) + 1;
    if (weakest === null || COVERAGE_ORDER.indexOf(k) < COVERAGE_ORDER.indexOf(weakest)) weakest = k;
  }
  return {
    weakest, counts, bad: steps.filter((s) => s.verdict === 'bad').length, skipped: steps.filter((s) => s.verdict === 'skip').length,
    other: steps.filter((s) => s.verdict === 'other').length,
  };
}

function coverageLine(steps: BisectStep[]): string {
  const c = coverageSummary(steps);
  const parts: string[] = [];
  const words: Record<Coverage['kind'], string> = {
    verified: 'verified (the whole state space)', 'verified-bounded': 'verified within a preemption bound', hashed: 'searched with a hashed visited set (not exhaustive)',
    sampled: 'sampled (not exhaustive)', interrupted: 'interrupted',
  };
  for (const k of [...COVERAGE_ORDER].reverse()) if (c.counts[k]) parts.push(`${c.counts[k]} ${words[k]}`);
  const good = parts.length ? `good verdicts: ${parts.join(', ')}` : 'no good verdict';
  return `${good}; ${c.bad} bad, each with a replayable schedule${c.other ? `; ${c.other} other (only other violations)` : ''}${c.skipped ? `; ${c.skipped} skipped` : ''}`;
}

export function stepLine(s: BisectStep): string {
  const v = s.verdict === 'bad' ? 'BAD ' : s.verdict === 'good' ? 'good' : s.verdict === 'other' ? 'other' : 'skip';
  // a good verdict always says what it covers: verified, verified within a bound, or sampled; an
  // 'other' one says what it found instead, and how far the signature was looked for
  const what = s.verdict === 'bad' ? `[${s.violation!.oracle}] ${s.violation!.message}`
    : s.verdict === 'other' ? `other violation: [${s.violation!.oracle}] ${s.violation!.message}; the signature: ${describeCoverage(s.coverage!).replace(/^no violation: /, '')}`
    : s.verdict === 'skip' ? s.reason! : describeCoverage(s.coverage!);
  const t = s.seconds !== undefined ? ` (${s.seconds.toFixed(2)} s)` : '';
  return `  ${s.spec.padEnd(16)} ${v}  ${what}${t}`;
}

/** The reproducer: replays the counterexample of the configuration it was found in. */
export function reproducer(res: BisectResult, m: BisectMeta): string | null {
  const c = res.counterexample;
  if (!c) return null;
  const apply = c.spec === '(none)' ? '' : ` --apply ${c.spec}`;
  return `lazymm run ${m.scenario}${m.replayArgs}${apply} --schedule '${c.violation.schedule}'`;
}

/** The trace lines leading to where the violation was raised (at most `n`), and how many follow. */
export function logLines(trace: string[], n = 20): { lines: string[]; more: number } {
  const at = trace.findIndex((l) => l.includes('!! '));
  const end = at >= 0 ? at + 1 : trace.length;
  return { lines: trace.slice(Math.max(0, end - n), end), more: trace.length - end };
}

const kv = (k: string, v: string) => `${(k ? k + ':' : '').padEnd(15)} ${v}`;

export function bisectText(res: BisectResult, m: BisectMeta, seconds: number): string {
  const o: string[] = [];
  o.push(kv('scenario', m.scenario));
  o.push(kv('arch', m.arch));
  o.push(kv('configuration', m.configText));
  o.push(kv('series', `${res.series} (${m.seriesLength} patches: "${m.seriesTitle}"), applied as prefixes ${res.series}:1-k`));
  o.push(kv('strategy', m.strategyText));
  if (res.signature) {
    o.push(kv('signature', `${describeSignature(res.signature)} (${res.signature.from === 'user' ? '--match/--oracle' : 'the headline found at the bad end'}): a configuration is BAD if it reports it, other if it reports only something else`));
  }
  o.push(kv('coverage', coverageLine(res.steps)));
  o.push('', 'configurations tested:');
  for (const s of res.steps) o.push(stepLine(s));
  o.push('');
  if (res.interrupted) {
    o.push(`interrupted: ${res.steps.length} configurations tested before the stop; no result (a partial bisection)`);
  } else if (res.result) {
    const fixes = res.result.direction === 'fixes';
    o.push(fixes ? 'lazymm suspects this issue was fixed by patch:' : 'lazymm has bisected this issue to:', '');
    o.push(`first ${fixes ? 'good' : 'bad'} patch: ${res.result.first.id} "${res.result.first.title}"`);
    o.push(`direction: ${res.result.direction} (${fixes ? 'the violation disappears' : 'the violation appears'} at ${res.result.first.id})`);
  } else if (res.range) {
    o.push(`bisection is inconclusive: the first patch that changes the verdict could be any of ${res.range.from}..${res.range.to}`,
      '(configurations in between could not be tested)');
  } else {
    o.push(`no change: the verdict is the same with and without ${res.series}`);
  }
  const c = res.counterexample;
  if (c) {
    const log = m.log ? { lines: m.log, more: 0 } : logLines(c.trace);
    o.push('');
    o.push(kv('final oops', `[${c.violation.oracle}] ${c.violation.message}`));
    o.push(kv('found in', `${c.spec === '(none)' ? 'the configuration without the series' : c.spec}, ${c.violation.cpu < 0 ? 'at the end of the run' : `cpu${c.violation.cpu} in ${c.violation.step}`}`));
    o.push(kv('reproducer', reproducer(res, m)!));
    o.push(kv('', 'exits 1 when it reproduces; --trace FILE --trace-format html|perfetto|ftrace draws it'));
    o.push(m.log ? 'log (the lines that lead to it: writes to the objects it names, reads of another CPU\'s writes to them):' : 'log:');
    o.push(...log.lines.map((l) => '  ' + l));
    if (log.more > 0) o.push(`  ... (${log.more} more lines: see the reproducer)`);
  }
  if (res.result) {
    const r = res.result;
    o.push('', r.direction === 'introduces' ? `Fixes: ${r.first.id} ("${r.first.title}")` : `#lazymm fix: ${r.first.id} ("${r.first.title}")`);
  }
  o.push('', `${res.steps.length} configurations in ${seconds.toFixed(2)} s`);
  return o.join('\n') + '\n';
}

export function bisectJson(res: BisectResult, m: BisectMeta, extra: Record<string, unknown>) {
  const c = res.counterexample;
  return {
    command: 'bisect',
    scenario: m.scenario,
    arch: m.arch,
    config: m.config,
    series: res.series,
    kernel: res.kernel,
    ...extra,
    coverage: coverageSummary(res.steps),
    steps: res.steps,
    result: res.result,
    ...(res.range ? { range: res.range } : {}),
    ...(res.signature ? { signature: res.signature } : {}),
    ...(res.interrupted ? { interrupted: true } : {}),
    ...(c ? {
      counterexample: {
        spec: c.spec, title: `[${c.violation.oracle}] ${c.violation.message}`, violation: c.violation,
        reproducer: reproducer(res, m), log: m.log ?? logLines(c.trace).lines, trace: c.trace,
      },
    } : {}),
  };
}

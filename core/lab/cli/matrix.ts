// lazymm matrix [SCENARIO|REGEX ...] [--arch LIST] [--series LIST] [--mode verify|sample]
//               [--budget N] [config] [--json] [--jobs N] [--shard k/n]
// The regression matrix: every scenario on every arch against every prefix of every series
// (k = 0, the series not applied, to k = n, the whole series), each cell checked like a bisect
// step (verify: the exhaustive search when it finishes within the state budget, else the
// scenario's own sampling, and the cell says which; sample: the scenario's sampling only). A cell
// whose configuration is one of the scenario's stated expectations is checked against it. One
// herd-style table, a line per cell, and a grid per scenario, arch and series that shows where a
// violation appears or disappears along the series. Each cell is a task: --jobs runs them on
// workers, --shard k/n runs a share of them, lazymm merge puts the table together.
import { intFlag, progressFor, type Parsed } from './common.ts';
import { parseConfigString, type ConfigWords } from '../config.ts';
import { configWords, specOf } from '../bisect.ts';
import { findArch } from '../config.ts';
import { allSeries, findSeries } from '../series.ts';
import { shortCoverage } from '../../model/drivers/coverage.ts';
import { SCENARIOS } from '../../../scenarios/index.ts';
import { UsageError } from '../errors.ts';
import { DEFAULT_MAX_STEPS } from './run.ts';
import { currentRunner } from '../parallel/current.ts';
import type { MatrixTask, MatrixCell } from '../parallel/matrix-cell.ts';
import type { ScenarioDef } from '../../model/index.ts';

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : null);

/** The arches and series a scenario's expectations name (the matrix's default axes). */
function axesOf(sc: ScenarioDef): { arches: string[]; series: string[] } {
  const arches = new Set<string>(), series = new Set<string>();
  for (const e of sc.expect ?? []) {
    const w = parseConfigString(e.config);
    arches.add(w.arch ?? 'x86');
    for (const a of w.apply) { const id = /^([a-z0-9-]+)/.exec(a)?.[1]; if (id && allSeries().some((s) => s.id === id)) series.add(id); }
  }
  if (!arches.size) arches.add('x86');
  return { arches: [...arches], series: [...series] };
}

/** Config words as one canonical string (to find a cell's stated expectation). The kernel is left
 *  out: a series walk runs on the series' base kernel (as bisect does), which the cell shows. */
function canon(w: ConfigWords): string {
  return JSON.stringify([w.arch ?? 'x86', w.cpus ?? null, w.apply, [...w.without].sort(), [...w.set].sort(), [...w.dropSteps].sort(), w.force]);
}

export function wordsString(w: ConfigWords): string {
  const o: string[] = [`--arch ${w.arch ?? 'x86'}`];
  if (w.kernel !== undefined) o.push(`--kernel ${w.kernel}`);
  if (w.cpus !== undefined) o.push(`--cpus ${w.cpus}`);
  for (const a of w.apply) o.push(`--apply ${a}`);
  for (const a of w.without) o.push(`--without ${a}`);
  for (const a of w.set) o.push(`--set ${a}`);
  for (const a of w.dropSteps) o.push(`--drop-step ${a}`);
  if (w.force) o.push('--force');
  return o.join(' ');
}

const MARK: Record<MatrixCell['verdict'], string> = { never: '.', unknown: 'o', sometimes: 'X', untestable: '-' };

export async function cmdMatrix(p: Parsed): Promise<number> {
  // --arch takes a list here (the config parser would take one arch): lists are --arch A,B
  const mode = p.flags.get('--mode') ?? 'verify';
  if (mode !== 'verify' && mode !== 'sample') throw new UsageError(`--mode takes verify or sample, not '${mode}'`);
  const archArg = list(p.words.arch);
  for (const a of archArg ?? []) findArch(a);
  const seriesArg = list(p.flags.get('--series'));
  for (const s of seriesArg ?? []) findSeries(s);
  if (p.words.apply.some((a) => (seriesArg ?? []).some((s) => a === s || a.startsWith(`${s}:`) || a.startsWith(`${s}/`))))
    throw new UsageError('--apply of a series the matrix walks: the matrix applies its prefixes itself');
  const pick = p.positional.map((s) => new RegExp(`^(?:${s})$`));
  const scenarios = SCENARIOS.filter((s) => !pick.length || pick.some((re) => re.test(s.name)));
  if (!scenarios.length) throw new UsageError(`no built-in scenario matches ${p.positional.join(' ')} (see: lazymm list scenarios)`);
  const verifyBudget = intFlag(p, '--verify-budget', 1_000_000);
  const json = p.bools.has('--json');

  const tasks: MatrixTask[] = [];
  const groups: { scenario: string; arch: string; series: string | null; cells: number[] }[] = [];
  for (const sc of scenarios) {
    const ax = axesOf(sc);
    const expected = new Map<string, { verdict: string; oracle?: string }>();
    for (const e of sc.expect ?? []) expected.set(canon(parseConfigString(e.config)), { verdict: e.verdict, oracle: e.oracle });
    for (const arch of archArg ?? ax.arches) {
      for (const sid of seriesArg ?? (ax.series.length ? ax.series : [null])) {
        const g = { scenario: sc.name, arch, series: sid, cells: [] as number[] };
        const n = sid ? findSeries(sid).patches.length : 0;
        for (let k = 0; k <= n; k++) {
          const base: ConfigWords = { ...p.words, arch, apply: [...p.words.apply] };
          const words = sid ? configWords(base, sid, k) : base;
          const exp = expected.get(canon(words));
          g.cells.push(tasks.length);
          tasks.push({
            kind: 'matrix', scenario: sc.name, words, spec: sid ? specOf(sid, k) : '(none)', mode: mode as 'verify' | 'sample',
            budget: intFlag(p, '--budget', sc.budget ?? 5000), verifyBudget, maxSteps: sc.maxSteps ?? DEFAULT_MAX_STEPS,
            ...(exp ? { expected: exp.verdict, ...(exp.oracle ? { oracle: exp.oracle } : {}) } : {}),
          });
        }
        groups.push(g);
      }
    }
  }
  const prog = progressFor(p, 'matrix');
  const t0 = performance.now();
  const cells: MatrixCell[] = [];
  await currentRunner().ordered(tasks, (_i, r) => {
    cells.push(r);
    prog.update(`${cells.length}/${tasks.length} configurations`);
    return true;
  });
  prog.done();
  const failed = cells.filter((c) => c.ok === false);
  const secs = (performance.now() - t0) / 1000;
  if (json) {
    process.stdout.write(JSON.stringify({ command: 'matrix', mode, budget: verifyBudget, cells, failed: failed.length, seconds: Number(secs.toFixed(3)) }, null, 2) + '\n');
    return failed.length ? 1 : 0;
  }
  const out: string[] = [];
  const w = Math.max(26, ...cells.map((c) => c.scenario.length + c.config.length + 1));
  out.push(`${'Scenario and configuration'.padEnd(w)}  Expected   Verdict     Ok  ${'Coverage'.padEnd(38)} Time`);
  for (const c of cells) {
    const cov = c.coverage ? shortCoverage(c.coverage) : c.reason ?? '-';
    const ok = c.ok === undefined ? '   ' : c.ok ? 'ok ' : 'NO ';
    out.push(`${`${c.scenario} ${c.config}`.padEnd(w)}  ${(c.expected ?? '-').padEnd(10)} ${c.verdict.padEnd(11)} ${ok} ${cov.padEnd(38)} ${c.seconds.toFixed(2)} s`);
    if (c.violation) out.push(`${''.padEnd(w)}  [${c.violation.oracle}] ${c.violation.message}`);
  }
  out.push('', `grid (a column per prefix, k = 0 first): . never (verified)  o no violation found (sampled)  X violation  - untestable`);
  const gw = Math.max(...groups.map((g) => `${g.scenario} ${g.arch}${g.series ? ` ${g.series}` : ''}`.length));
  for (const g of groups)
    out.push(`  ${`${g.scenario} ${g.arch}${g.series ? ` ${g.series}` : ''}`.padEnd(gw)}  ${g.cells.map((i) => MARK[cells[i].verdict]).join('')}`);
  const count = (v: MatrixCell['verdict']) => cells.filter((c) => c.verdict === v).length;
  out.push('', `${cells.length} configurations: ${count('never')} verified, ${count('sometimes')} with a violation, ${count('unknown')} sampled without one, ${count('untestable')} untestable; ${cells.filter((c) => c.ok !== undefined).length} stated expectations, ${failed.length} do not hold; ${secs.toFixed(1)} s`);
  process.stdout.write(out.join('\n') + '\n');
  return failed.length ? 1 : 0;
}

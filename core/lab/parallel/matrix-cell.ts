// One cell of `lazymm matrix`: a configuration checked as a bisect step is (bisect.ts
// testConfiguration), its verdict in herd's words, and against the stated expectation if any.
import { loadScenario } from '../cli/common.ts';
import { testConfiguration } from '../bisect.ts';
import { wordsString } from '../cli/matrix.ts';
import type { ConfigWords } from '../config.ts';
import type { Coverage } from '../../model/drivers/coverage.ts';

export interface MatrixTask {
  kind: 'matrix';
  scenario: string;
  words: ConfigWords;
  /** the series prefix, as bisect names it */
  spec: string;
  mode: 'verify' | 'sample';
  /** schedules of the sampling strategy */
  budget: number;
  /** states of the exhaustive search (verify) */
  verifyBudget: number;
  maxSteps: number;
  expected?: string;
  oracle?: string;
}

export interface MatrixCell {
  scenario: string;
  config: string;
  spec: string;
  /** never: verified clean; sometimes: a violation found; unknown: none found, the space not
   *  exhausted; untestable: the configuration cannot be built (reason) */
  verdict: 'never' | 'sometimes' | 'unknown' | 'untestable';
  violation?: { oracle: string; message: string; schedule?: string };
  coverage: Coverage | null;
  reason?: string;
  expected?: string;
  ok?: boolean;
  seconds: number;
}

export async function matrixCell(t: MatrixTask): Promise<MatrixCell> {
  const sc = await loadScenario(t.scenario);
  const t0 = performance.now();
  const fallback = sc.strategy ?? 'dfs';
  const { step } = await testConfiguration(sc, t.words, {
    strategy: t.mode === 'verify' ? 'auto' : fallback, fallback, budget: t.budget, verifyBudget: t.verifyBudget, seed: 1, maxSteps: t.maxSteps,
  }, t.spec === '(none)' ? 0 : 1, null);
  const verdict: MatrixCell['verdict'] = step.verdict === 'skip' ? 'untestable' : step.verdict === 'bad' ? 'sometimes' : step.coverage?.kind === 'verified' ? 'never' : 'unknown';
  const cell: MatrixCell = {
    scenario: t.scenario, config: wordsString(t.words), spec: t.spec, verdict, coverage: step.coverage ?? null,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
  };
  if (step.violation) cell.violation = { oracle: step.violation.oracle, message: step.violation.message, schedule: step.violation.schedule };
  if (step.reason) cell.reason = step.reason;
  if (t.expected) {
    cell.expected = t.expected;
    const wantViolation = t.expected === 'sometimes' || t.expected === 'violation';
    cell.ok = wantViolation
      ? verdict === 'sometimes' && (!t.oracle || cell.violation?.oracle === t.oracle)
      : t.expected === 'never' ? verdict === 'never' : verdict === 'never' || verdict === 'unknown';
  }
  return cell;
}

// Which arches the conformance suite runs, which workloads, and how: every built-in scenario's
// baseline expectation that says 'clean' (configs without --apply/--drop-step), retargeted to the
// arch under test, plus the probes of ./scenarios.ts; each explored with the invariants of
// ./checkers.ts attached.
import { ARCHES } from '../../arches/index.ts';
import { generic } from '../../arches/generic.ts';
import type { ArchPlugin } from '../../arches/types.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import type { ScenarioDef, Violation } from '../../core/model/index.ts';
import { parseConfigString, resolveConfig, buildKernel } from '../../core/lab/config.ts';
import { explore, type Strategy } from '../../core/model/drivers/explore.ts';
import { attachConformance, emptyObservations, type Observations } from './checkers.ts';
import { PROBES } from './scenarios.ts';

/** ARCHES plus the new-arch template (arches/generic.ts), filtered by CONFORMANCE_ARCH=a,b. */
export function conformanceArches(): ArchPlugin[] {
  const all = [...ARCHES];
  if (!all.some((a) => a.name === generic.name)) all.push(generic);
  const only = process.env.CONFORMANCE_ARCH?.split(',').map((s) => s.trim()).filter(Boolean);
  return only?.length ? all.filter((a) => only.includes(a.name)) : all;
}

export interface Case { scenario: ScenarioDef; config: string; label: string }

/** Config words of an expectation without its --arch (the suite supplies the arch). */
function stripArch(config: string): { rest: string; arch: string } {
  const w = config.trim().split(/\s+/).filter(Boolean);
  let arch = 'x86';
  const rest: string[] = [];
  for (let i = 0; i < w.length; i++) {
    if (w[i] === '--arch') { arch = w[++i]; continue; }
    rest.push(w[i]);
  }
  return { rest: rest.join(' '), arch };
}

/** The workloads for one arch. A scenario's baseline expectations written for this arch (`--arch
 *  NAME`) are its own; without any, the x86 ones (the default arch) are retargeted to it. Only
 *  'clean' ones are run: an expected violation is the scenario's business (scenarios.test.ts). */
export function conformanceCases(arch: ArchPlugin): Case[] {
  const out: Case[] = [];
  const seen = new Set<string>();
  for (const sc of SCENARIOS) {
    const baseline = (sc.expect ?? []).filter((e) => !/--apply|--drop-step|--force|--without/.test(e.config)).map((e) => ({ e, ...stripArch(e.config) }));
    const own = baseline.filter((b) => b.arch === arch.name);
    for (const { e, rest } of own.length ? own : baseline.filter((b) => b.arch === 'x86')) {
      if (e.verdict !== 'clean' && e.verdict !== 'never') continue;
      const key = `${sc.name} ${rest}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ scenario: sc, config: rest, label: `${sc.name}${rest ? ` ${rest}` : ''}` });
    }
  }
  for (const sc of PROBES) out.push({ scenario: sc, config: '', label: sc.name });
  return out;
}

export interface CaseResult { violations: Violation[]; trace: string[]; schedules: number; obs: Observations }

const BUDGET = Number(process.env.CONFORMANCE_BUDGET ?? 100);

/** Explore one case on one arch with the invariants attached: DFS, then seeded random runs (DFS
 *  stays near the end of the schedule; random spreads the early choices). */
export async function runCase(arch: ArchPlugin, c: Case): Promise<CaseResult> {
  const obs = emptyObservations();
  const r = await resolveConfig(parseConfigString(`--arch x86 ${c.config}`), c.scenario);
  r.cfg.arch = arch; // resolved for x86 (the arch may not be registered: the template); baseline configs only
  const k = buildKernel(r);
  attachConformance(k, obs);
  const maxSteps = c.scenario.maxSteps ?? 20000;
  let schedules = 0;
  const budget = Math.min(BUDGET, c.scenario.budget ?? BUDGET);
  for (const strategy of ['dfs', 'random'] as Strategy[]) {
    const res = explore(k, c.scenario, { strategy, budget: strategy === 'dfs' ? budget : Math.ceil(budget / 2), seed: 1, maxSteps });
    schedules += res.schedulesExplored;
    if (res.violations.length) return { violations: res.violations, trace: res.trace, schedules, obs };
  }
  return { violations: [], trace: [], schedules, obs };
}

// A workload of the timing simulator by name (scenarios/perf), or a scenario module by path.
import { loadScenario } from './common.ts';
import { UsageError } from '../errors.ts';
import { MODULE_EXT } from '../user-modules.ts';
import { findWorkload, WORKLOADS } from '../../../scenarios/perf/index.ts';
import type { ScenarioDef } from '../../model/index.ts';

export async function loadWorkload(name: string | undefined): Promise<ScenarioDef> {
  const w = name ? findWorkload(name) : undefined;
  if (w) return w;
  if (name && MODULE_EXT.test(name)) return loadScenario(name);
  if (name) {
    try { return await loadScenario(name); } catch { /* fall through to the workload message */ }
  }
  throw new UsageError(`${name ? `unknown workload '${name}'` : 'missing <workload>'} (known: ${WORKLOADS.map((x) => x.name).join(', ')})`);
}

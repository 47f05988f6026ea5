// A task's kernel: built from its configuration words the first time a thread needs it, then
// reused by every task of that configuration on the thread.
import { loadScenario } from '../cli/common.ts';
import { loadWorkload } from '../cli/workload.ts';
import { resolveConfig, buildKernel, type ConfigWords } from '../config.ts';
import { resolveTimed, buildTimingKernel } from '../timing/measure.ts';
import type { Kernel, ScenarioDef } from '../../model/index.ts';

/** Kernels by configuration, built once per thread. */
const kernels = new Map<string, Promise<{ sc: ScenarioDef; k: Kernel }>>();

export function kernelFor(scenario: string, words: ConfigWords, timing = false): Promise<{ sc: ScenarioDef; k: Kernel }> {
  const key = JSON.stringify([scenario, words, timing]);
  let p = kernels.get(key);
  if (!p) {
    p = (async () => {
      const sc = timing ? await loadWorkload(scenario) : await loadScenario(scenario);
      const k = timing ? buildTimingKernel(await resolveTimed(words, sc)) : buildKernel(await resolveConfig(words, sc));
      return { sc, k };
    })();
    kernels.set(key, p);
    p.catch(() => kernels.delete(key));
  }
  return p;
}

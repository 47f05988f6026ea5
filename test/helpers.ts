// Test helpers: run the CLI in-process and capture its output; explore a scenario by config words.
import { vi } from 'vitest';
import { main } from '../core/lab/cli/main.ts';
import { parseConfigString, resolveConfig, buildKernel } from '../core/lab/config.ts';
import { explore, type ExploreResult } from '../core/model/drivers/explore.ts';
import type { ScenarioDef } from '../core/model/index.ts';
import { SCENARIOS } from '../scenarios/index.ts';

export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

export function scenario(name: string): ScenarioDef {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
}

/** Explore a scenario; `oracle`: look for a report of that oracle (other reports do not stop the
 *  search, as `explore --oracle NAME`). */
export async function exploreWith(sc: ScenarioDef, config: string, o: Partial<{ strategy: 'dfs' | 'random' | 'pct' | 'verify'; budget: number; seed: number; oracle: string }> = {}): Promise<ExploreResult> {
  const r = await resolveConfig(parseConfigString(config), sc);
  const k = buildKernel(r);
  const match = o.oracle ? (v: { oracle: string }) => v.oracle === o.oracle : null;
  return explore(k, sc, { strategy: o.strategy ?? sc.strategy ?? 'dfs', budget: o.budget ?? sc.budget ?? 3000, seed: o.seed ?? 1, maxSteps: sc.maxSteps ?? 20000, match });
}

/** Output with its timings masked (--jobs and --shard may change nothing else). */
export function untimed(s: string): string {
  return s.replace(/"seconds": [-0-9.e]+/g, '"seconds": T').replace(/\d+(\.\d+)? s\b/g, 'T s');
}

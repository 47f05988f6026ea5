// Shared CLI plumbing: scenario loading, progress on stderr, config in output (parsing: args.ts).
import { UsageError } from '../errors.ts';
import type { Resolved } from '../config.ts';
import type { Parsed } from './args.ts';
import { SCENARIOS } from '../../../scenarios/index.ts';
import { importUserModule, MODULE_EXT } from '../user-modules.ts';
import { USER_SCENARIOS } from '../user-code.ts';
import { checkScenario } from '../schema.ts';
import { ORACLES, BASELINE_KERNEL, type ScenarioDef } from '../../model/index.ts';

export type { Parsed } from './args.ts';

export function intFlag(p: Parsed, name: string, dflt: number): number {
  const v = p.flags.get(name);
  if (v === undefined) return dflt;
  return Number(v); // validated against its declared range by the parser (verbs.ts)
}

export async function loadScenario(nameOrPath: string | undefined): Promise<ScenarioDef> {
  if (!nameOrPath) throw new UsageError('missing <scenario> (see: lazymm list scenarios)');
  const builtin = SCENARIOS.find((s) => s.name === nameOrPath);
  if (builtin) return builtin;
  if (!MODULE_EXT.test(nameOrPath))
    throw new UsageError(`unknown scenario '${nameOrPath}' (known: ${SCENARIOS.map((s) => s.name).join(', ')}; or a path to a .ts/.mts/.js/.mjs module)`);
  const sc = checkScenario(await importUserModule(nameOrPath, 'scenario'), nameOrPath);
  USER_SCENARIOS.set(sc.name, nameOrPath); // its setup() and forbid() are the user's code (boundary.ts)
  return sc;
}

export function configJson(r: Resolved) {
  return {
    arch: r.cfg.arch.name,
    kernel: r.cfg.kernel ?? BASELINE_KERNEL,
    cpus: r.cfg.cpus,
    patches: r.patchIds,
    params: r.cfg.params,
    dropSteps: r.cfg.dropSteps,
    memoryModel: r.cfg.memoryModel,
  };
}

export function describeConfig(r: Resolved): string {
  const parts = [`arch ${r.cfg.arch.name}`, `${r.cfg.cpus} CPUs`, r.cfg.memoryModel.toUpperCase()];
  // the kernel is named when it is not the baseline's v5.16
  if (r.cfg.kernel && r.cfg.kernel !== BASELINE_KERNEL) parts.push(`v${r.cfg.kernel}`);
  parts.push(r.patchIds.length ? `patches ${compactIds(r.patchIds)}` : 'baseline');
  for (const [k, v] of Object.entries(r.cfg.params)) parts.push(`${k}=${v}`);
  for (const d of r.cfg.dropSteps) parts.push(`without step ${d}`);
  return parts.join(', ');
}

/** lazy-mm/01..lazy-mm/23 -> "lazy-mm/01-23" */
export function compactIds(ids: string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < ids.length) {
    const [s, n] = ids[i].split('/');
    let j = i;
    while (j + 1 < ids.length && ids[j + 1].split('/')[0] === s && Number(ids[j + 1].split('/')[1]) === Number(ids[j].split('/')[1]) + 1) j++;
    out.push(j > i ? `${s}/${n}-${ids[j].split('/')[1]}` : ids[i]);
    i = j + 1;
  }
  return out.join(' ');
}

/** A progress line on stderr for long runs: only on a TTY and not with --json. */
export class Progress {
  private start = Date.now();
  private lastPrint = 0;
  private shown = false;
  constructor(readonly enabled: boolean, readonly label: string) {}
  update(text: string) {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.start < 1000 || now - this.lastPrint < 250) return;
    this.lastPrint = now;
    this.shown = true;
    process.stderr.write(`\r${this.label}: ${text}  (${((now - this.start) / 1000).toFixed(1)} s)\x1b[K`);
  }
  done() {
    this.clear();
  }
  /** Erase the progress line (before printing a result line on a terminal). */
  clear() {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

export function progressFor(p: Parsed, label: string): Progress {
  return new Progress(!p.bools.has('--json') && !!process.stderr.isTTY, label);
}

/** --oracle NAME: one of the documented oracles. */
export function oracleFlag(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!ORACLES[v]) throw new UsageError(`--oracle: unknown oracle '${v}' (${Object.keys(ORACLES).join(', ')})`);
  return v;
}

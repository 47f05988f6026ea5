// Shared CLI plumbing: flag parsing, scenario loading, progress on stderr, output.
import path from 'node:path';
import fs from 'node:fs';
import { UsageError } from '../errors.ts';
import { importWatched, USER_SCENARIOS } from '../user-code.ts';
import { emptyWords, takeConfigFlag, type ConfigWords, type Resolved } from '../config.ts';
import { SCENARIOS } from '../../../scenarios/index.ts';
import type { ScenarioDef } from '../../model/index.ts';

export interface Parsed {
  positional: string[];
  words: ConfigWords;
  flags: Map<string, string>;
  bools: Set<string>;
}

/** Parse argv: config flags, the verb's own value flags and boolean flags, positionals. */
export function parseArgs(argv: string[], valueFlags: string[], boolFlags: string[]): Parsed {
  const p: Parsed = { positional: [], words: emptyWords(), flags: new Map(), bools: new Set() };
  for (let i = 0; i < argv.length; ) {
    const a = argv[i];
    const n = takeConfigFlag(argv, i, p.words);
    if (n) { i += n; continue; }
    if (valueFlags.includes(a)) {
      const v = argv[i + 1];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      if (p.flags.has(a)) throw new UsageError(`${a} given twice`);
      p.flags.set(a, v);
      i += 2;
      continue;
    }
    if (boolFlags.includes(a)) { p.bools.add(a); i++; continue; }
    if (a.startsWith('--')) throw new UsageError(`unknown option '${a}'`);
    p.positional.push(a);
    i++;
  }
  return p;
}

export function intFlag(p: Parsed, name: string, dflt: number): number {
  const v = p.flags.get(name);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} takes a non-negative integer, not '${v}'`);
  return Number(v);
}

export async function loadScenario(nameOrPath: string | undefined): Promise<ScenarioDef> {
  if (!nameOrPath) throw new UsageError('missing <scenario> (see: lazymm list scenarios)');
  const builtin = SCENARIOS.find((s) => s.name === nameOrPath);
  if (builtin) return builtin;
  if (!/\.(ts|js|mjs)$/.test(nameOrPath))
    throw new UsageError(`unknown scenario '${nameOrPath}' (known: ${SCENARIOS.map((s) => s.name).join(', ')}; or a path to a .ts/.js module)`);
  const abs = path.resolve(nameOrPath);
  if (!fs.existsSync(abs)) throw new UsageError(`scenario file '${nameOrPath}' does not exist`);
  let mod: { default?: ScenarioDef };
  try {
    mod = await importWatched(abs, 'scenario');
  } catch (e) {
    throw new UsageError(`scenario '${nameOrPath}' does not load: ${(e as Error).message.split('\n')[0]}`);
  }
  const sc = mod.default;
  if (!sc || typeof sc.setup !== 'function' || typeof sc.name !== 'string')
    throw new UsageError(`scenario '${nameOrPath}' must default-export defineScenario({ name, description, setup })`);
  USER_SCENARIOS.set(sc.name, nameOrPath);
  return sc;
}

export function configJson(r: Resolved) {
  return {
    arch: r.cfg.arch.name,
    cpus: r.cfg.cpus,
    patches: r.patchIds,
    params: r.cfg.params,
    dropSteps: r.cfg.dropSteps,
    memoryModel: r.cfg.memoryModel,
  };
}

export function describeConfig(r: Resolved): string {
  const parts = [`arch ${r.cfg.arch.name}`, `${r.cfg.cpus} CPUs`, r.cfg.memoryModel.toUpperCase()];
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
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}

export function progressFor(p: Parsed, label: string): Progress {
  return new Progress(!p.bools.has('--json') && !!process.stderr.isTTY, label);
}

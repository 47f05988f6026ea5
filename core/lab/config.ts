// Configuration words (--arch, --cpus, --apply, --without, --set, --drop-step, --force) to a
// KernelConfig. Used by every verb and by --a/--b of ab.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { ARCHES } from '../../arches/index.ts';
import { Kernel, type ArchPlugin, type KernelConfig, type Params, type PatchDef, type ScenarioDef } from '../model/index.ts';
import { allSeries, parseSpec } from './series.ts';
import { UsageError, UntestableError } from './errors.ts';

export interface ConfigWords {
  arch?: string;
  cpus?: number;
  apply: string[];
  without: string[];
  set: string[];
  dropSteps: string[];
  force: boolean;
}

export const emptyWords = (): ConfigWords => ({ apply: [], without: [], set: [], dropSteps: [], force: false });

/** Consume config flags from argv at i; returns the number of words used (0 if not a config flag). */
export function takeConfigFlag(argv: string[], i: number, w: ConfigWords): number {
  const a = argv[i];
  const val = () => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
    return v;
  };
  switch (a) {
    case '--arch': w.arch = val(); return 2;
    case '--cpus': {
      const v = val();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--cpus takes a positive number, not '${v}'`);
      w.cpus = Number(v);
      return 2;
    }
    case '--apply': w.apply.push(val()); return 2;
    case '--without': w.without.push(val()); return 2;
    case '--set': {
      const v = val();
      if (!/^[A-Za-z_][A-Za-z0-9_.]*=.+$/.test(v)) throw new UsageError(`malformed --set '${v}' (expected NAME=VALUE)`);
      w.set.push(v);
      return 2;
    }
    case '--drop-step': w.dropSteps.push(val()); return 2;
    // will-it-scale's -t: the workload's task count, apart from the machine's size (--cpus)
    case '-t':
    case '--threads': {
      const v = val();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${a} takes a positive number of tasks, not '${v}'`);
      w.set.push(`threads=${Number(v)}`);
      return 2;
    }
    case '--force': w.force = true; return 1;
  }
  return 0;
}

export function parseConfigString(s: string): ConfigWords {
  const argv = s.trim().split(/\s+/).filter(Boolean);
  const w = emptyWords();
  for (let i = 0; i < argv.length; ) {
    const n = takeConfigFlag(argv, i, w);
    if (!n) throw new UsageError(`unexpected '${argv[i]}' in configuration "${s}"`);
    i += n;
  }
  return w;
}

export function findArch(name: string): ArchPlugin {
  const a = ARCHES.find((x) => x.name === name);
  if (!a) throw new UsageError(`unknown arch '${name}' (known: ${ARCHES.map((x) => x.name).join(', ')})`);
  return a;
}

async function loadUserPlugin(spec: string): Promise<PatchDef> {
  const abs = path.resolve(spec);
  let mod: { default?: Partial<PatchDef> };
  try {
    mod = await import(pathToFileURL(abs).href);
  } catch (e) {
    throw new UsageError(`plugin '${spec}' does not load: ${(e as Error).message.split('\n')[0]}`);
  }
  const p = mod.default;
  if (!p || typeof p.apply !== 'function') throw new UsageError(`plugin '${spec}' has no default export with an apply() function`);
  const id = p.id ?? `user:${spec}`;
  return { requires: p.requires ?? [], effect: p.effect ?? 'behaviour', seed: p.seed ?? spec, series: 'user', index: 0, title: p.title ?? id, apply: p.apply, id };
}

export interface Resolved {
  cfg: KernelConfig;
  patchIds: string[];
}

/** Resolve words to a configuration; throws UsageError (2) or UntestableError (125). */
export async function resolveConfig(w: ConfigWords, sc?: ScenarioDef, limits: { maxCpus?: number } = {}): Promise<Resolved> {
  const arch = findArch(w.arch ?? 'x86');
  const cpus = w.cpus ?? sc?.cpus?.default ?? 2;
  if (sc?.cpus && (cpus < sc.cpus.min || cpus > sc.cpus.max))
    throw new UsageError(`scenario '${sc.name}' runs on ${sc.cpus.min}-${sc.cpus.max} CPUs, not ${cpus}`);
  // The explorer stays small; the timing driver (core/timing) passes maxCpus: 1024.
  const maxCpus = limits.maxCpus ?? 30;
  if (cpus > maxCpus) throw new UsageError(`the ${maxCpus > 30 ? 'timing driver' : 'explorer'} models at most ${maxCpus} CPUs (got ${cpus})`);
  const chosen = new Map<string, PatchDef>();
  const user: PatchDef[] = [];
  for (const spec of w.apply) {
    if (/\.(ts|js|mjs)$/.test(spec)) user.push(await loadUserPlugin(spec));
    else for (const p of parseSpec(spec)) chosen.set(p.id, p);
  }
  for (const spec of w.without) {
    const ps = parseSpec(spec);
    for (const p of ps) {
      if (!chosen.has(p.id)) throw new UsageError(`--without ${spec}: ${p.id} is not applied`);
      chosen.delete(p.id);
    }
  }
  // Series order, then user plugins in the order given.
  const ordered: PatchDef[] = [];
  for (const s of allSeries()) for (const p of s.patches) if (chosen.has(p.id)) ordered.push(p);
  if (!w.force) {
    for (const p of ordered) {
      const missing = p.requires.filter((r) => !chosen.has(r));
      if (missing.length)
        throw new UsageError(`${p.id} requires ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not applied (use --force to apply it anyway)`);
    }
  }
  for (const s of allSeries()) {
    if (ordered.some((p) => p.series === s.id) && !semver.satisfies(s.base, arch.kernels))
      throw new UntestableError(`series ${s.id} (base v${s.base}) does not apply to arch ${arch.name} (models ${arch.kernels})`);
  }
  const params: Params = { ...(sc?.params ?? {}) };
  for (const kv of w.set) {
    const eq = kv.indexOf('=');
    params[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (!w.force) {
    for (const s of allSeries()) {
      if (!s.validate || !ordered.some((p) => p.series === s.id)) continue;
      const why = s.validate({ arch, params, patches: ordered.map((p) => p.id) });
      if (why) throw new UsageError(`${why} (use --force to model it anyway)`);
    }
  }
  const memoryModel = (params.memory_model ?? sc?.memoryModel ?? 'sc') as 'sc' | 'tso';
  if (memoryModel !== 'sc' && memoryModel !== 'tso') throw new UsageError(`memory_model must be sc or tso, not '${memoryModel}'`);
  const all = ordered.concat(user);
  return {
    cfg: { arch, cpus, patches: all, params, dropSteps: w.dropSteps, memoryModel },
    patchIds: all.map((p) => p.id),
  };
}

/** Build the kernel; a plugin or --drop-step that fails is reported by name. */
export function buildKernel(r: Resolved): Kernel {
  try {
    return new Kernel(r.cfg);
  } catch (e) {
    if (e instanceof Error) {
      const who = (e as Error).message;
      throw new UsageError(who.includes(':') ? who : `building the kernel failed: ${who}`);
    }
    throw e;
  }
}

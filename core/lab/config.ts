// Configuration words (--arch, --kernel, --cpus, --apply, --without, --set, --drop-step, --force) to a
// KernelConfig. Used by every verb and by --a/--b of ab.
import semver from 'semver';
import { ARCHES, ARCH_PROBLEMS } from '../../arches/index.ts';
import { Kernel, BASELINE_KERNEL, type ArchPlugin, type KernelConfig, type Params, type PatchDef, type ScenarioDef } from '../model/index.ts';
import { allSeries, parseSpec } from './series.ts';
import { UsageError, UntestableError } from './errors.ts';
import { allOptions, checkParams } from './options.ts';
import { importUserModule, MODULE_EXT } from './user-modules.ts';
import { checkArch, checkPlugin } from './schema.ts';
import { checkPluginId, USER_PLUGINS } from './user-code.ts';

export interface ConfigWords {
  arch?: string;
  /** --kernel VERSION: the kernel modelled (default: the applied series' base, else v5.16 or the
   *  arch's oldest kernel) */
  kernel?: string;
  cpus?: number;
  apply: string[];
  without: string[];
  set: string[];
  dropSteps: string[];
  force: boolean;
}

// Parsed with the CLI's own parser (cli/args.ts): the same flags, ranges and messages everywhere.
export { emptyWords, parseConfigWords as parseConfigString } from './cli/args.ts';

export function findArch(name: string): ArchPlugin {
  const a = ARCHES.find((x) => x.name === name);
  if (!a && ARCH_PROBLEMS.has(name)) throw new UsageError(`arch '${name}': ${ARCH_PROBLEMS.get(name)}`);
  if (!a) throw new UsageError(`unknown arch '${name}' (known: ${ARCHES.map((x) => x.name).join(', ')}; or a path to an arch module)`);
  return a;
}

/** --arch NAME, or a path to a user's arch module (default-exports an ArchPlugin). */
export async function resolveArch(nameOrPath: string): Promise<ArchPlugin> {
  if (!MODULE_EXT.test(nameOrPath)) return findArch(nameOrPath);
  const a = checkArch(await importUserModule(nameOrPath, 'arch'), nameOrPath);
  if (ARCHES.some((x) => x.name === a.name)) throw new UsageError(`arch '${nameOrPath}': name '${a.name}' is a built-in arch's; give yours its own`);
  USER_PLUGINS.set(`arch:${a.name}`, nameOrPath); // its steps are the user's code (boundary.ts)
  return a;
}

async function loadUserPlugin(spec: string): Promise<PatchDef> {
  const p = checkPlugin(await importUserModule(spec, 'plugin'), spec);
  const id = checkPluginId(p.id, spec); // may not pose as a series patch
  return { requires: p.requires ?? [], effect: p.effect ?? 'behaviour', seed: p.seed ?? spec, series: 'user', index: 0, title: p.title ?? id, apply: p.apply, id, ...(p.options ? { options: p.options } : {}) };
}

export interface Resolved {
  cfg: KernelConfig;
  patchIds: string[];
}

/** Resolve words to a configuration; throws UsageError (2) or UntestableError (125). */
export async function resolveConfig(w: ConfigWords, sc?: ScenarioDef, limits: { maxCpus?: number } = {}): Promise<Resolved> {
  const arch = await resolveArch(w.arch ?? 'x86');
  const cpus = w.cpus ?? sc?.cpus?.default ?? 2;
  if (sc?.cpus && (cpus < sc.cpus.min || cpus > sc.cpus.max))
    throw new UsageError(`scenario '${sc.name}' runs on ${sc.cpus.min}-${sc.cpus.max} CPUs, not ${cpus}`);
  // The explorer stays small; the timing driver (core/timing) passes maxCpus: 1024.
  const maxCpus = limits.maxCpus ?? 30;
  if (cpus > maxCpus) throw new UsageError(`the ${maxCpus > 30 ? 'timing driver' : 'explorer'} models at most ${maxCpus} CPUs (got ${cpus})`);
  const chosen = new Map<string, PatchDef>();
  const user: PatchDef[] = [];
  for (const spec of w.apply) {
    if (MODULE_EXT.test(spec)) user.push(await loadUserPlugin(spec));
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
  const kernel = configKernel(w, arch, ordered);
  if (!semver.satisfies(kernel, arch.kernels))
    throw new UntestableError(`kernel v${kernel} is not modelled by arch ${arch.name} (models ${arch.kernels})`);
  // every name and value checked against the declared options (lab/options.ts)
  const declared = allOptions({ arch, scenario: sc, plugins: user });
  if (sc?.params) checkParams(sc.params, `scenario '${sc.name}' params`, declared, arch.name, sc.name);
  const set: Params = {};
  for (const kv of w.set) {
    const eq = kv.indexOf('=');
    set[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  checkParams(set, '--set', declared, arch.name, sc?.name);
  const params: Params = { ...(sc?.params ?? {}), ...set };
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
    cfg: { arch, cpus, patches: all, params, dropSteps: w.dropSteps, memoryModel, kernel },
    patchIds: all.map((p) => p.id),
  };
}

/** The kernel a configuration models: --kernel; else the base of the series applied (the newest,
 *  if several); else the baseline's v5.16, or the oldest kernel the arch models if that is
 *  later (s390, x86-pae) or earlier only (x86-4.18). */
export function configKernel(w: ConfigWords, arch: ArchPlugin, patches: PatchDef[]): string {
  if (w.kernel) return w.kernel;
  let base: string | null = null;
  for (const s of allSeries()) {
    if (!patches.some((p) => p.series === s.id)) continue;
    if (!base || semver.gt(s.base, base)) base = s.base;
  }
  if (base) return base;
  if (semver.satisfies(BASELINE_KERNEL, arch.kernels)) return BASELINE_KERNEL;
  return semver.minVersion(arch.kernels)?.version ?? BASELINE_KERNEL;
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

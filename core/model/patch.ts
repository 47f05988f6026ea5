// Series and patch metadata. A patch is an ordered plugin: apply() changes the kernel model
// exactly as the diff changes the kernel (insert, replace or remove named steps).
import type { StepRegistry } from './registry.ts';
import type { Kernel } from './kernel.ts';
import type { ArchPlugin } from './arch.ts';
import type { OptionDecl } from './options.ts';

export interface PatchDef {
  id: string; // "lazy-mm/16"
  series: string;
  index: number;
  title: string; // the patch subject, verbatim
  /** patches this one semantically needs (ids) */
  requires: string[];
  /** 'none': changes nothing in the model (proven by a trace-identity test) */
  effect: 'none' | 'behaviour';
  /** where the diff is: "seeds/000_13ce268f039a5445.txt L3762-4242" */
  seed: string;
  apply(r: StepRegistry, k: Kernel): void;
  /** the options this patch reads (k.param/k.flag) */
  options?: OptionDecl[];
}

export interface SeriesDef {
  id: string;
  title: string;
  author: string;
  date: string;
  /** kernel version the series applies to (semver) */
  base: string;
  patches: PatchDef[];
  /** the Kconfig options the series adds (--set accepts them; Kconfig ignores them while the patch
   *  that adds them is not applied) */
  options?: OptionDecl[];
  /** Kconfig-style constraints of the options the series adds: a reason the configuration
   *  cannot be built (refused unless --force), or null. */
  validate?(c: { arch: ArchPlugin; params: Record<string, string>; patches: string[] }): string | null;
}

export function definePatch(p: PatchDef): PatchDef {
  return p;
}

/** A user's plugin (`lazymm --apply ./my-plugin.ts`): applied after the series' patches, in the
 *  order of the --apply flags; `list hooks` names `id` as the owner of what it changes. */
export interface PluginDef {
  id: string;
  title?: string;
  requires?: string[];
  effect?: 'none' | 'behaviour';
  seed?: string;
  options?: OptionDecl[];
  apply(r: StepRegistry, k: Kernel): void;
}

export function definePlugin(p: PluginDef): PluginDef {
  return p;
}

// Every option `--set NAME=VALUE` may name, gathered from where each is declared (core/model/options.ts
// says where), and the check of a configuration's params against them.
import { MODEL_OPTIONS, optionValueError, type ArchPlugin, type OptionDecl, type Params, type PatchDef, type ScenarioDef } from '../model/index.ts';
import { TIMING_STATE_OPTIONS } from '../model/drivers/timing/state.ts';
import { TIMING_DRIVER_OPTIONS } from '../model/drivers/timing/driver.ts';
import { profileOptions } from '../model/drivers/timing/profile.ts';
import { MEASURE_OPTIONS } from './timing/options.ts';
import { ARCHES } from '../../arches/index.ts';
import { SERIES } from '../../patches/index.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import { WORKLOADS } from '../../scenarios/perf/index.ts';
import { UsageError } from './errors.ts';

/** Who declares an option: the model and the timing driver (always accepted), an arch or a
 *  scenario (accepted with it only), a series or a patch (accepted whether or not it is applied,
 *  as Kconfig ignores a symbol nobody defines: bisect's first configurations need that). */
export interface DeclaredOption extends OptionDecl {
  owner: string;
  scope: 'model' | 'timing' | 'arch' | 'series' | 'scenario';
  /** arch or scenario name, series id */
  of?: string;
}

/** All declared options; `arch`, `scenario` and `plugins` add a user module's own. */
export function allOptions(extra: { arch?: ArchPlugin; scenario?: ScenarioDef; plugins?: PatchDef[] } = {}): DeclaredOption[] {
  const out: DeclaredOption[] = [];
  const add = (ds: readonly OptionDecl[] | undefined, owner: string, scope: DeclaredOption['scope'], of?: string) => {
    for (const d of ds ?? []) out.push({ ...d, owner, scope, ...(of !== undefined ? { of } : {}) });
  };
  add(MODEL_OPTIONS, 'model', 'model');
  add([...TIMING_STATE_OPTIONS, ...TIMING_DRIVER_OPTIONS, ...MEASURE_OPTIONS], 'timing', 'timing');
  add(profileOptions(), 'machine profiles', 'timing');
  const arches = extra.arch && !ARCHES.includes(extra.arch) ? [...ARCHES, extra.arch] : ARCHES;
  for (const a of arches) add(a.options, `arch ${a.name}`, 'arch', a.name);
  for (const s of SERIES) {
    add(s.options, `series ${s.id}`, 'series', s.id);
    for (const p of s.patches) add(p.options, p.id, 'series', s.id);
  }
  for (const p of extra.plugins ?? []) add(p.options, p.id, 'series', p.series);
  const scenarios = [...SCENARIOS, ...WORKLOADS];
  if (extra.scenario && !scenarios.includes(extra.scenario)) scenarios.push(extra.scenario);
  for (const sc of scenarios) add(sc.options, `scenario ${sc.name}`, 'scenario', sc.name);
  return out;
}

/** The options that apply to a configuration (every model, timing and series option, this arch's
 *  and this scenario's). */
export function optionsFor(all: DeclaredOption[], arch: string, scenario?: string): DeclaredOption[] {
  return all.filter((d) => (d.scope === 'arch' ? d.of === arch : d.scope === 'scenario' ? d.of === scenario : true));
}

/**
 * Check params (`source` says where they came from: '--set', "scenario 'x'") against the
 * declarations: an unknown name, an option of another arch or scenario, or a value the option does
 * not take is a UsageError naming the word.
 */
export function checkParams(params: Params, source: string, all: DeclaredOption[], arch: string, scenario?: string) {
  for (const [name, v] of Object.entries(params)) {
    const word = source === '--set' ? `--set ${name}=${v}` : `${source}: ${name}=${v}`;
    const ds = all.filter((d) => d.name === name);
    if (!ds.length) {
      const near = all.find((d) => d.name.toLowerCase() === name.toLowerCase());
      throw new UsageError(`${word}: no option '${name}'${near ? ` (did you mean ${near.name}?)` : ''} (lazymm list options)`);
    }
    const d = ds.find((x) => (x.scope === 'arch' ? x.of === arch : x.scope === 'scenario' ? x.of === scenario : true));
    if (!d) {
      const owners = ds.map((x) => x.owner).join(', ');
      throw new UsageError(`${word}: ${name} is an option of ${owners}, not of this configuration (arch ${arch}${scenario ? `, scenario ${scenario}` : ''})`);
    }
    const why = optionValueError(d, v);
    if (why) throw new UsageError(`${word}: ${why}`);
  }
}

// lazymm list patches|series|arches|scenarios|workloads|hooks|options
// Each list loads only what it lists (list scenarios is part of the start-up budget).
import type { Parsed } from './args.ts';
import { UsageError } from '../errors.ts';
import { LIST_WHAT } from './verbs.ts';

const out = (s: unknown, json: boolean) => process.stdout.write((json ? JSON.stringify(s, null, 2) : String(s)) + '\n');

export async function cmdList(p: Parsed): Promise<number> {
  const what = p.positional[0];
  const json = p.bools.has('--json');
  const w = p.words;
  const configGiven = w.arch !== undefined || w.cpus !== undefined || w.apply.length || w.without.length || w.set.length || w.dropSteps.length || w.force || p.flags.has('--scenario');
  if (configGiven && what !== 'hooks' && what !== 'options')
    throw new UsageError(`list ${what} takes no config words (they select the kernel of list hooks and list options)`);
  switch (what) {
    case 'workloads': {
      const { WORKLOADS } = await import('../../../scenarios/perf/index.ts');
      const workloads = WORKLOADS.map((s) => ({ name: s.name, description: s.description, cpus: s.cpus }));
      if (json) out({ workloads }, true);
      else out(workloads.map((s) => `${s.name.padEnd(26)} ${s.description}`).join('\n'), false);
      return 0;
    }
    case 'options': {
      const { allOptions, optionsFor } = await import('../options.ts');
      const { loadScenario } = await import('./common.ts');
      const { resolveConfig } = await import('../config.ts');
      // with config words: the options of that configuration; else every declared option
      let opts = allOptions();
      if (configGiven) {
        const sc = p.flags.has('--scenario') ? await loadScenario(p.flags.get('--scenario')) : undefined;
        const r = await resolveConfig(p.words, sc);
        opts = optionsFor(allOptions({ arch: r.cfg.arch, scenario: sc, plugins: r.cfg.patches.filter((x) => x.series === 'user') }), r.cfg.arch.name, sc?.name);
      }
      const options = opts.map((o) => ({ name: o.name, type: o.type, ...(o.values ? { values: o.values } : {}), ...(o.min !== undefined ? { min: o.min } : {}), ...(o.max !== undefined ? { max: o.max } : {}), default: o.default, owner: o.owner, help: o.help }));
      if (json) { out({ options }, true); return 0; }
      const lines: string[] = [];
      let owner = '';
      for (const o of options) {
        if (o.owner !== owner) { owner = o.owner; lines.push(`${lines.length ? '\n' : ''}${owner}:`); }
        const type = o.type === 'enum' ? o.values!.join('|') : o.type === 'bool' ? 'y|n' : o.type + (o.min !== undefined || o.max !== undefined ? ` ${o.min ?? ''}..${o.max ?? ''}` : '');
        lines.push(`  ${o.name.padEnd(30)} ${type.padEnd(22)} default ${o.default}`);
        lines.push(`  ${''.padEnd(30)} ${o.help}`);
      }
      out(lines.join('\n'), false);
      return 0;
    }
    case 'patches': {
      const { allPatches } = await import('../series.ts');
      const patches = allPatches().map((x) => ({ id: x.id, series: x.series, index: x.index, title: x.title, requires: x.requires, effect: x.effect, seed: x.seed }));
      if (json) out({ patches }, true);
      else out(patches.map((x) => `${x.id.padEnd(16)} ${x.effect === 'none' ? '(none)' : '      '} ${x.title}${x.requires.length ? `   [requires ${x.requires.join(', ')}]` : ''}`).join('\n'), false);
      return 0;
    }
    case 'series': {
      const { allSeries } = await import('../series.ts');
      const series = allSeries().map((s) => ({ id: s.id, title: s.title, author: s.author, date: s.date, base: s.base, patches: s.patches.length }));
      if (json) out({ series }, true);
      else out(series.map((s) => `${s.id.padEnd(14)} ${String(s.patches).padStart(2)} patches  v${s.base.padEnd(7)} ${s.author}, "${s.title}" (${s.date})`).join('\n'), false);
      return 0;
    }
    case 'arches': {
      const { ARCHES } = await import('../../../arches/index.ts');
      const arches = ARCHES.map((a) => ({
        name: a.name, description: a.description, kernels: a.kernels, mmCpumaskExact: a.mmCpumaskExact,
        flushIpisReachLazy: a.flushIpisReachLazy, exitShootsLazies: a.exitShootsLazies, asids: a.asids,
        mmuGather: a.mmuGather, lazyMmu: a.lazyMmu, syncCore: a.syncCore,
      }));
      if (json) out({ arches }, true);
      else out(arches.map((a) => `${a.name.padEnd(12)} ${a.description}`).join('\n'), false);
      return 0;
    }
    case 'scenarios': {
      const { SCENARIOS } = await import('../../../scenarios/index.ts');
      const scenarios = SCENARIOS.map((s) => ({ name: s.name, description: s.description, cpus: s.cpus, memoryModel: s.memoryModel ?? 'sc' }));
      if (json) out({ scenarios }, true);
      else out(scenarios.map((s) => `${s.name.padEnd(26)} ${s.description}`).join('\n'), false);
      return 0;
    }
    case 'hooks': {
      const { loadScenario, configJson } = await import('./common.ts');
      const { resolveConfig, buildKernel } = await import('../config.ts');
      const { HOOK_NAMES } = await import('../../model/index.ts');
      const sc = p.flags.has('--scenario') ? await loadScenario(p.flags.get('--scenario')) : undefined;
      const r = await resolveConfig(p.words, sc);
      const k = buildKernel(r);
      const hooks = HOOK_NAMES.map((name) => ({
        name, steps: k.registry.steps(name).map((s) => ({ name: s.name, owner: s.owner, ...(s.kernels !== undefined ? { kernels: s.kernels } : {}) })),
      }));
      const kernel = k.registry.kernel;
      if (json) out({ config: configJson(r), kernel, hooks }, true);
      else {
        // the kernel the steps are those of; a step that exists only in some kernels says which
        const lines: string[] = [`kernel v${kernel} (arch ${r.cfg.arch.name} models ${r.cfg.arch.kernels})`];
        for (const h of hooks) {
          if (!h.steps.length) continue;
          lines.push(`${h.name}()`);
          for (const s of h.steps) lines.push(`  ${s.name.padEnd(36)} ${s.owner}${s.kernels ? `  [${s.kernels}]` : ''}`);
        }
        out(lines.join('\n'), false);
      }
      return 0;
    }
    default:
      throw new UsageError(`list what? (${LIST_WHAT.join(', ')}${what ? `, not '${what}'` : ''})`);
  }
}

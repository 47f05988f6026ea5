// lazymm list patches|series|arches|scenarios|hooks
import { parseArgs, loadScenario, configJson } from './common.ts';
import { resolveConfig, buildKernel } from '../config.ts';
import { allSeries, allPatches } from '../series.ts';
import { ARCHES } from '../../../arches/index.ts';
import { SCENARIOS } from '../../../scenarios/index.ts';
import { HOOK_NAMES } from '../../model/index.ts';
import { UsageError } from '../errors.ts';

const out = (s: unknown, json: boolean) => process.stdout.write((json ? JSON.stringify(s, null, 2) : String(s)) + '\n');

export async function cmdList(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['--scenario'], ['--json']);
  const what = p.positional[0];
  const json = p.bools.has('--json');
  switch (what) {
    case 'patches': {
      const patches = allPatches().map((x) => ({ id: x.id, series: x.series, index: x.index, title: x.title, requires: x.requires, effect: x.effect, seed: x.seed }));
      if (json) out({ patches }, true);
      else out(patches.map((x) => `${x.id.padEnd(16)} ${x.effect === 'none' ? '(none)' : '      '} ${x.title}${x.requires.length ? `   [requires ${x.requires.join(', ')}]` : ''}`).join('\n'), false);
      return 0;
    }
    case 'series': {
      const series = allSeries().map((s) => ({ id: s.id, title: s.title, author: s.author, date: s.date, base: s.base, patches: s.patches.length }));
      if (json) out({ series }, true);
      else out(series.map((s) => `${s.id.padEnd(14)} ${String(s.patches).padStart(2)} patches  v${s.base.padEnd(7)} ${s.author}, "${s.title}" (${s.date})`).join('\n'), false);
      return 0;
    }
    case 'arches': {
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
      const scenarios = SCENARIOS.map((s) => ({ name: s.name, description: s.description, cpus: s.cpus, memoryModel: s.memoryModel ?? 'sc' }));
      if (json) out({ scenarios }, true);
      else out(scenarios.map((s) => `${s.name.padEnd(26)} ${s.description}`).join('\n'), false);
      return 0;
    }
    case 'hooks': {
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
      throw new UsageError(`list what? (patches, series, arches, scenarios or hooks${what ? `, not '${what}'` : ''})`);
  }
}

// One-way layers: the model (core/model) imports nothing outside itself; the plugins (arches,
// patches, scenarios) import the model and each other, never the application (core/lab); and no
// module takes part in an import cycle (type-only imports aside: they vanish at run time).
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Relative imports of a module that exist at run time (not `import type`). */
function imports(file: string): string[] {
  const src = fs.readFileSync(path.join(root, file), 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"](\.[^'"]+)['"]/gm;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    if (m[2]) continue;
    out.push(path.normalize(path.join(path.dirname(file), m[3])));
  }
  return out;
}

const layer = (f: string) =>
  f.startsWith('core/model/') ? 'model' : f.startsWith('core/lab/') ? 'lab' : /^(arches|patches|scenarios)\//.test(f) ? 'plugin' : 'other';

const all = ['core', 'arches', 'patches', 'scenarios'].flatMap(files);

describe('layers', () => {
  it('the model imports only the model', () => {
    const bad: string[] = [];
    for (const f of all.filter((x) => layer(x) === 'model')) for (const i of imports(f)) if (layer(i) !== 'model') bad.push(`${f} -> ${i}`);
    expect(bad).toEqual([]);
  });
  it('plugins import the model and plugins, never the application', () => {
    const bad: string[] = [];
    for (const f of all.filter((x) => layer(x) === 'plugin')) for (const i of imports(f)) if (layer(i) !== 'model' && layer(i) !== 'plugin') bad.push(`${f} -> ${i}`);
    expect(bad).toEqual([]);
  });
  it('every module of core/ is in the model or the application', () => {
    expect(all.filter((f) => f.startsWith('core/') && layer(f) === 'other')).toEqual([]);
  });
  it('no import cycles', () => {
    const graph = new Map(all.map((f) => [f, imports(f).filter((i) => all.includes(i))]));
    const state = new Map<string, number>(); // 1 on the stack, 2 done
    const cycles: string[] = [];
    const visit = (f: string, stack: string[]) => {
      state.set(f, 1);
      for (const g of graph.get(f) ?? []) {
        if (state.get(g) === 1) cycles.push([...stack.slice(stack.indexOf(g)), f, g].join(' -> '));
        else if (!state.has(g)) visit(g, [...stack, f]);
      }
      state.set(f, 2);
    };
    for (const f of all) if (!state.has(f)) visit(f, []);
    expect(cycles).toEqual([]);
  });
});

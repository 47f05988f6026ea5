import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cli } from './helpers.ts';
import { parseConfigString, resolveConfig, buildKernel } from '../core/lab/config.ts';

describe('user plugins and scenarios by path', () => {
  it('a user scenario loads and explores', async () => {
    const r = await cli('explore', 'test/fixtures/user-scenario.ts', '--budget', '200', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).scenario).toBe('user-two-threads');
  });
  it('a user plugin applies after the series and is listed as the owner of its change', async () => {
    const r = await cli('explore', 'lazy-exit', '--apply', 'test/fixtures/drop-grab-plugin.ts', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).config.patches).toEqual(['user/no-lazy-grab']);
  });
  it('a plugin that throws is reported by name, exit 2', async () => {
    const r = await cli('explore', 'lazy-exit', '--apply', 'test/fixtures/throwing-plugin.ts');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/my-broken-plugin.*boom/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
  it('a scenario that does not load exits 2 with one line', async () => {
    const r = await cli('explore', 'test/fixtures/broken-scenario.ts');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/does not load/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
  it('a runaway scenario stops at the step budget with exit 2', async () => {
    const r = await cli('explore', 'test/fixtures/runaway-scenario.ts', '--budget', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/step budget/);
  });
});

// ---- users' modules outside the checkout ------------------------------------------------------
// docs/DEVELOPING.md's user project, as written there: its `ts file=NAME` blocks are written into a
// fresh temporary directory outside the repository (no package.json, no node_modules), and its
// commands run there through bin/lazymm.mjs, from the build when it is fresh and from the sources.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'lazymm.mjs');
const doc = fs.readFileSync(path.join(ROOT, 'docs', 'DEVELOPING.md'), 'utf8');
const section = doc.slice(doc.indexOf('## Your own scenarios and plugins'), doc.indexOf('### What a module exports'));
const files = [...section.matchAll(/```ts file=(\S+)\n([\s\S]*?)```/g)].map((m) => ({ name: m[1], text: m[2] }));
const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split('\n')).filter((l) => l.startsWith('lazymm '));

function tmpProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-user-'));
  expect(path.relative(ROOT, dir).startsWith('..')).toBe(true); // outside the checkout
  return dir;
}
const lazymm = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, VITEST: '', ...env }, timeout: 120_000 });
/** the words of a documented command (single-quoted words kept whole) */
const words = (cmd: string) => [...cmd.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(1);

describe('a user project outside the checkout, written from docs/DEVELOPING.md only', () => {
  const dir = tmpProject();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of files) fs.writeFileSync(path.join(dir, f.name), f.text);

  it('the document has the scenario, the plugin and the commands', () => {
    expect(files.map((f) => f.name)).toEqual(['kthread-borrow.ts', 'kthread-mb.ts']);
    expect(commands).toHaveLength(3);
  });
  for (const [mode, env] of [['the build (if fresh)', {}], ['the sources', { LAZYMM_FROM_SOURCES: '1' }]] as const) {
    it(`loads and runs them, from ${mode}`, () => {
      const [race, fixed, hooks] = commands.map((c) => lazymm(dir, words(c), env));
      expect(race.stderr).toBe('');
      expect(race.stdout).toMatch(/VIOLATION \[membarrier\] strict rule: store to tsk->mm \(NULL -> P\) on cpu1 without a full barrier before it in kthread_use_mm\(\)/);
      expect(race.status).toBe(1);
      expect(fixed.stderr).toBe('');
      expect(fixed.stdout).toMatch(/patches my\/kthread-use-mm-mb; verify/);
      expect(fixed.stdout).toMatch(/no violation: verified: the whole state space/);
      expect(fixed.status).toBe(0);
      expect(hooks.stdout).toMatch(/task_lock +baseline\n +smp_mb__after_spinlock +my\/kthread-use-mm-mb\n/);
      expect(hooks.status).toBe(0);
    });
  }
  it('type-checks them against the package, with the tsconfig.json the document gives', () => {
    const tsconfig = /```json\n([\s\S]*?)```/.exec(section)![1];
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), tsconfig);
    // what `npm install --save-dev /path/to/lazymm` leaves: a link to the package
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'lazymm'), 'dir');
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8', timeout: 170_000 });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    // and a typo in an op is a type error
    fs.writeFileSync(path.join(dir, 'typo.ts'), files[0].text.replace("{ op: 'membarrier' }", "{ op: 'membarier' }"));
    const bad = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8', timeout: 170_000 });
    expect(bad.stdout).toMatch(/typo\.ts.*membarier/);
    fs.rmSync(path.join(dir, 'node_modules'), { recursive: true });
  }, 180_000);
});

describe('module kinds and shapes, outside the checkout (bin/lazymm.mjs)', () => {
  const dir = tmpProject();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const scen = (name: string, prog: string, extra = '') =>
    `export default { name: '${name}', description: 'd', cpus: { default: 2, min: 2, max: 2 },${extra} setup(b) { b.process('U'); b.thread('U.a', { mm: 'U', cpu: 0, prog: ${prog} }); } };\n`;
  const write = (f: string, s: string) => fs.writeFileSync(path.join(dir, f), s);
  write('a.js', scen('plain-js', "[{ op: 'touch' }]"));
  write('b.mjs', scen('plain-mjs', "[{ op: 'touch' }]"));
  write('c.mts', `import { defineScenario } from 'lazymm';\nimport { prog } from './prog';\nexport default defineScenario(${scen('mts', 'prog').slice('export default '.length).trimEnd().replace(/;$/, '')});\n`);
  write('prog.ts', "import type { Op } from 'lazymm';\nexport const prog: Op[] = [{ op: 'touch' }, { op: 'exit' }];\n");
  // a package.json that says CommonJS does not make a .ts scenario CommonJS
  fs.mkdirSync(path.join(dir, 'cjs'));
  write('cjs/package.json', '{ "type": "commonjs" }\n');
  write('cjs/s.ts', `import { defineScenario } from 'lazymm';\nexport default defineScenario(${scen('in-cjs-package', "[{ op: 'touch' }]").slice('export default '.length).trimEnd().replace(/;$/, '')});\n`);
  write('arch.ts', "import { x86 } from 'lazymm/arches';\nexport default { ...x86, name: 'my-x86', description: 'x86, as a user arch' };\n");
  for (const f of ['a.js', 'b.mjs', 'c.mts', 'cjs/s.ts']) {
    it(`a scenario as ${f} loads and runs`, () => {
      const r = lazymm(dir, ['run', f, '--json']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout).violations).toEqual([]);
    });
  }
  it('an arch given by path', () => {
    const r = lazymm(dir, ['explore', 'lazy-exit', '--arch', 'arch.ts', '--budget', '50', '--json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).config.arch).toBe('my-x86');
  });
});

describe('a module of the wrong shape: exit 2, one line naming the file and the field', () => {
  const dir = tmpProject();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ok = "[{ op: 'touch' }]";
  const cases: [string, string, RegExp][] = [
    ['unknown-field.ts', `export default { name: 'x', description: 'd', setpu() {}, setup() {} };`, /scenario '.*unknown-field\.ts': setpu: unknown field/],
    ['cpus-shape.ts', `export default { name: 'x', description: 'd', cpus: 2, setup() {} };`, /scenario '.*cpus-shape\.ts': cpus: Invalid type: Expected Object but received 2/],
    ['cpus-range.ts', `export default { name: 'x', description: 'd', cpus: { default: 4, min: 1, max: 2 }, setup() {} };`, /cpus: cpus needs min <= default <= max/],
    ['unknown-op.ts', `export default { name: 'x', description: 'd', setup(b) { b.process('U'); b.thread('U.a', { mm: 'U', cpu: 0, prog: [{ op: 'touch' }, { op: 'munmapp' }] }); } };`, /unknown-op\.ts': thread 'U\.a': prog\[1\]\.op: unknown op 'munmapp'/],
    ['op-field.ts', `export default { name: 'x', description: 'd', setup(b) { b.process('U'); b.thread('U.a', { mm: 'U', cpu: 0, prog: [{ op: 'wake', tsk: 'U.a' }] }); } };`, /op-field\.ts': thread 'U\.a': prog\[0\]\.task: missing \(required\)/],
    ['cpu-range.ts', `export default { name: 'x', description: 'd', setup(b) { b.process('U'); b.thread('U.a', { mm: 'U', cpu: 7, prog: ${ok} }); } };`, /cpu-range\.ts': thread 'U\.a': cpu 7 does not exist \(the configuration has 2 CPUs: 0-1\)/],
    ['nmi-range.ts', `export default { name: 'x', description: 'd', setup(b) { b.nmi(2); } };`, /nmi-range\.ts': nmi: cpu 2 does not exist/],
    ['no-default.ts', `export const scenario = 1;`, /no-default\.ts' has no default export/],
  ];
  for (const [file, text, re] of cases) {
    it(file, async () => {
      fs.writeFileSync(path.join(dir, file), text + '\n');
      const r = await cli('run', path.join(dir, file));
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.code).toBe(2);
    });
  }
  const plugins: [string, string, RegExp][] = [
    ['plugin-field.ts', `export default { id: 'my/p', title: 't', aply() {}, apply() {} };`, /plugin '.*plugin-field\.ts': aply: unknown field/],
    ['plugin-noapply.ts', `export default { id: 'my/p', title: 't' };`, /plugin '.*plugin-noapply\.ts': apply: missing \(required\)/],
  ];
  for (const [file, text, re] of plugins) {
    it(file, async () => {
      fs.writeFileSync(path.join(dir, file), text + '\n');
      const r = await cli('explore', 'lazy-exit', '--apply', path.join(dir, file));
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.code).toBe(2);
    });
  }
  it('every built-in scenario and workload passes the same schema, setup included', async () => {
    const { SCENARIOS } = await import('../scenarios/index.ts');
    const { WORKLOADS } = await import('../scenarios/perf/index.ts');
    const { checkScenario } = await import('../core/lab/schema.ts');
    const { startRun } = await import('../core/model/engine.ts');
    for (const sc of [...SCENARIOS, ...WORKLOADS]) {
      const checked = checkScenario(sc, sc.name);
      const k = buildKernel(await resolveConfig(parseConfigString(sc.expect?.[0]?.config ?? '--arch x86'), sc, { maxCpus: 1024 }));
      startRun(k, checked, false); // boot, then setup() through the checking builder
    }
  });
});

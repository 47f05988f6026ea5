// `lazymm new-arch`: bad names are refused with one line (exit 2); good ones, in a temporary copy
// of the repository (never here), give arches that `list arches` shows at once (three scaffolded
// concurrently all keep theirs: arches/index.ts discovers them, nobody edits it), that explore
// the built-in scenarios, pass the conformance suite unchanged and type-check.
import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cli } from './helpers.ts';
import { ARCHES } from '../arches/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** riscv, unless this checkout already has one (someone followed docs/arch-tutorial.md) */
const NAME = ['riscv', 'riscv-scaffold', 'scaffold-test'].find((n) => !ARCHES.some((a) => a.name === n) && !fs.existsSync(path.join(ROOT, 'arches', `${n}.ts`)))!;
const IDENT = NAME.split('-').map((p, i) => (i ? p.charAt(0).toUpperCase() + p.slice(1) : p)).join('');
const NAMES = [NAME, `${NAME}-b`, `${NAME}-c`];
const INDEX = fs.readFileSync(path.join(ROOT, 'arches', 'index.ts'), 'utf8');
/** What a scaffold of NAME here would have left behind (none of it must exist). */
const snapshot = () => ({
  file: fs.existsSync(path.join(ROOT, 'arches', `${NAME}.ts`)),
  indexChanged: fs.readFileSync(path.join(ROOT, 'arches', 'index.ts'), 'utf8') !== INDEX,
});
const before = { file: false, indexChanged: false };

describe('new-arch refuses bad names with exit 2 and one line', () => {
  const cases: [string[], RegExp][] = [
    [['new-arch'], /missing <name>/],
    [['new-arch', 'RiscV'], /bad arch name 'RiscV'/],
    [['new-arch', '9p'], /bad arch name '9p'/],
    [['new-arch', 'risc_v'], /bad arch name 'risc_v'/],
    [['new-arch', 'x86'], /arch 'x86' already exists/],
    [['new-arch', 'powerpc'], /arch 'powerpc' already exists/],
    [['new-arch', 'generic'], /arches\/generic\.ts already exists/],
    [['new-arch', NAME, 'extra'], /unexpected argument 'extra'/],
    [['new-arch', 'a'.repeat(300)], /is 300 characters long \(at most 40\)/],
    [['new-arch', 'index'], /arches\/index\.ts already exists/],
  ];
  for (const [argv, re] of cases) {
    it(argv.join(' ') || '(none)', async () => {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(snapshot()).toEqual(before);
    });
  }
});

describe(`new-arch ${NAME} in a fresh copy of the repository`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-new-arch-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of ['package.json', 'tsconfig.json', 'vitest.config.ts', 'bin', 'core', 'arches', 'patches', 'scenarios', 'test'])
    fs.cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 170_000 });
  const lazymm = (...a: string[]) => run(['bin/lazymm.mjs', ...a]);

  /** lazymm in the copy, asynchronously (to run several at once) */
  const lazymmAsync = (...a: string[]) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, ['bin/lazymm.mjs', ...a], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '', stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });

  it('scaffolds three arches at once, lists all three, explores and passes the conformance suite', async () => {
    const made = await Promise.all(NAMES.map((n) => lazymmAsync('new-arch', n)));
    for (const [i, m] of made.entries()) {
      expect(m.stderr).toBe('');
      expect(m.status).toBe(0);
      expect(m.stdout).toContain(`created arches/${NAMES[i]}.ts from arches/generic.ts`);
      expect(fs.existsSync(path.join(dir, 'arches', `${NAMES[i]}.ts`))).toBe(true);
    }
    expect(fs.readFileSync(path.join(dir, 'arches', 'index.ts'), 'utf8')).toBe(INDEX); // nothing shared was edited
    expect(fs.readFileSync(path.join(dir, 'arches', `${NAME}.ts`), 'utf8')).toContain(`export const ${IDENT}: ArchPlugin`);
    // the same name again, and the same name twice at once: one result each, never a lost one
    const again = await Promise.all([lazymmAsync('new-arch', NAME), lazymmAsync('new-arch', `${NAME}-d`), lazymmAsync('new-arch', `${NAME}-d`)]);
    expect(again[0].status).toBe(2);
    expect(again[0].stderr).toMatch(/already exists/);
    expect(again.slice(1).map((r) => r.status).sort()).toEqual([0, 2]);

    const list = lazymm('list', 'arches', '--json');
    expect(list.status).toBe(0);
    const names = JSON.parse(list.stdout).arches.map((a: { name: string }) => a.name);
    for (const n of [...NAMES, `${NAME}-d`]) expect(names).toContain(n);

    const ex = lazymm('explore', 'lazy-exit', '--arch', NAME, '--budget', '300');
    expect(ex.stdout).toMatch(/no violation: sampled: 300 schedules of dfs/);
    expect(ex.status).toBe(0);

    // the conformance suite, unchanged, on the new arch only
    const conf = run([path.join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/conformance.test.ts'], { CONFORMANCE_ARCH: NAME, CONFORMANCE_BUDGET: '60' });
    const out = (conf.stdout + conf.stderr).replace(/\x1b\[[0-9;]*m/g, '');
    expect(out).toMatch(/Tests\s+\d+ passed/);
    expect(out).not.toMatch(/failed/);
    expect(conf.status).toBe(0);

    // and the scaffold type-checks (errors elsewhere are other modules' business)
    const tsc = run([path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json']);
    const ours = tsc.stdout.split('\n').filter((l) => NAMES.some((n) => l.includes(`arches/${n}.ts`)) || l.includes('arches/index.ts'));
    expect(ours).toEqual([]);
  }, 400_000);

  it('left the repository itself alone', () => {
    expect(snapshot()).toEqual(before);
  });
});

// `lazymm new-arch`: bad names are refused with one line (exit 2); a good one, in a temporary copy
// of the repository (never here), gives an arch that `list arches` shows at once, that explores
// the built-in scenarios, that passes the conformance suite unchanged and type-checks.
import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cli } from './helpers.ts';
import { ARCHES } from '../arches/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** riscv, unless this checkout already has one (someone followed docs/arch-tutorial.md) */
const NAME = ['riscv', 'riscv-scaffold', 'scaffold-test'].find((n) => !ARCHES.some((a) => a.name === n) && !fs.existsSync(path.join(ROOT, 'arches', `${n}.ts`)))!;
const IDENT = NAME.split('-').map((p, i) => (i ? p.charAt(0).toUpperCase() + p.slice(1) : p)).join('');
/** What a scaffold of NAME here would have left behind (none of it must exist). */
const snapshot = () => ({
  file: fs.existsSync(path.join(ROOT, 'arches', `${NAME}.ts`)),
  registered: fs.readFileSync(path.join(ROOT, 'arches', 'index.ts'), 'utf8').includes(`'./${NAME}.ts'`),
});
const before = { file: false, registered: false };

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

  it('scaffolds, registers, lists, explores and passes the conformance suite', () => {
    const made = lazymm('new-arch', NAME);
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    expect(made.stdout).toContain(`created arches/${NAME}.ts from arches/generic.ts`);
    const index = fs.readFileSync(path.join(dir, 'arches', 'index.ts'), 'utf8');
    expect(index).toContain(`import { ${IDENT} } from './${NAME}.ts';`);
    expect(index).toContain(`\n  ${IDENT},\n`);

    const list = lazymm('list', 'arches', '--json');
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout).arches.map((a: { name: string }) => a.name)).toContain(NAME);

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
    const ours = tsc.stdout.split('\n').filter((l) => l.includes(`arches/${NAME}.ts`) || l.includes('arches/index.ts'));
    expect(ours).toEqual([]);
  }, 180_000);

  it('left the repository itself alone', () => {
    expect(snapshot()).toEqual(before);
  });
});

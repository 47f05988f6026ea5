// The command line as declared in core/lab/cli/verbs.ts: help, version, --flag=value, strict flags
// (ranges, duplicates, extra arguments), --set against the declared options, list options and
// workloads, shell completion generated from the same declarations.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cli } from './helpers.ts';
import { VERBS } from '../core/lab/cli/verbs.ts';
import { bashScript, zshScript } from '../core/lab/cli/completion.ts';
import { allOptions } from '../core/lab/options.ts';

const oneLine = (r: { err: string }) => expect(r.err.trim().split('\n')).toHaveLength(1);

describe('help and version', () => {
  it('--help lists every verb on stdout, exit 0', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const v of VERBS) expect(r.out).toContain(`  ${v.name} `);
    expect(r.err).toBe('');
  });
  it('no arguments: one line on stderr naming the verbs, exit 2 (docs/robustness.md)', async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^lazymm: missing command \(verbs: list, run, /);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
  for (const v of VERBS) {
    it(`${v.name} --help and help ${v.name} show its flags and examples`, async () => {
      const a = await cli(v.name, '--help');
      const b = await cli('help', v.name);
      expect(a.code).toBe(0);
      expect(a.out).toBe(b.out);
      expect(a.out).toContain(`usage: lazymm ${v.synopsis}`);
      for (const f of v.flags) expect(a.out).toContain(`--${f.name}`);
      for (const e of v.examples) expect(a.out).toContain(e);
    });
  }
  it('--version', async () => {
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^lazymm \d+\.\d+\.\d+/);
  });
  it('help of an unknown verb is refused', async () => {
    const r = await cli('help', 'frobnicate');
    expect(r.code).toBe(2);
    oneLine(r);
  });
});

describe('flags', () => {
  it('--flag=value is the same as --flag value', async () => {
    const a = await cli('explore', 'lazy-exit', '--arch=x86', '--strategy=random', '--budget=30', '--seed=5', '--json');
    const b = await cli('explore', 'lazy-exit', '--arch', 'x86', '--strategy', 'random', '--budget', '30', '--seed', '5', '--json');
    expect(a.code).toBe(0);
    const strip = (s: string) => s.replace(/"seconds": [\d.]+/g, '');
    expect(strip(a.out)).toBe(strip(b.out));
  });
  it('ab takes its configurations as one quoted value, also with =', async () => {
    const r = await cli('ab', 'context-switch', '--a=--arch x86', '--b', '--arch x86', '--cpus', '2', '--runs', '1', '--set', 'timing_duration_ns=20000', '--set', 'timing_warmup_ns=5000', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
  const refused: [string[], RegExp][] = [
    [['explore', 'lazy-exit', '--budget', '0'], /--budget takes a positive integer, not '0'/],
    [['explore', 'lazy-exit', '--budget', '-3'], /--budget takes a positive integer, not '-3'/],
    [['explore', 'lazy-exit', '--budget', '1e3'], /--budget takes a positive integer, not '1e3'/],
    [['explore', 'lazy-exit', '--seed', '4294967296'], /--seed takes an integer from 0 to 4294967295, not '4294967296'/],
    [['explore', 'lazy-exit', '--preemptions', '65'], /--preemptions takes an integer from 0 to 64/],
    [['run', 'lazy-exit', '--cpus', '0'], /--cpus takes an integer from 1 to 1024, not '0'/],
    [['explore', 'lazy-exit', '--strategy', 'bfs'], /--strategy takes random, pct, dfs, verify, not 'bfs'/],
    [['explore', 'lazy-exit', '--arch', 'x86', '--arch', 'powerpc'], /--arch given twice/],
    [['explore', 'lazy-exit', '--cpus', '2', '--cpus=3'], /--cpus given twice/],
    [['explore', 'lazy-exit', '--seed', '1', '--seed', '1'], /--seed given twice/],
    [['explore', 'lazy-exit', '--json', '--json'], /--json given twice/],
    [['explore', 'lazy-exit', '--set', 'memory_model=sc', '--set', 'memory_model=tso'], /--set memory_model given twice/],
    [['list', 'scenarios', 'extra'], /unexpected argument 'extra'/],
    [['run', 'lazy-exit', 'lazy-flush'], /unexpected argument 'lazy-flush'/],
    [['run', 'lazy-exit', '--budget', '3'], /unknown option '--budget' for 'run'/],
    [['run', 'lazy-exit', '-x'], /unknown option '-x'/],
    [['run', 'lazy-exit', '--arch'], /--arch needs a value/],
    [['run', 'lazy-exit', '--arch', '--json'], /--arch needs a value/],
    [['run', 'lazy-exit', '--json=yes'], /--json takes no value/],
    [['run'], /missing <scenario>/],
    [['list', 'things'], /list what: patches, series, arches, scenarios, workloads, hooks, options, not 'things'/],
    [['list', 'scenarios', '--arch', 'x86'], /list scenarios takes no config words/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['--version', 'x'], /unexpected argument 'x'/],
    [['ab', 'context-switch', '--a', '--arch x86 --bogus', '--b', '--arch x86'], /unknown option '--bogus' in configuration "--arch x86 --bogus"/],
  ];
  for (const [argv, re] of refused) {
    it(`refuses ${argv.join(' ')}`, async () => {
      const r = await cli(...argv);
      expect(r.err).toMatch(re);
      oneLine(r);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
    });
  }
  it('repeatable flags keep every value in order', async () => {
    const r = await cli('list', 'hooks', '--apply', 'lazy-mm:1-3', '--apply', 'lazy-mm/04', '--drop-step', 'context_switch.mmgrab_lazy', '--drop-step', 'finish_task_switch.mmdrop_prev_mm', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.config.patches).toEqual(['lazy-mm/01', 'lazy-mm/02', 'lazy-mm/03', 'lazy-mm/04']);
    expect(j.config.dropSteps).toEqual(['context_switch.mmgrab_lazy', 'finish_task_switch.mmdrop_prev_mm']);
  });
});

describe('--set is checked against the declared options', () => {
  const refused: [string[], RegExp][] = [
    [['--set', 'membarrier_checker=Strict'], /--set membarrier_checker=Strict: membarrier_checker takes strict, observed or off, not 'Strict'/],
    [['--set', 'no_such=1'], /--set no_such=1: no option 'no_such' \(lazymm list options\)/],
    [['--set', 'NO_SUCH=y'], /no option 'NO_SUCH'/],
    [['--set', 'MEMBARRIER_CHECKER=off'], /did you mean membarrier_checker\?/],
    [['--set', 'memory_model=pso'], /memory_model takes sc or tso, not 'pso'/],
    [['--set', 'powerpc_tlbie=n'], /powerpc_tlbie is an option of arch powerpc, not of this configuration \(arch x86, scenario lazy-exit\)/],
    [['--arch', 'powerpc', '--set', 'powerpc_tlbie=yes'], /powerpc_tlbie is y or n, not 'yes'/],
    [['--set', 'MMU_GATHER_BUNDLE=0'], /MMU_GATHER_BUNDLE takes an integer from 1 to 1000000, not '0'/],
    [['--set', 'cost.no_such_weight=3'], /no option 'cost\.no_such_weight'/],
    [['--set', 'pages=8'], /pages is an option of scenario delayed-rmap-lost-write/],
    [['--set', 'machine=vax'], /machine takes .*, not 'vax'/],
    [['--set', 'novalue'], /malformed --set 'novalue' \(expected NAME=VALUE/],
  ];
  for (const [words, re] of refused) {
    it(`refuses ${words.join(' ')}`, async () => {
      const r = await cli('run', 'lazy-exit', ...words);
      expect(r.err).toMatch(re);
      oneLine(r);
      expect(r.code).toBe(2);
    });
  }
  it('accepts declared options with values they take', async () => {
    for (const words of [
      ['run', 'lazy-exit', '--set', 'membarrier_checker=observed', '--set', 'MMU_GATHER_BUNDLE=2'],
      ['run', 'lazy-exit', '--arch', 'powerpc', '--set', 'powerpc_tlbie=n'],
      ['run', 'delayed-rmap-lost-write', '--set', 'pages=2', '--set', 'zap=munmap'],
      ['run', 'lazy-exit', '--apply', 'shoot-lazies', '--arch', 'powerpc', '--set', 'DEBUG_VM_SHOOT_LAZIES=y'],
    ]) {
      const r = await cli(...words);
      expect(r.err).toBe('');
      expect([0, 1]).toContain(r.code);
    }
  });
  it('a series option is accepted while the series is not applied (Kconfig ignores unknown symbols; bisect needs it)', async () => {
    const r = await cli('run', 'lazy-exit', '--set', 'MMU_LAZY_TLB_REFCOUNT=y');
    expect(r.code).toBe(0);
  });
  it('every parameter a built-in module reads is declared', async () => {
    // the names k.param/k.flag/b.param read, found in the sources, against the declarations
    const fs = await import('node:fs');
    const path = await import('node:path');
    const read: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/\b(?:k|b|this\.k)\.(?:param|flag)\('([^']+)'/g)) read.push(m[1]);
      }
    };
    for (const d of ['core', 'arches', 'patches', 'scenarios']) walk(d);
    const declared = new Set(allOptions().map((o) => o.name));
    expect([...new Set(read)].filter((n) => !declared.has(n))).toEqual([]);
    expect(read.length).toBeGreaterThan(15);
  });
});

describe('list options and list workloads', () => {
  it('list options names each option with its type, default and owner', async () => {
    const r = await cli('list', 'options', '--json');
    const opts = JSON.parse(r.out).options as { name: string; owner: string; type: string; values?: string[] }[];
    const by = (n: string) => opts.find((o) => o.name === n)!;
    expect(by('membarrier_checker')).toMatchObject({ owner: 'model', type: 'enum', values: ['strict', 'observed', 'off'] });
    expect(by('lazy_mm_06')).toMatchObject({ owner: 'lazy-mm/06', values: ['as-posted', 'fixed'] });
    expect(by('MMU_LAZY_TLB_REFCOUNT')).toMatchObject({ owner: 'series shoot-lazies', type: 'bool' });
    expect(by('powerpc_tlbie')).toMatchObject({ owner: 'arch powerpc' });
    expect(by('machine').type).toBe('enum');
    expect(opts.some((o) => o.name.startsWith('cost.'))).toBe(true);
  });
  it('with config words, only that configuration\'s options', async () => {
    const r = await cli('list', 'options', '--arch', 'x86', '--json');
    const names = (JSON.parse(r.out).options as { name: string }[]).map((o) => o.name);
    expect(names).toContain('membarrier_checker');
    expect(names).not.toContain('powerpc_tlbie');
  });
  it('list workloads has the ab workloads', async () => {
    const r = await cli('list', 'workloads', '--json');
    expect(JSON.parse(r.out).workloads.map((w: { name: string }) => w.name)).toContain('context-switch');
  });
});

describe('shell completion from the same declarations', () => {
  const bash = (script: string, line: string[]) => spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${line.length - 1}; _lazymm; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  it('bash: verbs, flags, values, option names and values', () => {
    const s = bashScript();
    expect(spawnSync('bash', ['-n'], { input: s }).status).toBe(0);
    expect(bash(s, ['lazymm', 'ex']).stdout.split('\n')).toContain('explore');
    expect(bash(s, ['lazymm', 'explore', '--str']).stdout.trim()).toBe('--strategy');
    expect(bash(s, ['lazymm', 'explore', 'lazy-exit', '--strategy', '']).stdout.split('\n')).toEqual(expect.arrayContaining(['random', 'pct', 'dfs', 'verify']));
    expect(bash(s, ['lazymm', 'run', 'lazy-sw']).stdout.split('\n')).toContain('lazy-switch-exit');
    expect(bash(s, ['lazymm', 'run', 'x', '--arch', 'pow']).stdout.split('\n')).toContain('powerpc');
    expect(bash(s, ['lazymm', 'run', 'x', '--set', 'membarrier_c']).stdout.trim()).toBe('membarrier_checker=');
    expect(bash(s, ['lazymm', 'run', 'x', '--set', 'membarrier_checker', '=', 'ob']).stdout.trim()).toBe('observed');
    expect(bash(s, ['lazymm', 'list', 'wo']).stdout.trim()).toBe('workloads');
    expect(bash(s, ['lazymm', 'ab', 'context-s']).stdout.split('\n')).toContain('context-switch');
  });
  it('zsh: the script parses (when zsh is installed)', (ctx) => {
    if (spawnSync('zsh', ['-c', 'true']).error) { ctx.skip(); return; }
    expect(spawnSync('zsh', ['-n'], { input: zshScript() }).status).toBe(0);
  });
  it('lazymm completion bash|zsh prints them', async () => {
    expect((await cli('completion', 'bash')).out).toBe(bashScript());
    expect((await cli('completion', 'zsh')).out).toBe(zshScript());
    expect((await cli('completion', 'fish')).code).toBe(2);
  });
});

// Issue 15, in-process: every error from user input or user code is exit 2 with one line naming
// the file, plugin or step; internal errors are exit 3 (the stack with --debug); exit 1 is only a
// violation. Schedules, scenario names and plugin ids are checked; outputs are checked before the
// work, written atomically and stay inside --out. (Hangs, signals, EPIPE and concurrent runs:
// test/robust-cli.test.ts.)
import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from './helpers.ts';
import { classify, report } from '../core/lab/cli/boundary.ts';
import { StepFault } from '../core/model/errors.ts';
import { ModelError } from '../core/model/kernel.ts';
import { decodeSchedule, ScheduleError } from '../core/model/engine.ts';
import { requestStop, clearStop } from '../core/lab/interrupt.ts';
import { safeName, inside, writeAtomic, createExclusive } from '../core/lab/outputs.ts';
import { takeGlobals } from '../core/lab/cli/globals.ts';
import { resetUserCode, USER_PLUGINS, USER_SCENARIOS } from '../core/lab/user-code.ts';
import { buildKernel, resolveConfig, parseConfigString } from '../core/lab/config.ts';
import { startRun } from '../core/model/engine.ts';
import { ScenarioError } from '../core/model/errors.ts';
import type { ScenarioBuilder, ScenarioDef } from '../core/model/index.ts';
import type { Op } from '../core/model/program.ts';
import { sweepBaseName } from '../core/lab/render/sweep.ts';
import { sweepFiles } from '../core/lab/cli/ab.ts';

const F = 'test/fixtures/bad';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-robust-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The contract for bad input: exit 2, exactly one line, no stack. */
function bad(r: { code: number; err: string; out: string }, re: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.err.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^lazymm: /);
  expect(r.err).toMatch(re);
  expect(r.err).not.toMatch(/\n\s+at |node:internal/);
}

describe('issue 15: user code and user input that used to give a stack trace and exit 1', () => {
  it('a user scenario whose setup() throws', async () => {
    bad(await cli('run', `${F}/setup-throws.ts`), /scenario 'setup-throws': setup\(\) failed: my setup is broken/);
    bad(await cli('explore', `${F}/setup-throws.ts`, '--budget', '5'), /setup\(\) failed/);
  });
  it('a thread placed on a CPU that does not exist', async () => {
    // a user's scenario: its checking builder (core/lab/schema.ts) names the file
    bad(await cli('run', `${F}/bad-cpu.ts`), /scenario '.*bad-cpu\.ts': thread 'P\.a': cpu 7 does not exist \(the configuration has 2 CPUs: 0-1\)/);
    // any scenario, in the model: the builder itself refuses it (ScenarioError, exit 2)
    const k = buildKernel(await resolveConfig(parseConfigString('--arch x86 --cpus 2')));
    const raw = { name: 'raw-bad-cpu', description: '', setup: (b: ScenarioBuilder) => { b.process('P'); b.thread('P.a', { mm: 'P', cpu: 7, prog: [{ op: 'exit' }] }); } } as ScenarioDef;
    expect(() => startRun(k, raw, false)).toThrow(ScenarioError);
    expect(() => startRun(k, raw, false)).toThrow(/scenario 'raw-bad-cpu': P\.a: cpu 7 does not exist \(the configuration has 2 CPUs\)/);
    const rawOp = { name: 'raw-bad-op', description: '', setup: (b: ScenarioBuilder) => { b.process('P'); b.thread('P.a', { mm: 'P', cpu: 0, prog: [{ op: 'frobnicate' } as unknown as Op] }); } } as ScenarioDef;
    expect(() => startRun(k, rawOp, false)).toThrow(/scenario 'raw-bad-op': .*P\.a: no operation 'frobnicate'/);
  });
  it('an unknown op name', async () => {
    bad(await cli('run', `${F}/unknown-op.ts`), /scenario '.*unknown-op\.ts': thread 'P\.a': prog\[0\]\.op: unknown op 'frobnicate'/);
  });
  it('an unknown mm name: of a thread, and in an operation (found before the run, not when the op runs)', async () => {
    bad(await cli('run', `${F}/unknown-mm.ts`), /scenario 'unknown-mm': P\.a: no mm named 'Q'/);
    bad(await cli('explore', `${F}/unknown-mm-op.ts`, '--budget', '20'), /task kt, op 1: kthread_use_mm names mm 'Q', which the scenario does not create/);
    bad(await cli('run', `${F}/wake-nobody.ts`), /task P\.a, op 1: wake names task 'ghost'/);
  });
  it('a plugin step that throws at run time: the plugin, its file and the step are named', async () => {
    const r = await cli('run', 'lazy-exit', '--apply', `${F}/step-throws-plugin.ts`);
    bad(r, /plugin user\/throws-at-run \(test\/fixtures\/bad\/step-throws-plugin\.ts\): step context_switch\.mmgrab_lazy \(owner user\/throws-at-run\) failed on cpu\d: kaboom in my step/);
    bad(await cli('explore', 'lazy-exit', '--apply', `${F}/step-throws-plugin.ts`, '--budget', '10'), /step context_switch\.mmgrab_lazy .*kaboom/);
  });
  it('a step that returns something other than a code (a generator: the old protocol)', async () => {
    bad(await cli('run', 'lazy-exit', '--apply', `${F}/step-bad-code-plugin.ts`), /plugin user\/bad-code .*step context_switch\.mmgrab_lazy returned a generator, not a step code/);
  });
  it('--trace at a folder or in a missing folder, refused before the work', async () => {
    // the runaway scenario would fail at its step budget: the trace path is refused first
    bad(await cli('run', 'test/fixtures/runaway-scenario.ts', '--trace', tmp), /--trace '.*' is a folder/);
    bad(await cli('run', 'test/fixtures/runaway-scenario.ts', '--trace', path.join(tmp, 'no', 'such', 't.txt')), /folder '.*no\/such' does not exist/);
    const f = path.join(tmp, 'trace.txt');
    const ok = await cli('run', 'lazy-exit', '--trace', f);
    expect(ok.code).toBe(0);
    expect(fs.readFileSync(f, 'utf8')).toMatch(/cpu0/);
    expect(fs.readdirSync(tmp).filter((n) => n.endsWith('.tmp'))).toEqual([]); // the temporary file is gone
  });
  it('ab --out on an existing file, refused before the work', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    bad(await cli('ab', 'context-switch', '--a', '--arch x86', '--b', '--arch x86', '--cpus', '1,2', '--out', file), /--out '.*a-file' exists and is not a folder/);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });
  it('a 300-character new-arch name', async () => {
    bad(await cli('new-arch', 'a'.repeat(300)), /is 300 characters long \(at most 40\)/);
  });
  it('--schedule 0*300000000: refused at the step budget before anything is expanded', async () => {
    bad(await cli('run', 'lazy-exit', '--schedule', '0*300000000'), /schedule is longer than the step budget of 20000 events/);
    bad(await cli('run', 'lazy-exit', '--schedule', `0*${'9'.repeat(30)}`), /malformed schedule token/);
    expect(() => decodeSchedule('0*300000000', 20000)).toThrow(ScheduleError);
  });
});

describe('issue 15: input that used to be accepted silently', () => {
  it('flags: --set NO_SUCH=y, --arch/--cpus twice, an extra argument, --budget 0, --seed 4294967297 (the parser, verbs.ts)', async () => {
    bad(await cli('run', 'lazy-exit', '--set', 'NO_SUCH=y'), /no option 'NO_SUCH'/);
    bad(await cli('explore', 'lazy-exit', '--arch', 'x86', '--arch', 'x86'), /--arch given twice/);
    bad(await cli('explore', 'lazy-exit', '--cpus', '2', '--cpus', '3'), /--cpus given twice/);
    bad(await cli('list', 'scenarios', 'extra'), /unexpected argument 'extra'/);
    bad(await cli('explore', 'lazy-exit', '--budget', '0'), /--budget takes a positive integer, not '0'/);
    bad(await cli('explore', 'lazy-exit', '--seed', '4294967297'), /--seed takes an integer from 0 to 4294967295, not '4294967297'/);
  });
  it('a schedule token 4096 (and any CPU the configuration does not have)', async () => {
    bad(await cli('run', 'lazy-exit', '--schedule', '4096'), /schedule token '4096' \(token 1\): no CPU 4096 \(the configuration has 3 CPUs: 0-2\)/);
    bad(await cli('run', 'lazy-exit', '--schedule', '0.1.i3'), /token 3\): no CPU 3/);
    bad(await cli('run', 'lazy-exit', '--schedule', '0*0'), /a run of 0 events/);
  });
  it('a schedule that ends before the execution, or runs past it: refused with where, unless --lenient', async () => {
    const full = JSON.parse((await cli('run', 'lazy-exit', '--json')).out).schedule as string;
    const toks = full.split('.');
    const short = toks.slice(0, toks.length - 1).join('.');
    bad(await cli('run', 'lazy-exit', '--schedule', short), /schedule ends after \d+ events, but the execution goes on \(enabled at event \d+: .*\); --lenient continues with default choices/);
    bad(await cli('run', 'lazy-exit', '--schedule', `${full}.0`), /schedule runs past the end of the execution: it has \d+ events, the execution ended after \d+ \(nothing left to run\); --lenient ignores the rest/);
    const exact = await cli('run', 'lazy-exit', '--schedule', full, '--json');
    expect(exact.code).toBe(0);
    for (const s of [short, `${full}.0`]) {
      const r = await cli('run', 'lazy-exit', '--schedule', s, '--lenient', '--json');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).schedule).toBe(full); // what actually ran
    }
    bad(await cli('run', 'lazy-exit', '--lenient'), /--lenient is an option of --schedule/);
  });
  it('a scenario with 0 CPUs: refused, not a bogus leak', async () => {
    bad(await cli('run', `${F}/zero-cpus.ts`), /scenario '.*zero-cpus\.ts': cpus\.default: Invalid value: Expected >=1 but received 0/);
  });
  it('a plugin k.st to an out-of-range (or fractional) address: reported with the step', async () => {
    bad(await cli('run', 'lazy-exit', '--apply', `${F}/wild-store-plugin.ts`), /plugin user\/wild-store .*context_switch\.mmgrab_lazy writes address 1073741824, outside every object/);
    bad(await cli('run', 'lazy-exit', '--apply', `${F}/fractional-store-plugin.ts`), /context_switch\.mmgrab_lazy writes address 2\.5, outside every object/);
  });
});

describe('issue 15: identity', () => {
  it('a user plugin may not pose as a series patch (nor a series, nor the model)', async () => {
    bad(await cli('list', 'hooks', '--apply', `${F}/impostor-plugin.ts`), /id 'lazy-mm\/16' is taken by series lazy-mm/);
    bad(await cli('explore', 'lazy-exit', '--apply', `${F}/impostor-plugin.ts`), /id 'lazy-mm\/16' is taken/);
  });
  it('a workload named ../../escaped is refused, and no sweep name can leave --out', async () => {
    const out = path.join(tmp, 'sweep', 'out');
    bad(await cli('ab', `${F}/dotdot-workload.ts`, '--a', '--arch x86', '--b', '--arch x86 --apply shoot-lazies', '--cpus', '1,2', '--runs', '1',
      '--set', 'timing_duration_ns=4000', '--set', 'timing_warmup_ns=1000', '--out', out, '--json'), /dotdot-workload\.ts': name: a scenario name is letters, digits/);
    expect(fs.existsSync(path.join(tmp, 'sweep'))).toBe(false);
    // the file names of a sweep keep only file-name characters, whatever the workload is called
    const name = sweepBaseName({ workload: '../../escaped', axis: { key: 'cpus', label: '' }, a: { config: '--arch x86', machine: '' }, b: { config: '--arch x86 --apply ../p.ts', machine: '' }, runs: 1, seed: 1, window: '', points: [{ x: 1, metrics: [] }, { x: 2, metrics: [] }] }, '');
    expect(name).not.toMatch(/[/\\]/);
    expect(sweepFiles(out, name).csv).toBe(path.join(out, `${name}.csv`));
  });
});

describe('the error boundary', () => {
  it('an internal error is exit 3, one line with a hint; --debug shows the stack', () => {
    let err = '';
    const code = report(new TypeError('x is not a function'), false, (s) => (err += s));
    expect(code).toBe(3);
    expect(err).toBe('lazymm: internal error: x is not a function (run again with --debug for the stack)\n');
    err = '';
    expect(report(new TypeError('x is not a function'), true, (s) => (err += s))).toBe(3);
    expect(err.split('\n').length).toBeGreaterThan(3);
    expect(err).toMatch(/\n\s+at /);
  });
  it('a fault in a model step is internal (3); in a user plugin\'s step, or a model error with user code loaded, bad input (2)', () => {
    resetUserCode();
    expect(classify(new StepFault('context_switch.x', 'baseline', 0, new TypeError('boom'), false)).code).toBe(3);
    expect(classify(new StepFault('context_switch.x', 'baseline', 0, new ModelError('wild'), false)).code).toBe(3);
    USER_SCENARIOS.set('mine', 'mine.ts');
    expect(classify(new StepFault('context_switch.x', 'baseline', 0, new TypeError('boom'), false)).code).toBe(3);
    expect(classify(new StepFault('context_switch.x', 'baseline', 0, new ModelError('no mm named'), false))).toMatchObject({ code: 2, line: expect.stringMatching(/^scenario 'mine' \(mine\.ts\): step context_switch\.x \(owner baseline\)/) });
    USER_PLUGINS.set('user/p', 'p.ts');
    expect(classify(new StepFault('context_switch.x', 'user/p', 1, new TypeError('boom'), false))).toMatchObject({ code: 2, line: expect.stringMatching(/^plugin user\/p \(p\.ts\): step context_switch\.x \(owner user\/p\) failed on cpu1: boom/) });
    resetUserCode();
  });
  it('multi-line messages are folded into one line', () => {
    expect(classify(new Error('a\n  b\nc')).line).toBe('internal error: a b c');
  });
  it('global flags: --debug and --watchdog are taken out of argv, a bad --watchdog is refused', () => {
    expect(takeGlobals(['run', 'x', '--debug', '--watchdog', '2.5'], {})).toEqual({ argv: ['run', 'x'], debug: true, watchdogMs: 2500 });
    expect(takeGlobals(['run'], { LAZYMM_WATCHDOG: '0' }).watchdogMs).toBe(0);
    expect(takeGlobals(['run'], {}).watchdogMs).toBe(5000);
    expect(() => takeGlobals(['run', '--watchdog', 'soon'], {})).toThrow(/--watchdog takes seconds/);
    expect(() => takeGlobals(['run', '--watchdog', '1', '--watchdog', '2'], {})).toThrow(/given twice/);
  });
  it('no command: one line on stderr naming the verbs, exit 2', async () => {
    const r = await cli();
    expect(r.out).toBe('');
    bad(r, /missing command \(verbs: list, run, .*; lazymm --help\)/);
  });
});

describe('interruption, in-process (a stop requested before the first schedule)', () => {
  it('explore --json: a valid document with interrupted: true, coverage "interrupted", exit 130', async () => {
    requestStop(130);
    try {
      const r = await cli('explore', 'lazy-exit', '--strategy', 'random', '--budget', '1000000', '--json');
      expect(r.code).toBe(130);
      const j = JSON.parse(r.out);
      expect(j.interrupted).toBe(true);
      expect(j.coverage.kind).toBe('interrupted');
      expect(j.schedulesExplored).toBe(0);
    } finally {
      clearStop();
    }
  });
  it('bisect --metric: the configurations measured so far, no threshold, no result, exit 130', async () => {
    requestStop(130);
    try {
      const r = await cli('bisect', 'context-switch', '--series', 'shoot-lazies', '--metric', 'context_switches_per_s', '--runs', '1', '--json');
      expect(r.code).toBe(130);
      const j = JSON.parse(r.out);
      expect(j).toMatchObject({ mode: 'metric', interrupted: true, threshold: null, result: null, steps: [] });
      const t = await cli('bisect', 'context-switch', '--series', 'shoot-lazies', '--metric', 'context_switches_per_s', '--runs', '1');
      expect(t.code).toBe(130);
      expect(t.out).toMatch(/interrupted: 0 configurations measured before the stop; no result/);
    } finally {
      clearStop();
    }
  });
  it('verify: the expectations checked so far, exit 130', async () => {
    requestStop(130);
    try {
      const r = await cli('verify', 'lazy-exit', '--json');
      expect(r.code).toBe(130);
      expect(JSON.parse(r.out)).toMatchObject({ interrupted: true, rows: [] });
    } finally {
      clearStop();
    }
  });
  it('bisect: the steps so far, no result, exit 143 after SIGTERM', async () => {
    requestStop(143);
    try {
      const r = await cli('bisect', 'lazy-exit', '--series', 'lazy-mm', '--strategy', 'random', '--budget', '5', '--json');
      expect(r.code).toBe(143);
      const j = JSON.parse(r.out);
      expect(j.interrupted).toBe(true);
      expect(j.result).toBe(null);
    } finally {
      clearStop();
    }
  });
});

describe('safe outputs', () => {
  it('names stay inside their folder', () => {
    expect(safeName('../../escaped')).toBe('__.._escaped');
    expect(safeName('a/b\\c d')).toBe('a_b_c_d');
    expect(safeName('')).toBe('_');
    expect(safeName('x'.repeat(300))).toHaveLength(80);
    expect(() => inside(tmp, '../x')).toThrow(/would leave/);
    expect(inside(tmp, 'x.csv')).toBe(path.join(tmp, 'x.csv'));
  });
  it('atomic writes replace whole files; exclusive creation never overwrites', () => {
    const f = path.join(tmp, 'atomic.txt');
    writeAtomic(f, 'one');
    writeAtomic(f, 'two');
    expect(fs.readFileSync(f, 'utf8')).toBe('two');
    expect(createExclusive(f, 'three')).toBe(false);
    expect(fs.readFileSync(f, 'utf8')).toBe('two');
    expect(createExclusive(path.join(tmp, 'fresh.txt'), 'four')).toBe(true);
    expect(fs.readdirSync(tmp).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

// Traces people read (Perfetto/chrome://tracing JSON, trace-cmd-shaped text, one HTML page), the
// syzbot-style bisect report, and the fixed output bugs (replay lines, labels).
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { cli } from './helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-traces-'));
const LSE = ['lazy-switch-exit', '--arch', 'x86', '--apply', 'lazy-mm'];
// the search for finding 2's use-after-free read (the same window also gives a [dangling] report
// first: the signature picks the KASAN read the examples show)
const LSE_SEARCH = [...LSE, '--match', 'context\\.ldt'];
const LITMUS = ['litmus-membarrier', '--arch', 'x86', '--drop-step', 'ipi_mb.smp_mb'];
const REGEN = 'docs/examples is out of date; after a deliberate trace change regenerate it with lazymm explore lazy-switch-exit --arch x86 --apply lazy-mm --match "context\\.ldt" --trace docs/examples/lazy-switch-exit.{perfetto.json,html,ftrace.txt} --trace-format {perfetto,html,ftrace}';

async function traceOf(args: string[], format: string, name: string): Promise<string> {
  const file = path.join(tmp, name);
  const r = await cli('explore', ...args, '--trace', file, '--trace-format', format);
  expect(r.code).toBe(1);
  return fs.readFileSync(file, 'utf8');
}

// The litmus counterexample takes a PCT search: found once, then replayed by `run` per format.
let litmusSchedule: string | undefined;
async function litmusTrace(format: string, name: string): Promise<string> {
  if (!litmusSchedule) litmusSchedule = JSON.parse((await cli('explore', ...LITMUS, '--json')).out).violations[0].schedule as string;
  const file = path.join(tmp, name);
  const r = await cli('run', ...LITMUS, '--schedule', litmusSchedule, '--trace', file, '--trace-format', format);
  expect(r.code).toBe(1);
  return fs.readFileSync(file, 'utf8');
}

/** Shell words of a printed command line (single quotes only, as the replay lines use). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

// ---- the trace-event format (Trace Event Format, "JSON Object Format") ----------------------------

interface Ev { name?: unknown; ph?: unknown; ts?: unknown; pid?: unknown; tid?: unknown; cat?: unknown; dur?: unknown; id?: unknown; s?: unknown; bp?: unknown; args?: Record<string, unknown> }

/** Problems with a trace-event document: required fields per phase, then what an importer needs
 *  to show it as written: complete slices properly nested per thread, and every flow's two ends
 *  inside a slice of their threads. */
function traceEventProblems(doc: { traceEvents?: Ev[] }): string[] {
  const bad: string[] = [];
  if (!Array.isArray(doc.traceEvents)) return ['no traceEvents array'];
  const isInt = (v: unknown) => Number.isInteger(v);
  const slices = new Map<string, { ts: number; end: number }[]>();
  doc.traceEvents.forEach((e, i) => {
    const where = `event ${i} (${String(e.name)})`;
    if (typeof e.name !== 'string' || !e.name) bad.push(`${where}: name`);
    if (typeof e.ph !== 'string' || !'XBEistfM'.includes(e.ph)) bad.push(`${where}: ph ${String(e.ph)}`);
    if (typeof e.ts !== 'number' || e.ts < 0) bad.push(`${where}: ts`);
    if (!isInt(e.pid) || !isInt(e.tid)) bad.push(`${where}: pid/tid`);
    if (e.ph !== 'M' && (typeof e.cat !== 'string' || !e.cat)) bad.push(`${where}: cat`);
    if (e.ph === 'X') {
      if (typeof e.dur !== 'number' || e.dur < 0) bad.push(`${where}: dur`);
      const k = `${e.pid}/${e.tid}`;
      if (!slices.has(k)) slices.set(k, []);
      slices.get(k)!.push({ ts: e.ts as number, end: (e.ts as number) + (e.dur as number) });
    }
    if (e.ph === 'i' && !['g', 'p', 't'].includes(e.s as string)) bad.push(`${where}: instant scope`);
    if ('stf'.includes(e.ph as string) && e.ph !== 'M' && (e.id === undefined || e.id === null)) bad.push(`${where}: flow id`);
    if (e.ph === 'M') {
      if (['process_name', 'thread_name'].includes(e.name as string) && typeof e.args?.name !== 'string') bad.push(`${where}: args.name`);
      if (/_sort_index$/.test(e.name as string) && !isInt(e.args?.sort_index)) bad.push(`${where}: args.sort_index`);
    }
  });
  for (const [k, ss] of slices) {
    ss.sort((a, b) => a.ts - b.ts || b.end - a.end);
    const stack: { ts: number; end: number }[] = [];
    for (const s of ss) {
      while (stack.length && stack[stack.length - 1].end <= s.ts) stack.pop();
      const top = stack[stack.length - 1];
      if (top && s.end > top.end) bad.push(`thread ${k}: slice [${s.ts}, ${s.end}) overlaps [${top.ts}, ${top.end}) without nesting`);
      stack.push(s);
    }
  }
  const inSlice = (e: Ev) => (slices.get(`${e.pid}/${e.tid}`) ?? []).some((s) => s.ts <= (e.ts as number) && (e.ts as number) < s.end);
  const ends = new Map<string, string[]>();
  for (const e of doc.traceEvents) {
    if (e.ph !== 's' && e.ph !== 'f') continue;
    const k = `${String(e.cat)}#${String(e.id)}`;
    ends.set(k, [...(ends.get(k) ?? []), e.ph]);
    if (!inSlice(e)) bad.push(`flow ${k} ${e.ph} at ${String(e.ts)} is in no slice of its thread`);
  }
  for (const [k, v] of ends) if (v.join('') !== 'sf') bad.push(`flow ${k}: ends ${v.join('')}`);
  return bad;
}

describe('--trace-format perfetto', () => {
  let lse: { traceEvents: Ev[]; otherData: Record<string, unknown> };
  beforeAll(async () => { lse = JSON.parse(await traceOf(LSE_SEARCH, 'perfetto', 'lse.json')); });

  it('the lazy-switch-exit counterexample passes the trace-event format checks', () => {
    expect(traceEventProblems(lse)).toEqual([]);
    // the check can fail: a slice that overlaps its parent, a flow with no end, a missing field
    const broken = structuredClone(lse);
    const x = broken.traceEvents.find((e) => e.ph === 'X' && e.cat === 'function')!;
    broken.traceEvents.push({ ...x, ts: (x.ts as number) + 1, dur: (x.dur as number) + 5 });
    broken.traceEvents.push({ name: 'f', ph: 's', cat: 'ipi', id: 999, ts: 0, pid: 1, tid: 1 });
    delete broken.traceEvents[0].name;
    const problems = traceEventProblems(broken);
    expect(problems.some((p) => /without nesting/.test(p))).toBe(true);
    expect(problems.some((p) => /ends s$/.test(p))).toBe(true);
    expect(problems.some((p) => /: name$/.test(p))).toBe(true);
  });

  it('has a track per CPU level, the kernel functions nested, and the violation as an instant event', () => {
    const names = lse.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args!.name);
    for (const c of [0, 1]) for (const l of ['task', 'hardirq', 'NMI']) expect(names).toContain(`cpu${c} ${l}`);
    const v = lse.traceEvents.find((e) => e.ph === 'i')!;
    expect(v.name).toMatch(/^\[kasan\] use-after-free read of P->context\.ldt/);
    expect(v.s).toBe('t');
    // the instant sits inside the violating step's slice, on cpu1's task track
    const step = lse.traceEvents.find((e) => e.ph === 'X' && e.pid === v.pid && e.tid === v.tid && e.name === 'switch_mm_irqs_off.switch_ldt' && (e.ts as number) <= (v.ts as number) && (v.ts as number) < (e.ts as number) + (e.dur as number));
    expect(step).toBeTruthy();
    expect(lse.traceEvents.some((e) => e.ph === 'X' && e.cat === 'function' && e.name === 'switch_mm_irqs_off')).toBe(true);
    expect(lse.traceEvents.some((e) => e.ph === 'X' && e.cat === 'task' && e.name === 'P.t0')).toBe(true);
    // cpu1's clearing of P's mm_cpumask bit, read by cpu0's scan, is a reads-from flow
    expect(lse.traceEvents.some((e) => e.ph === 's' && e.cat === 'reads-from' && /P->mm_cpumask\[1\]/.test(e.name as string))).toBe(true);
    expect(lse.otherData.replay).toMatch(/^lazymm run lazy-switch-exit --arch x86 --apply lazy-mm --schedule '/);
  });

  it('draws IPIs and store-buffer commits as flows (TSO, membarrier)', async () => {
    const doc = JSON.parse(await litmusTrace('perfetto', 'litmus.json'));
    expect(traceEventProblems(doc)).toEqual([]);
    const flows = (cat: string) => doc.traceEvents.filter((e: Ev) => e.ph === 's' && e.cat === cat);
    expect(flows('ipi').length).toBeGreaterThan(0);
    expect(flows('store-buffer').length).toBeGreaterThan(0);
    // an IPI goes from the sender's task track to the target's hardirq track
    const ipi = flows('ipi')[0], fin = doc.traceEvents.find((e: Ev) => e.ph === 'f' && e.cat === 'ipi' && e.id === ipi.id);
    expect(ipi.pid).not.toBe(fin.pid);
    expect(doc.traceEvents.find((e: Ev) => e.name === 'thread_name' && e.pid === fin.pid && e.tid === fin.tid).args.name).toMatch(/hardirq$/);
    // the end-of-run outcome is a global instant
    expect(doc.traceEvents.find((e: Ev) => e.ph === 'i').s).toBe('g');
  });

  it('is the same byte for byte on every run, and docs/examples holds the current one', async () => {
    const again = await traceOf(LSE_SEARCH, 'perfetto', 'lse2.json');
    expect(again).toBe(JSON.stringify(lse) + '\n');
    expect(fs.readFileSync('docs/examples/lazy-switch-exit.perfetto.json', 'utf8'), REGEN).toBe(again);
  });
});

describe('--trace-format ftrace', () => {
  it('writes trace-cmd report lines: comm-pid [cpu] flags time: event: fields', async () => {
    const t = (await litmusTrace('ftrace', 'litmus.txt')).trimEnd().split('\n');
    expect(t[0]).toBe('cpus=2');
    const re = /^ *\S+-\d+ +\[\d{3}\] [d.]\.[.hz]\.\. +\d+\.\d{6}: [a-z_]+: +\S/;
    for (const l of t.slice(1)) expect(l).toMatch(re);
    expect(t.some((l) => /\] d\.h\.\. .*ipi_entry: +\(Function call interrupts\) callback=ipi_mb from_cpu=0$/.test(l))).toBe(true);
    expect(t.some((l) => /ipi_send_cpu: +cpu=1 callsite=\S+ callback=ipi_mb/.test(l))).toBe(true);
    expect(t.some((l) => /sched_switch: +prev_comm=swapper\/1 prev_pid=0 ==> next_comm=P\.t1 next_pid=\d+$/.test(l))).toBe(true);
    expect(t.some((l) => /bprint: +store_buffer: commit .* \(drained by /.test(l))).toBe(true);
    // timestamps only grow
    const ts = t.slice(1).map((l) => Number(/ (\d+\.\d{6}):/.exec(l)![1]));
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);
    expect(fs.readFileSync('docs/examples/lazy-switch-exit.ftrace.txt', 'utf8'), REGEN).toBe(await traceOf(LSE_SEARCH, 'ftrace', 'lse.txt'));
  });
});

// ---- HTML --------------------------------------------------------------------------------------------

function findChromium(): string | null {
  for (const b of ['chromium', 'chromium-browser', 'google-chrome']) {
    try { return execFileSync('sh', ['-c', `command -v ${b}`], { encoding: 'utf8' }).trim() || null; } catch { /* next */ }
  }
  return null;
}
const CHROMIUM = findChromium();
const NO_CHROMIUM = 'skipped: no chromium in PATH (apt-get install chromium; .ci/run installs it)';
if (!CHROMIUM) console.warn(`test/traces.test.ts: HTML rendering test ${NO_CHROMIUM}`);

function dumpDom(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${file}`], { timeout: 90_000, maxBuffer: 32 << 20 }, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

describe('--trace-format html', () => {
  let html: string;
  beforeAll(async () => { html = await traceOf(LSE_SEARCH, 'html', 'lse.html'); });

  it('is one self-contained page: nothing fetched from anywhere', () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<(script|img|link|iframe)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/url\((?!#)|@import/); // url(#arrow-...) names a marker in the page
    const urls = [...html.matchAll(/https?:\/\/[^\s'"<)]+/g)].map((m) => m[0]);
    expect(urls.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
    expect(fs.readFileSync('docs/examples/lazy-switch-exit.html', 'utf8'), REGEN).toBe(html);
  });

  it.skipIf(!CHROMIUM)(`renders in headless Chromium without script errors (${CHROMIUM ? CHROMIUM : NO_CHROMIUM})`, async () => {
    const file = path.join(tmp, 'lse.html');
    const dom = await dumpDom(file);
    expect(dom).not.toMatch(/data-errors=/);
    const rendered = Number(/data-rendered="(\d+)"/.exec(dom)?.[1]);
    const total = Number(/data-slices="(\d+)"/.exec(dom)?.[1]);
    const text = (await cli('explore', ...LSE_SEARCH)).out;
    expect(total).toBe(text.slice(text.indexOf('trace (minimized):')).split('\n').filter((l) => /^ +\d+ cpu\d/.test(l)).length); // the text trace's lines
    expect(rendered).toBeGreaterThan(10); // folded: the lines that lead to the violation
    expect(rendered).toBeLessThan(total);
    expect(dom).toMatch(/<g class="box l0( marked)? violation" id="slice-\d+">/);
    expect((dom.match(/class="box l0 marked"/g) ?? []).length).toBeGreaterThan(10);
    expect(dom).toMatch(/class="flow reads-from"/);
    // a page with a script error says so (the check can fail)
    const broken = path.join(tmp, 'broken.html');
    fs.writeFileSync(broken, html.replace('var D = JSON.parse', 'var D = JSON.parse(undefinedThing) || JSON.parse'));
    expect(await dumpDom(broken)).toMatch(/data-errors="[^"]*undefinedThing/);
  }, 200_000);
});

// ---- output fixes -------------------------------------------------------------------------------------

describe('violation output', () => {
  it('run prints the whole trace, not "(minimized)"; explore prints the minimized one', async () => {
    const e = await cli('explore', ...LSE_SEARCH);
    expect(e.out).toMatch(/^trace \(minimized\):$/m);
    const schedule = /^schedule: (\S+)$/m.exec(e.out)![1];
    const r = await cli('run', ...LSE, '--schedule', schedule);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^trace:$/m);
    expect(r.out).not.toMatch(/minimized/);
  });

  it('a violation found at the end of the run says so, not "at cpu-1"', async () => {
    const r = await cli('explore', 'exit-mm-leak', '--arch', 'x86', '--apply', 'lazy-mm:1-16');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {2}at the end of the run \(quiescence check\)$/m);
    expect(r.out).not.toMatch(/cpu-1/);
  });

  it('the replay line names a user scenario by its path, and replays it', async () => {
    // the fixture is called lazy-exit, like a built-in scenario with another workload
    const fx = 'test/fixtures/shadow-lazy-exit.ts';
    const e = await cli('explore', fx, '--arch', 'x86', '--drop-step', 'context_switch.mmgrab_lazy');
    expect(e.code).toBe(1);
    const line = /^replay: +(.*)$/m.exec(e.out)![1];
    expect(line).toMatch(/^lazymm run test\/fixtures\/shadow-lazy-exit\.ts --arch x86 --drop-step context_switch\.mmgrab_lazy --schedule '/);
    const r = await cli(...words(line).slice(1), '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.config.cpus).toBe(2); // the fixture's two CPUs, not the built-in's three
    expect(j.violations.map((v: { message: string }) => v.message)).toContain(/^VIOLATION \[\w+\] (.*)$/m.exec(e.out)![1]);
  });
});

describe('bisect report', () => {
  it('has the syzbot-style header, the culprit, a reproducer that replays, and the log', async () => {
    const r = await cli('bisect', 'lazy-switch-exit', '--series', 'lazy-mm', '--arch', 'x86');
    expect(r.code).toBe(0);
    const o = r.out;
    expect(o).toMatch(/^scenario: +lazy-switch-exit$/m);
    expect(o).toMatch(/^arch: +x86$/m);
    expect(o).toMatch(/^configuration: +arch x86, 2 CPUs, SC, baseline$/m);
    expect(o).toMatch(/^strategy: +verify \(exhaustive/m);
    expect(o).toMatch(/^coverage: +good verdicts: 5 verified \(the whole state space\); 2 bad/m);
    expect(o).toMatch(/^ {2}lazy-mm:1-21 +good +verified: the whole state space, \d+ states/m);
    expect(o).toMatch(/^first bad patch: lazy-mm\/22 "x86\/mm: Optimize for_each_possible_lazymm_cpu\(\)"$/m);
    expect(o).toMatch(/^direction: introduces/m);
    expect(o).toMatch(/^Fixes: lazy-mm\/22 \("x86\/mm: Optimize for_each_possible_lazymm_cpu\(\)"\)$/m);
    // the log has the lines that lead to it: cpu1 leaves mm_cpumask(P), cpu0's scan reads that
    expect(o).toMatch(/^ +\d+ cpu1 .*switch_mm_irqs_off\.update_mm_cpumask: cmpxchg P->mm_cpumask\[1\]: 1 -> 0$/m);
    expect(o).toMatch(/^ +\d+ cpu0 .*for_each_cpu_mm_cpumask: load P->mm_cpumask\[0\] = 0; load P->mm_cpumask\[1\] = 0$/m);
    const oops = /^final oops: +(.*)$/m.exec(o)![1];
    const repro = /^reproducer: +(.*)$/m.exec(o)![1];
    expect(repro).toMatch(/^lazymm run lazy-switch-exit --arch x86 --apply lazy-mm:1-22 --schedule '/);
    const rr = await cli(...words(repro).slice(1));
    expect(rr.code).toBe(1);
    expect(`[${/^VIOLATION \[(\w+)\] (.*)$/m.exec(rr.out)!.slice(1).join('] ')}`).toBe(oops);
  }, 60_000);

  it('JSON carries the scenario, arch, config, coverage per configuration and the reproducer', async () => {
    const j = JSON.parse((await cli('bisect', 'lazy-switch-exit', '--series', 'lazy-mm', '--arch', 'x86', '--json')).out);
    expect(j.scenario).toBe('lazy-switch-exit');
    expect(j.arch).toBe('x86');
    expect(j.config).toMatchObject({ arch: 'x86', cpus: 2, patches: [], memoryModel: 'sc' });
    expect(j.coverage).toMatchObject({ weakest: 'verified', bad: 2, skipped: 0 });
    for (const s of j.steps) expect(s.verdict === 'bad' || s.coverage.kind === 'verified').toBe(true);
    expect(j.result.first.id).toBe('lazy-mm/22');
    expect(j.counterexample.reproducer).toMatch(/--apply lazy-mm:1-22 --schedule '/);
    expect(j.counterexample.log.some((l: string) => /P->mm_cpumask\[1\]: 1 -> 0/.test(l))).toBe(true);
  }, 60_000);

  it('names a user scenario by its path', async () => {
    const r = await cli('bisect', 'test/fixtures/user-scenario.ts', '--series', 'lazy-mm', '--arch', 'x86');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^scenario: +test\/fixtures\/user-scenario\.ts$/m);
  }, 60_000);
});

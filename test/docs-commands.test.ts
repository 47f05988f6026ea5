// Every `lazymm ...` command in README.md and docs/*.md runs, and exits as its text says: in a
// code block (a line that starts with `lazymm`, `npx lazymm` or `$ lazymm`) or in an inline code
// span. Synopses with placeholders (<scenario>, [config], A|B, N, NAME...) are not commands.
// Budgets are made small where a full run would take minutes (OVERRIDES says how, per verb); the
// exit code stays the one the text implies: run/explore commands say theirs in EXPECT (1 where the
// text shows a violation), every other verb exits 0.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from './helpers.ts';
import { VERBS } from '../core/lab/cli/verbs.ts';

const VERB_NAMES = new Set([...VERBS.map((v) => v.name), '--help', '--version', '-h']);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** Commands shown failing: a `$ lazymm ...` line followed by a `lazymm: ...` message (exit 2). */
const SHOWN_FAILING = new Set<string>();

/** Commands, as written. */
export function extractCommands(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/```[^\n]*\n([\s\S]*?)```/g)) {
    const lines = m[1].split('\n');
    for (const [i, line] of lines.entries()) {
      const c = /(?:^|&&\s*|^\$\s*)(?:npx )?(lazymm\s.*)$/.exec(line.trim());
      if (!c) continue;
      const cmd = c[1].replace(/\s+#.*$/, '').replace(/\s+/g, ' ').trim();
      out.push(cmd);
      if (line.trim().startsWith('$') && lines[i + 1]?.trim().startsWith('lazymm: ')) SHOWN_FAILING.add(cmd); // indented blocks too
    }
  }
  for (const m of text.replace(/```[\s\S]*?```/g, '').matchAll(/`(?:npx )?(lazymm\s[^`]+)`/g)) out.push(m[1].replace(/\s+/g, ' ').trim());
  return [...new Set(out)];
}

/** A synopsis or a sentence fragment ("lazymm has bisected this issue to:", report text), not a
 *  command to paste. */
const isSynopsis = (c: string) => !VERB_NAMES.has(c.split(/\s+/)[1]) || /[<[|]/.test(c.replace(/\s\|\s*(tail|head|grep)\b.*$/, '').replace(/\s>\s*\S+$/, '')) || /\s(\.\.\.|N|X|NAME|ID|SPEC|CONFIG|VERB|REGEX)(\s|$)/.test(c);

/** Shell words of a command: quotes kept together, a trailing pipe or redirection dropped. The
 *  checkout's test fixtures (docs/robustness.md shows them) are found from the temporary folder. */
function argv(c: string): string[] {
  const s = c.replace(/\s\|\s*(tail|head|grep)\b.*$/, '').replace(/\s>\s*\S+$/, '');
  return [...s.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]).slice(1)
    .map((w) => (w.startsWith('test/fixtures/') ? path.join(ROOT, w) : w));
}

/** Commands not run here, and why (each is run elsewhere). */
const SKIP: Record<string, string> = {
  'lazymm new-arch riscv': 'writes arches/riscv.ts into the checkout: test/new-arch.test.ts runs it in a copy of the repository',
  'lazymm explore lazy-exit --arch riscv': 'needs the riscv arch of the tutorial (test/new-arch.test.ts runs this on a scaffold)',
  'lazymm explore lazy-flush --arch riscv': 'needs the riscv arch of the tutorial',
  'lazymm explore lazier-tlb-munmap --arch riscv': 'needs the riscv arch of the tutorial',
  'lazymm explore kthread-borrow.ts --arch x86 --strategy verify': "DEVELOPING.md's user project: test/user-modules.test.ts writes its files and runs it",
  'lazymm explore kthread-borrow.ts --arch x86 --strategy verify --apply ./kthread-mb.ts': 'the same',
  'lazymm list hooks --arch x86 --apply ./kthread-mb.ts': 'the same',
  "lazymm run kthread-borrow.ts --arch x86 --schedule '0*22.f0*3.1*6.0*8.f0*4.1*3'": 'the same (test/user-modules.test.ts replays a schedule of it)',
  'lazymm merge part-1.json part-2.json part-3.json': 'docs/scale-out.md: the partials of the shard loop before it; test/shard.test.ts and test/scale-out.test.ts shard and merge',
  'lazymm merge part-1.json part-3.json': 'docs/scale-out.md: shown refused (a missing shard); test/shard.test.ts checks the message',
  'lazymm merge part-1.json part-2.json part-2.json part-3.json': 'the same (a duplicated shard)',
  'lazymm merge part-1.json cut.json part-3.json': 'the same (a shard cut short)',
  'lazymm explore kthread-use-mm --arch x86 --strategy verify --search bfs --jobs 2': 'threads that exchange states need the CLI\'s own process (the same module order on every thread): test/scale-out.test.ts runs --search bfs with --jobs 1, 2 and 3 that way',
  // docs/robustness.md: the watchdog and signals need the supervised command line, not main() in-process
  'lazymm run lazy-exit --apply test/fixtures/bad/step-loops-plugin.ts': 'a step that never returns: test/robust-cli.test.ts runs it under the watchdog',
  'lazymm run lazy-exit --apply test/fixtures/bad/apply-loops-plugin.ts --watchdog 2': 'an apply() that never returns: test/robust-cli.test.ts runs it under the watchdog',
  'lazymm explore lazy-exit --strategy random --budget 10000000': 'shown interrupted by SIGINT: test/robust-cli.test.ts sends it',
};

/** run/explore: the exit code the text implies (1: it shows a violation; 2: it shows the refusal). */
const EXPECT: Record<string, 0 | 1 | 2> = {
  'lazymm explore lazy-flush-exit --apply lazy-mm --without lazy-mm/21 --force': 1, // "22 without 21?": a use-after-free
  'lazymm explore membarrier-ppc-switch --arch powerpc --apply lazy-mm:1-6': 1, // finding 7: -> [warn]
  'lazymm explore kthread-exec-flush --apply lazy-mm:1-21': 1, // finding 8: WARN_ON_ONCE(current->mm)
  'lazymm explore hotplug-lazy-mmput --arch x86': 1, // finding 9: -> [lifetime]
  'lazymm explore lazy-exit --arch x86 --apply shoot-lazies --set MMU_LAZY_TLB_REFCOUNT=n --set MMU_LAZY_TLB_SHOOTDOWN=n --force': 1, // finding 10: -> [kasan]
  'lazymm explore kthread-use-mm --arch x86 --strategy verify': 0, // verified clean
  'lazymm explore lazy-exit --arch x86 --strategy verify': 0, // docs/cli.md: the start-up bench's end-to-end run, clean
  'lazymm explore lazy-exit --budget 0': 2, // docs/cli.md: shown refused
  'lazymm run lazy-exit --arch x86 --arch powerpc': 2,
  'lazymm run lazy-exit --budget 3': 2,
  'lazymm run lazy-exit --set membarrier_checker=Strict': 2,
  'lazymm run lazy-exit --set no_such=1': 2,
  'lazymm run lazy-exit --set powerpc_tlbie=n': 2,
  'lazymm explore lazy-switch-exit --arch x86 --apply lazy-mm --budget 2000': 1, // 22's use-after-free
  'lazymm explore lazy-exit --drop-step context_switch.mmgrab_lazy': 1, // "is this mmgrab needed?": yes
  "lazymm explore lazy-switch-exit --arch x86 --apply lazy-mm --match 'context\\.ldt' --trace lse.json --trace-format perfetto": 1, // docs/traces-and-reports.md: the counterexample's trace
  "lazymm explore lazy-switch-exit --arch x86 --apply lazy-mm --match 'context\\.ldt' --trace lse.html --trace-format html": 1,
  "lazymm explore lazy-switch-exit --arch x86 --apply lazy-mm --match 'context\\.ldt' --trace lse.txt --trace-format ftrace": 1,
  "lazymm run lazy-switch-exit --arch x86 --apply lazy-mm --schedule '0*20.1*56.0*40.1*13' --trace lse.json --trace-format perfetto": 1,
  'lazymm explore litmus-membarrier --arch x86 --drop-step ipi_mb.smp_mb --trace lm.txt --trace-format ftrace': 1,
  'lazymm run lazy-exit --seed 3': 0,
  'lazymm explore lazy-exit --arch x86 --strategy pct --budget 600 --shard 2/3': 0, // a partial result
  'lazymm explore lazy-exit --arch x86 --strategy random --budget 3000 --jobs 2': 0, // docs/scale-out.md
  // docs/robustness.md: refusals
  'lazymm run test/fixtures/bad/setup-throws.ts': 2,
  'lazymm run lazy-exit --apply test/fixtures/bad/step-throws-plugin.ts': 2,
  'lazymm run lazy-exit --apply test/fixtures/bad/step-bad-code-plugin.ts': 2,
  'lazymm run lazy-exit --schedule 0*300000000': 2,
  'lazymm run lazy-exit --schedule 0.1.0': 2,
  'lazymm run lazy-exit --schedule 4096': 2,
  'lazymm run test/fixtures/bad/unknown-mm-op.ts': 2,
  'lazymm run lazy-switch-exit --arch x86 --apply lazy-mm --json': 0,
  'lazymm explore lazy-drop-irq --arch x86 --apply lazy-mm:1-21 --oracle context': 1, // finding 6: -> [context]
  'lazymm explore lazy-drop-irq --arch x86 --apply lazy-mm:1-22 --oracle context --strategy verify': 0, // finding 6: gone with 22
  'lazymm explore exit-lazy-leak --arch x86 --apply lazy-mm:1-15 --strategy verify': 0, // docs/oracles.md: verified clean
  'lazymm explore exit-lazy-leak --arch x86 --apply lazy-mm:1-16 --strategy verify': 1, // the leak naming exit_mm.mmgrab
  'lazymm explore lazy-mm-steal-race --arch x86 --apply lazy-mm:1-20 --drop-step __try_mm_drop_rq_ref.reload_lazy_mm': 1, // [dangling]
  // docs/hotplug.md: stop_machine hotplug
  'lazymm explore cpu-offline-lazy --arch powerpc --apply shoot-lazies --strategy verify': 0, // the false report gone, verified
  'lazymm explore cpu-offline-lazy --arch powerpc --apply shoot-lazies --cpus 3 --drop-step tlb_flush_mmu.tlb_flush_mmu_free': 1, // 21641bd9a7a7's race
  'lazymm run cpu-offline-lazy --arch x86 --seed 4 --trace offline.txt': 0,
  // docs/verification.md
  'lazymm explore lazy-exit --arch x86 --strategy verify --storage hash-compact': 0,
  'lazymm explore lazy-exit --arch x86 --drop-step context_switch.mmgrab_lazy --strategy verify': 1, // the use-after-free, exhaustively
  'lazymm explore lazy-mm-steal-race --arch x86 --apply lazy-mm:1-20 --drop-step __try_mm_drop_rq_ref.reload_lazy_mm --strategy dfs --budget 20000': 0, // bounded DFS misses it
  'lazymm explore lazy-mm-steal-race --arch x86 --apply lazy-mm:1-20 --drop-step __try_mm_drop_rq_ref.reload_lazy_mm --strategy verify': 1, // the exhaustive search finds it
  // docs/kernel-versions.md
  'lazymm explore lazy-mmu-nesting --arch x86 --strategy verify': 0, // v5.16: nothing nests, verified
  'lazymm explore lazy-mmu-nesting --arch x86 --kernel 6.14': 1, // v6.14: set_ptes() nests
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-docs-'));
const SHORT = ['--set', 'timing_warmup_ns=5000', '--set', 'timing_duration_ns=20000'];

/** Set a flag's value (replacing the one given) or add it. */
function withFlag(a: string[], flag: string, value: string): string[] {
  const i = a.indexOf(flag);
  if (i >= 0) return [...a.slice(0, i + 1), value, ...a.slice(i + 2)];
  return [...a, flag, value];
}

/** Small budgets: what changes per verb (never the configuration, so never the verdict's kind). */
function override(a: string[]): string[] {
  const verb = a[0];
  if (verb === 'bisect' && a.includes('--metric')) return [...withFlag(withFlag(a, '--cpus', '4'), '--runs', '1'), ...SHORT];
  if (verb === 'bisect') return a.includes('--strategy') ? a : withFlag(withFlag(a, '--strategy', 'dfs'), '--budget', '100');
  if (verb === 'ab') {
    const listOf = (f: string) => (a.includes(f) ? a[a.indexOf(f) + 1] ?? '' : '');
    const threadSweep = listOf('--threads').includes(',');
    const sweep = threadSweep || listOf('--cpus').includes(',');
    let b = withFlag(withFlag(a, '--cpus', sweep && !threadSweep ? '1,2' : '4'), '--runs', '1');
    if (threadSweep) b = withFlag(b, '--threads', '1,2');
    if (sweep) b = withFlag(b, '--out', tmp);
    return [...b, ...SHORT];
  }
  if (verb === 'verify') return a.length > 1 ? withFlag(a, '--budget', '20000') : ['verify', 'litmus-sb', '--budget', '20000'];
  if (verb === 'explore' && EXPECT[`lazymm ${a.join(' ')}`] === 0 && !a.includes('--budget')) return withFlag(a, '--budget', a.includes('verify') ? '20000' : '200');
  return a;
}

// files the commands write (--trace lse.json, --out plots) go to a temporary directory
const cwd = process.cwd();
beforeAll(() => process.chdir(tmp));
afterAll(() => { process.chdir(cwd); fs.rmSync(tmp, { recursive: true, force: true }); });

// the files, and the examples `lazymm VERB --help` prints
const SOURCES: [string, string[]][] = [
  ...DOCS.map((f): [string, string[]] => [f, extractCommands(fs.readFileSync(path.join(ROOT, f), 'utf8'))]),
  ['lazymm VERB --help', VERBS.flatMap((v) => v.examples)],
];

for (const [file, all] of SOURCES) {
  const cmds = all.filter((c) => !isSynopsis(c));
  if (!cmds.length) continue; // only synopses (docs/porting-steps.md)
  describe(`commands in ${file}`, () => {
    for (const c of cmds) {
      const a = argv(c);
      if (SKIP[c]) { it.skip(`${c} (${SKIP[c]})`, () => {}); continue; }
      it(c, async () => {
        const verb = a[0];
        if (verb === 'run' || verb === 'explore') expect(EXPECT, `add '${c}' to EXPECT with the exit code its text implies`).toHaveProperty([c]);
        const want = verb === 'run' || verb === 'explore' ? EXPECT[c] : SHOWN_FAILING.has(c) ? 2 : 0;
        if (SHOWN_FAILING.has(c)) expect(want, `${c} is shown failing`).toBe(2);
        const r = await cli(...override(a));
        if (want === 2) expect(r.err.trim().split('\n'), `${c}: one line`).toHaveLength(1);
        else expect(r.err.replace(/^lazymm: note: .*\n/gm, ''), `${c}: stderr`).toBe('');
        expect(r.code, `${c}: exit code`).toBe(want);
      });
    }
  });
}

describe('the extractor', () => {
  it('finds commands in blocks and inline spans, and tells synopses from commands', () => {
    const t = '```sh\nnpm ci && npx lazymm list arches\n$ lazymm list series | tail -1\n```\nsee `lazymm run lazy-exit\n  --seed 3` and `lazymm run <scenario>`';
    const cs = extractCommands(t);
    expect(cs).toEqual(['lazymm list arches', 'lazymm list series | tail -1', 'lazymm run lazy-exit --seed 3', 'lazymm run <scenario>']);
    expect(cs.filter((c) => !isSynopsis(c))).toHaveLength(3);
    expect(argv('lazymm ab w --a "--arch x86" --b \'--arch x86\' | tail -1')).toEqual(['ab', 'w', '--a', '--arch x86', '--b', '--arch x86']);
  });
  it('is not empty: the README and docs hold more than a handful of commands', () => {
    expect(SOURCES.flatMap(([, cs]) => cs).filter((c) => !isSynopsis(c)).length).toBeGreaterThan(30);
  });
});

// Runs fuzz cases (grammar.ts) through the real command line in a supervised model thread (the
// thread stays loaded between cases; one the watchdog stops is replaced) and checks each result
// against the contract: exit 0, 1, 2, 125 or 130; exactly one line on stderr with exit 2; no stack
// trace; no case running past the watchdog; valid JSON for --json; no file written outside the
// case's work folder (where its --trace and --out point).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkerPool, type PoolResult } from '../../core/lab/cli/supervise.ts';
import { materialize, type Case } from './grammar.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = path.join(ROOT, 'core/model/index.ts');
/** Folders of the checkout a case must leave alone (listed before and after each case). */
const REPO_DIRS = ['.', 'arches', 'scenarios', 'test', 'test/fixtures', 'core/lab', 'core/lab/cli'];

export interface Verdict { ok: boolean; problems: string[]; result: PoolResult; argv: string[] }

export class FuzzRunner {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'lazymm-fuzz-'));
  /** deep enough that a name with ../../ still lands inside root, where it is seen */
  readonly work = path.join(this.root, 'a', 'b', 'work');
  readonly mods = path.join(this.root, 'mods');
  readonly pool: WorkerPool;
  readonly maxMs: number;

  constructor(readonly watchdogMs: number) {
    this.pool = new WorkerPool(watchdogMs);
    // a module load gets 3x the limit (at least 15 s); what runs after it is quick by construction
    this.maxMs = Math.max(3 * watchdogMs, 15_000) + 45_000;
    fs.mkdirSync(this.mods, { recursive: true });
    // user modules are ES modules, as in a package with "type": "module" (as this one is)
    fs.writeFileSync(path.join(this.mods, 'package.json'), '{ "type": "module" }\n');
  }

  private reset() {
    fs.rmSync(path.join(this.root, 'a'), { recursive: true, force: true });
    fs.mkdirSync(this.work, { recursive: true });
    fs.writeFileSync(path.join(this.work, 'trace-file'), 'an existing file\n');
  }

  private listing(): Set<string> {
    const out = new Set<string>();
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (p === this.work || p === this.mods) continue;
        out.add(p);
        if (e.isDirectory()) walk(p);
      }
    };
    walk(this.root);
    for (const d of REPO_DIRS) for (const f of fs.readdirSync(path.join(ROOT, d))) out.add(path.join(ROOT, d, f));
    return out;
  }

  async run(c: Case): Promise<Verdict> {
    this.reset();
    const m = materialize(c, this.work, this.mods, MODEL);
    for (const mod of m.modules) if (!fs.existsSync(mod.file)) fs.writeFileSync(mod.file, mod.source);
    const before = this.listing();
    const r = await this.pool.run(m.argv);
    const problems: string[] = [];
    if (![0, 1, 2, 125, 130].includes(r.code)) problems.push(`exit ${r.code}`);
    const lines = r.err.trim() === '' ? [] : r.err.trim().split('\n');
    if (r.code === 2 && (lines.length !== 1 || !lines[0].startsWith('lazymm: '))) problems.push(`exit 2 with ${lines.length} stderr lines`);
    if (/\n\s+at |node:internal|^\s*at .*\(.*:\d+:\d+\)/m.test(r.err)) problems.push('a stack trace on stderr');
    if (r.ms > this.maxMs) problems.push(`took ${Math.round(r.ms)} ms (limit ${this.maxMs})`);
    if (m.argv.includes('--json') && (r.code === 0 || r.code === 1 || r.code === 130) && !m.argv.includes('--help')) {
      try { JSON.parse(r.out); } catch { problems.push('--json output is not JSON'); }
    }
    const after = this.listing();
    for (const f of after) if (!before.has(f)) problems.push(`wrote ${f} outside the work folder`);
    for (const f of before) if (!after.has(f) && !f.startsWith(this.root)) problems.push(`removed ${f}`);
    return { ok: problems.length === 0, problems, result: r, argv: m.argv };
  }

  async close() {
    await this.pool.close();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export function describe(v: Verdict): string {
  return `lazymm ${v.argv.map((a) => (/^[\w./@:=,+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}: ${v.problems.join('; ')} (exit ${v.result.code}; stderr ${JSON.stringify(v.result.err.slice(0, 400))})`;
}

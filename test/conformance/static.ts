// Checks of an arch module that need no exploration: the contract's fields and their types, the
// kernel functions the model calls having steps, lazyMmu agreeing with the lazy MMU hooks, and
// every cost weight having its source written beside it (read from the module's source with
// ts-morph).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { Project, SyntaxKind, type ObjectLiteralExpression, type SourceFile } from 'ts-morph';
import type { ArchPlugin } from '../../arches/types.ts';
import { Kernel } from '../../core/model/index.ts';

const ARCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../arches');

const oneOf = (...v: string[]) => (x: unknown) => typeof x === 'string' && v.includes(x);
const isBool = (x: unknown) => typeof x === 'boolean';
const isFn = (x: unknown) => typeof x === 'function';

/** Required fields of ArchPlugin and what a valid value is. */
export const REQUIRED: Record<string, (x: unknown) => boolean> = {
  name: (x) => typeof x === 'string' && /^[a-z][a-z0-9.-]*$/.test(x),
  description: (x) => typeof x === 'string' && x.length > 0,
  kernels: (x) => typeof x === 'string' && semver.validRange(x) !== null,
  mmCpumaskExact: isBool,
  flushIpisReachLazy: oneOf('always', 'never', 'freed_tables'),
  exitShootsLazies: isBool,
  asids: isBool,
  mmuGather: oneOf('gather', 'immediate'),
  lazyMmu: isBool,
  syncCore: oneOf('iret', 'exception-return', 'none'),
  wantIrqsOffActivateMm: isBool,
  hwLoadedMm: isFn,
  apply: isFn,
  costs: (x) => typeof x === 'object' && x !== null && Object.values(x).every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0),
};
/** A declared record schema (core/model/records.ts): field -> 'word' | 'perCpu'. */
const isRecordSchema = (x: unknown) =>
  typeof x === 'object' && x !== null && Object.values(x).every((v) => v === 'word' || v === 'perCpu');
/** Optional fields: valid when present. */
export const OPTIONAL: Record<string, (x: unknown) => boolean> = {
  state: isRecordSchema,
  mayWalk: isFn,
  boot: isFn,
  tlbFlush: oneOf('ipi', 'broadcast', 'hypercall', 'mixed'),
  loadedMm: isFn,
  inSwitchWindow: isFn,
  lazyMmuState: isFn,
};

export function contractProblems(a: ArchPlugin): string[] {
  const out: string[] = [];
  const rec = a as unknown as Record<string, unknown>;
  for (const [k, ok] of Object.entries(REQUIRED)) if (!ok(rec[k])) out.push(`${k}: missing or invalid (${JSON.stringify(rec[k]) ?? typeof rec[k]})`);
  for (const [k, ok] of Object.entries(OPTIONAL)) if (rec[k] !== undefined && !ok(rec[k])) out.push(`${k}: invalid`);
  if (a.lazyMmu && !a.lazyMmuState) out.push('lazyMmu is true but lazyMmuState is not declared');
  return out;
}

/** Fields not declared at all (not even as undefined): the template and the new arches declare all. */
export function undeclared(a: ArchPlugin): string[] {
  return [...Object.keys(REQUIRED), ...Object.keys(OPTIONAL)].filter((k) => !Object.prototype.hasOwnProperty.call(a, k));
}

/** Kernel functions the baseline calls that each arch must give a body. */
export const ARCH_FUNCTIONS = ['switch_mm_irqs_off', 'switch_mm', 'activate_mm', 'flush_tlb_mm_range', 'arch_cpu_idle_dead'];

export function kernelFor(a: ArchPlugin): Kernel {
  return new Kernel({ arch: a, cpus: 2, patches: [], params: {}, dropSteps: [], memoryModel: 'sc' });
}

export function missingFunctions(a: ArchPlugin): string[] {
  const k = kernelFor(a);
  return ARCH_FUNCTIONS.filter((h) => k.registry.steps(h).length === 0);
}

/** Steps the arch itself registered on a kernel function. */
export function archSteps(a: ArchPlugin, hook: string): string[] {
  const k = kernelFor(a);
  return k.registry.steps(hook).filter((s) => s.owner === `arch:${a.name}`).map((s) => s.name);
}

// ---- cost weights and their sources ----------------------------------------------------------------

let project: Project | null = null;
function sources(): SourceFile[] {
  if (!project) {
    project = new Project({ useInMemoryFileSystem: false, skipAddingFilesFromTsConfig: true, compilerOptions: { allowJs: false } });
    for (const f of fs.readdirSync(ARCH_DIR)) if (f.endsWith('.ts')) project.addSourceFileAtPath(path.join(ARCH_DIR, f));
  }
  return project.getSourceFiles();
}

/** The object literal that defines arch `name` (has `name: '<name>'`), and its file. */
export function archLiteral(name: string): { file: string; lit: ObjectLiteralExpression } | null {
  for (const sf of sources()) {
    for (const lit of sf.getDescendantsOfKind(SyntaxKind.ObjectLiteralExpression)) {
      const p = lit.getProperty('name');
      if (!p || !p.isKind(SyntaxKind.PropertyAssignment)) continue;
      const init = p.getInitializer();
      if (init && init.isKind(SyntaxKind.StringLiteral) && init.getLiteralValue() === name && lit.getProperty('apply')?.getParent() === lit)
        return { file: path.basename(sf.getFilePath()), lit };
    }
  }
  return null;
}

/** Cost weights declared in the arch's own literal without a comment beside them. `null` when the
 *  arch inherits its costs (a spread) or its module is not in arches/. */
export function unsourcedCosts(name: string): string[] | null {
  const found = archLiteral(name);
  if (!found) return null;
  const costs = found.lit.getProperty('costs');
  if (!costs || !costs.isKind(SyntaxKind.PropertyAssignment)) return null;
  const obj = costs.getInitializer();
  if (!obj || !obj.isKind(SyntaxKind.ObjectLiteralExpression)) return null;
  const out: string[] = [];
  const text = obj.getSourceFile().getFullText();
  for (const p of obj.getProperties()) {
    const lead = p.getLeadingCommentRanges().length > 0;
    const eol = text.indexOf('\n', p.getEnd());
    const trail = text.slice(p.getEnd(), eol < 0 ? undefined : eol).includes('//');
    if (!lead && !trail) out.push(p.getText().split(':')[0].trim());
  }
  return out;
}

/** Was the arch's module scaffolded by `lazymm new-arch` (it still says so)? */
export function scaffolded(name: string): boolean {
  const found = archLiteral(name);
  return !!found && found.lit.getSourceFile().getFullText().includes('lazymm new-arch');
}

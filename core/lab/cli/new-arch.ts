// lazymm new-arch <name>: scaffold arches/<name>.ts from the generic template (arches/generic.ts)
// through ts-morph: the copy gets its own identifiers (the plugin const, the register functions),
// its name and a header that says what to do next. Registration is the file itself: arches/index.ts
// discovers every arch module in the folder, so nothing shared is edited and concurrent scaffolds
// all keep their arch. The file appears whole or not at all (created beside, then linked in), and
// an existing one is never overwritten. The scaffold passes the conformance suite as it is
// (test/conformance.test.ts runs the template itself); docs/arch-tutorial.md goes on from there.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Project, SyntaxKind, QuoteKind, IndentationText } from 'ts-morph';
import { UsageError } from '../errors.ts';
import type { Parsed } from './common.ts';
import { ARCHES } from '../../../arches/index.ts';
import { createExclusive } from '../outputs.ts';
import { ROOT_URL } from '../paths.ts';

const NAME_RE = /^[a-z][a-z0-9-]*$/;
/** a file name, a TypeScript identifier and `--arch NAME` on a command line: short */
const NAME_MAX = 40;
const RESERVED = new Set(['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do',
  'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new',
  'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'let',
  'static', 'yield', 'await', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'generic']);

/** riscv -> riscv, x86-sev -> x86Sev */
function camel(name: string): string {
  return name.split('-').map((p, i) => (i === 0 ? p : p.charAt(0).toUpperCase() + p.slice(1))).join('');
}

export function archesDir(): string {
  return fileURLToPath(new URL('arches', ROOT_URL));
}

export interface Scaffolded { file: string; ident: string }

/** Create arches/<name>.ts from arches/generic.ts and register it. Throws UsageError for a bad or
 *  taken name. */
export function scaffoldArch(name: string, dir = archesDir()): Scaffolded {
  if (!NAME_RE.test(name)) throw new UsageError(`new-arch: bad arch name '${name.length > 60 ? `${name.slice(0, 60)}...` : name}' (lowercase letters, digits and dashes, starting with a letter: /^[a-z][a-z0-9-]*$/)`);
  if (name.length > NAME_MAX) throw new UsageError(`new-arch: arch name '${name.length > 60 ? `${name.slice(0, 60)}...` : name}' is ${name.length} characters long (at most ${NAME_MAX})`);
  if (ARCHES.some((a) => a.name === name)) throw new UsageError(`new-arch: arch '${name}' already exists (lazymm list arches)`);
  const file = path.join(dir, `${name}.ts`);
  if (fs.existsSync(file)) throw new UsageError(`new-arch: arches/${name}.ts already exists`);

  const project = new Project({
    skipAddingFilesFromTsConfig: true,
    manipulationSettings: { quoteKind: QuoteKind.Single, indentationText: IndentationText.TwoSpaces },
  });
  const template = project.addSourceFileAtPath(path.join(dir, 'generic.ts'));

  let ident = camel(name);
  if (RESERVED.has(ident)) ident += 'Arch';
  const pascal = ident.charAt(0).toUpperCase() + ident.slice(1);

  const sf = template.copy(path.join(dir, `.new-arch-${name}.ts`)); // in memory only
  // the plugin object, the functions that register its steps and the declarations of its kernel
  // functions and frame fields (GENERIC, GENERIC_EXT) get the arch's own names
  sf.getVariableDeclarationOrThrow('generic').rename(ident);
  for (const fn of sf.getFunctions()) {
    const n = fn.getName();
    if (n && n.includes('Generic')) fn.rename(n.replace('Generic', pascal));
  }
  let upper = name.toUpperCase().replace(/-/g, '_');
  const imported = new Set(sf.getImportDeclarations().flatMap((d) => d.getNamedImports().map((n) => n.getName())));
  if (imported.has(upper) || imported.has(`${upper}_EXT`)) upper += '_ARCH'; // `lazymm new-arch h` must not shadow H
  for (const v of sf.getVariableDeclarations()) {
    const n = v.getName();
    if (n.includes('GENERIC')) v.rename(n.replace('GENERIC', upper));
  }
  // the owner key of its frame extensions (declare module ... interface FrameExts { 'arch:generic': ... })
  for (const p of sf.getDescendantsOfKind(SyntaxKind.PropertySignature)) {
    const n = p.getNameNode();
    if (n.isKind(SyntaxKind.StringLiteral) && n.getLiteralValue() === 'arch:generic') n.replaceWithText(`'arch:${name}'`);
  }
  const lit = sf.getVariableDeclarationOrThrow(ident).getInitializerIfKindOrThrow(SyntaxKind.ObjectLiteralExpression);
  lit.getPropertyOrThrow('name').asKindOrThrow(SyntaxKind.PropertyAssignment).setInitializer(`'${name}'`);
  lit.getPropertyOrThrow('description').asKindOrThrow(SyntaxKind.PropertyAssignment)
    .setInitializer(`'${name}: scaffolded from the generic template -- exact mm_cpumask, flush IPIs to all of it, no ASIDs'`);
  // the header: what this file is now, and what to do with it
  const text = sf.getFullText();
  const headerEnd = text.indexOf('//\n// The defaults describe');
  const header = [
    `// ${name}: scaffolded by \`lazymm new-arch ${name}\` from arches/generic.ts. Replace this paragraph`,
    '// with the kernel version and the files the model follows (arch/.../include/asm/mmu_context.h,',
    '// arch/.../mm/tlb*.c, ...) and walk the TODO(new-arch) notes below: each says what to change. Check it',
    `// with \`CONFORMANCE_ARCH=${name} npx vitest run test/conformance.test.ts\` and the scenarios with`,
    `// \`lazymm explore <scenario> --arch ${name}\` (docs/arch-tutorial.md).`,
    '',
  ].join('\n');
  if (headerEnd > 0) sf.replaceText([0, headerEnd], header);

  // arches/index.ts finds it there: no shared file to edit
  if (!createExclusive(file, sf.getFullText())) throw new UsageError(`new-arch: arches/${name}.ts already exists`);
  return { file, ident };
}

export async function cmdNewArch(p: Parsed): Promise<number> {
  const name = p.positional[0];
  if (name === undefined) throw new UsageError('new-arch: missing <name> (e.g. lazymm new-arch riscv)');
  if (p.positional.length > 1) throw new UsageError(`new-arch: unexpected argument '${p.positional[1]}'`);
  const s = scaffoldArch(name);
  process.stdout.write([
    `created arches/${path.basename(s.file)} from arches/generic.ts (export const ${s.ident})`,
    `registered ${name}: arches/index.ts finds every arch module in arches/`,
    `next: lazymm explore lazy-exit --arch ${name}; CONFORMANCE_ARCH=${name} npx vitest run test/conformance.test.ts`,
  ].join('\n') + '\n');
  return 0;
}

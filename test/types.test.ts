// The type checker guards the kernel's names: a misspelled function in k.call(), a frame field a
// function does not declare, a step replace/remove/before/after names that the function does not
// have. test/fixtures/types/misspelled.ts holds one of each; it must fail to compile with exactly
// those errors (tsconfig.json excludes it from `npm run typecheck`).
import { describe, it, expect } from 'vitest';
import ts from 'typescript';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('typed kernel functions', () => {
  it('a misspelled hook, frame field or step fails the type check', () => {
    const cfg = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, root);
    const file = path.join(root, 'test/fixtures/types/misspelled.ts');
    // the fixture plus every plugin module, so all augmentations of the kernel's types are seen
    const files = [file, ...parsed.fileNames.filter((f) => /[\\/](arches|patches|scenarios)[\\/]/.test(f))];
    const program = ts.createProgram(files, { ...parsed.options, noEmit: true });
    const diags = ts.getPreEmitDiagnostics(program, program.getSourceFile(file));
    const lines = diags.map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start!);
      return line + 1;
    });
    const src = ts.sys.readFile(file)!.split('\n');
    const want = src.map((l, i) => (/\/\/ ERROR \d/.test(l) ? i + 1 : 0)).filter(Boolean);
    expect(want.length).toBe(5);
    for (const l of want) expect(lines, `line ${l}: ${src[l - 1].trim()}`).toContain(l);
    // and nothing else fails in the fixture
    for (const l of lines) expect(want, `unexpected error on line ${l}: ${diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join(' | ')}`).toContain(l);
  }, 120_000);
});

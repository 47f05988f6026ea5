// Output files: checked before the work (a run that cannot write its result should not start),
// written atomically (a temporary file in the same folder, then a rename: a reader, or a
// concurrent run, sees the old file or the new one, never half of one), and named so that they
// stay inside their folder whatever a workload calls itself.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { UsageError } from './errors.ts';

/** `flag FILE`: FILE is not a folder and its folder exists (checked before the work). */
export function checkOutputFile(file: string, flag: string): string {
  if (file === '') throw new UsageError(`${flag} needs a file name`);
  const abs = path.resolve(file);
  const st = statOrNull(abs);
  if (st?.isDirectory()) throw new UsageError(`${flag} '${file}' is a folder (give a file name in it)`);
  if (st && !st.isFile()) throw new UsageError(`${flag} '${file}' is not a regular file`);
  const dir = path.dirname(abs);
  const d = statOrNull(dir);
  if (!d) throw new UsageError(`${flag} '${file}': folder '${path.dirname(file)}' does not exist`);
  if (!d.isDirectory()) throw new UsageError(`${flag} '${file}': '${path.dirname(file)}' is not a folder`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UsageError(`${flag} '${file}': folder '${path.dirname(file)}' is not writable`);
  }
  return abs;
}

/** `--out DIR`: an existing folder, or created; anything else refused (checked before the work). */
export function checkOutDir(dir: string, flag = '--out'): string {
  if (dir === '') throw new UsageError(`${flag} needs a folder`);
  const abs = path.resolve(dir);
  const st = statOrNull(abs);
  if (st && !st.isDirectory()) throw new UsageError(`${flag} '${dir}' exists and is not a folder`);
  if (!st) {
    try {
      fs.mkdirSync(abs, { recursive: true });
    } catch (e) {
      throw new UsageError(`${flag} '${dir}': cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  return abs;
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') throw new UsageError(`'${p}': a part of the path is not a folder`);
    if (code === 'ENAMETOOLONG') throw new UsageError(`'${p.slice(0, 80)}...': name too long`);
    throw e;
  }
}

const tmpName = (file: string) => path.join(path.dirname(file), `.${path.basename(file).slice(0, 100)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);

/** Write a file atomically: a temporary file beside it, then rename over it. */
export function writeAtomic(file: string, data: string) {
  const tmp = tmpName(file);
  try {
    fs.writeFileSync(tmp, data, { flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Create a file atomically, only if it does not exist yet (a hard link of a complete temporary
 *  file: it appears whole or not at all). Returns false if the name is taken. */
export function createExclusive(file: string, data: string): boolean {
  const tmp = tmpName(file);
  fs.writeFileSync(tmp, data, { flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** A name fit for a file name: letters, digits, '.', '_' and '-' kept, anything else '_', no
 *  leading dot, at most 80 characters ('../../x' gives '_.._x'). */
export function safeName(s: string): string {
  const t = s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 80);
  return t === '' ? '_' : t;
}

/** dir/name, refused if it would leave dir. */
export function inside(dir: string, name: string): string {
  const d = path.resolve(dir);
  const f = path.resolve(d, name);
  if (path.dirname(f) !== d) throw new UsageError(`output name '${name}' would leave '${dir}'`);
  return f;
}

/** A short digest of what determines an output's content: names carry the configuration. */
export function digest(...parts: unknown[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 10);
}

// Registered architectures: the built-ins below, in this order, then every other module in this
// folder that exports an ArchPlugin, by file name: what `lazymm new-arch NAME` scaffolds. No index
// to edit, so concurrent scaffolds cannot lose one another. A module that does not load, or whose
// arch name is taken, is not registered; it is remembered (ARCH_PROBLEMS) so `--arch NAME` can say
// why instead of "unknown arch".
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ArchPlugin } from './types.ts';
import { watchEnter, watchLeave, watchLabel, WK_LOAD } from '../core/model/watch.ts';
import { x86 } from './x86.ts';
import { x86_418 } from './x86-4.18.ts';
import { powerpc } from './powerpc.ts';
import { arm64 } from './arm64.ts';
import { sparc64 } from './sparc64.ts';
import { x86XenPv } from './x86-xen-pv.ts';
import { s390 } from './s390.ts';
import { x86Pae } from './x86-pae.ts';

export const BUILTIN_ARCHES: ArchPlugin[] = [
  x86,
  x86_418,
  powerpc,
  arm64,
  sparc64,
  x86XenPv,
  s390,
  x86Pae,
];

/** Not arches: this index, the template new-arch copies, shared helpers and types. */
const NOT_ARCHES = new Set(['index.ts', 'generic.ts', 'lib.ts', 'types.ts', 'lazy-mmu.ts']);

/** file name (without .ts) -> why its arch is not registered */
export const ARCH_PROBLEMS = new Map<string, string>();

function isArch(v: unknown): v is ArchPlugin {
  const a = v as ArchPlugin;
  return !!a && typeof a === 'object' && typeof a.name === 'string' && typeof a.apply === 'function' && typeof a.kernels === 'string';
}

async function discover(known: ArchPlugin[]): Promise<ArchPlugin[]> {
  // From the build (dist/, a bundle) there is nothing to discover: bin/lazymm.mjs runs the build
  // only while arches/ holds no module the build did not see, and runs the sources otherwise.
  if (!import.meta.url.endsWith('.ts')) return [];
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const found: ArchPlugin[] = [];
  const builtinFiles = new Set(['x86.ts', 'x86-4.18.ts', 'powerpc.ts', 'arm64.ts', 'sparc64.ts', 'x86-xen-pv.ts', 's390.ts', 'x86-pae.ts']);
  const files = fs.readdirSync(dir).filter((f) => /^[a-z][a-z0-9-]*\.ts$/.test(f) && !NOT_ARCHES.has(f) && !builtinFiles.has(f)).sort();
  for (const f of files) {
    const base = f.slice(0, -3);
    let mod: Record<string, unknown>;
    const prev = watchEnter(WK_LOAD, watchLabel(`arch module arches/${f}`)); // its top level is user code
    try {
      mod = await import(pathToFileURL(path.join(dir, f)).href);
    } catch (e) {
      ARCH_PROBLEMS.set(base, `arches/${f} does not load: ${(e as Error).message.split('\n')[0]}`);
      continue;
    } finally {
      watchLeave(prev);
    }
    const arches = Object.values(mod).filter(isArch);
    if (arches.length !== 1) {
      ARCH_PROBLEMS.set(base, `arches/${f} exports ${arches.length} arch plugins (one is expected)`);
      continue;
    }
    const a = arches[0];
    const taken = [...known, ...found].find((x) => x.name === a.name);
    if (taken) {
      ARCH_PROBLEMS.set(base, `arches/${f} names its arch '${a.name}', which is taken`);
      continue;
    }
    found.push(a);
  }
  return found;
}

export const ARCHES: ArchPlugin[] = [...BUILTIN_ARCHES, ...(await discover(BUILTIN_ARCHES))];

// each by name, for a user's arch module that starts from one (`import { x86 } from 'lazymm/arches'`)
export { x86, x86_418, powerpc, arm64, sparc64, x86XenPv, s390, x86Pae };

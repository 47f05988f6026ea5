// Registered architectures. `lazymm new-arch NAME` adds its import and entry here (ts-morph).
import type { ArchPlugin } from './types.ts';
import { x86 } from './x86.ts';
import { x86_418 } from './x86-4.18.ts';
import { powerpc } from './powerpc.ts';
import { arm64 } from './arm64.ts';
import { sparc64 } from './sparc64.ts';
import { x86XenPv } from './x86-xen-pv.ts';
import { s390 } from './s390.ts';
import { x86Pae } from './x86-pae.ts';

export const ARCHES: ArchPlugin[] = [
  x86,
  x86_418,
  powerpc,
  arm64,
  sparc64,
  x86XenPv,
  s390,
  x86Pae,
];

// each by name, for a user's arch module that starts from one (`import { x86 } from 'lazymm/arches'`)
export { x86, x86_418, powerpc, arm64, sparc64, x86XenPv, s390, x86Pae };

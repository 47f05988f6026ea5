// Registered architectures. `lazymm new-arch NAME` adds its import and entry here (ts-morph).
import type { ArchPlugin } from './types.ts';
import { x86 } from './x86.ts';

export const ARCHES: ArchPlugin[] = [
  x86,
];

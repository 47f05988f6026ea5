// The model parts the baseline registers after its own functions (the page model, lazy MMU mode,
// the workloads' operations): each module pushes its registration here when imported. A module of
// its own, so that those modules and the baseline import it without importing each other.
import type { StepRegistry } from './registry.ts';

export const BASELINE_PARTS: ((r: StepRegistry) => void)[] = [];

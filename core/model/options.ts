// Declared options: what `--set NAME=VALUE` may name. Each option is declared beside the code that
// reads it (k.param/k.flag): model parameters in the model module, an arch's in its ArchPlugin
// (`options`), a series' Kconfig options in its SeriesDef, a patch's in its PatchDef, a scenario's
// in its ScenarioDef, cost.* weights by the machine profiles. The CLI refuses a name nobody
// declares and a value the declaration does not allow (exit 2), so a typo cannot flip a verdict,
// and `lazymm list options` and shell completion read the same declarations.
export interface OptionDecl {
  name: string;
  /** bool: y/n (1/0, true/false accepted); enum: one of `values`; int/number: within min..max */
  type: 'bool' | 'enum' | 'int' | 'number';
  values?: readonly string[];
  min?: number;
  max?: number;
  /** the value when not set, as the code reads it (a word such as 'the arch\'s' when it depends) */
  default: string;
  help: string;
}

export const BOOL_WORDS = ['y', 'n', '1', '0', 'true', 'false'] as const;

/** Why `v` is not a value of `d`, or null. */
export function optionValueError(d: OptionDecl, v: string): string | null {
  switch (d.type) {
    case 'bool':
      return (BOOL_WORDS as readonly string[]).includes(v) ? null : `${d.name} is y or n, not '${v}'`;
    case 'enum':
      return d.values!.includes(v) ? null : `${d.name} takes ${d.values!.slice(0, -1).join(', ')}${d.values!.length > 1 ? ' or ' : ''}${d.values!.at(-1)}, not '${v}'`;
    case 'int':
    case 'number': {
      const n = Number(v);
      const ok = v.trim() !== '' && Number.isFinite(n) && (d.type === 'number' || Number.isInteger(n));
      const lo = d.min ?? -Infinity, hi = d.max ?? Infinity;
      if (ok && n >= lo && n <= hi) return null;
      const range = d.max !== undefined ? `from ${d.min ?? '-inf'} to ${d.max}` : d.min !== undefined ? `of at least ${d.min}` : '';
      return `${d.name} takes ${d.type === 'int' ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, not '${v}'`;
    }
  }
}

/** The values a shell may complete for `d` (bool: y and n). */
export function optionValues(d: OptionDecl): readonly string[] {
  return d.type === 'bool' ? ['y', 'n'] : d.type === 'enum' ? d.values! : [];
}

/** memory_model: the KernelConfig's memory model (a scenario's memoryModel is its default). */
export const MEMORY_MODEL_OPTIONS: OptionDecl[] = [
  { name: 'memory_model', type: 'enum', values: ['sc', 'tso'], default: 'the scenario\'s, else sc', help: 'sequentially consistent, or x86-TSO (per-CPU store buffers)' },
];

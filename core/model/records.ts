// Fixed-size records of declared state with named fields: per-run state an arch or a model part
// keeps (x86's CR3 per CPU, powerpc's trim clocks, lazy MMU mode depths...). A field is one word
// ('word') or one word per CPU ('perCpu', an Int32Array view). The view reads and writes the
// region directly, so it needs no copying and stays valid across snapshot/restore.
import type { RunState } from './state.ts';

export type RecordSchema = Readonly<Record<string, 'word' | 'perCpu'>>;
export type RecordView<S extends RecordSchema> = { -readonly [K in keyof S]: S[K] extends 'perCpu' ? Int32Array : number };

export function declareRecord<S extends RecordSchema>(st: RunState, name: string, schema: S, ncpus: number): RecordView<S> {
  let size = 0;
  for (const kind of Object.values(schema)) size += kind === 'perCpu' ? ncpus : 1;
  const r = st.region(name, new Int32Array(Math.max(size, 1)), size, { key: true });
  return Object.seal(new (recordClass(schema, ncpus))(r.a)) as RecordView<S>;
}

/** A view class per schema and CPU count: accessors at fixed offsets, shared by every kernel
 *  (one shape for the JIT, no closures per kernel). */
const RECORD_CLASSES = new Map<string, new (a: Int32Array) => object>();
function recordClass(schema: RecordSchema, ncpus: number): new (a: Int32Array) => object {
  const key = `${ncpus}|${Object.entries(schema).map(([f, k]) => `${f}:${k}`).join(',')}`;
  let cls = RECORD_CLASSES.get(key);
  if (cls) return cls;
  const ctor: string[] = ['this.$a = a;'];
  const body: string[] = [];
  let off = 0;
  for (const [field, kind] of Object.entries(schema)) {
    if (!/^[A-Za-z_$][\w$]*$/.test(field)) throw new Error(`internal: record field '${field}' is not an identifier`);
    if (kind === 'perCpu') {
      ctor.push(`this.${field} = a.subarray(${off}, ${off + ncpus});`);
      off += ncpus;
    } else {
      body.push(`get ${field}() { return this.$a[${off}]; }`, `set ${field}(v) { this.$a[${off}] = v; }`);
      off++;
    }
  }
  cls = new Function(`return class record { constructor(a) { ${ctor.join(' ')} } ${body.join('\n')} }`)() as new (a: Int32Array) => object;
  RECORD_CLASSES.set(key, cls);
  return cls;
}

/** Zero a record (boot). */
export function clearRecord(st: RunState, name: string) {
  const r = st.find(name);
  if (r) r.a.fill(0, 0, r.n);
}

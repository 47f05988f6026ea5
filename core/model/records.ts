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
  const a = r.a;
  const view: Record<string, unknown> = {};
  let off = 0;
  for (const [field, kind] of Object.entries(schema)) {
    if (kind === 'perCpu') {
      view[field] = a.subarray(off, off + ncpus);
      off += ncpus;
    } else {
      const o = off++;
      Object.defineProperty(view, field, { get: () => a[o], set: (v: number) => { a[o] = v; }, enumerable: true });
    }
  }
  return Object.seal(view) as RecordView<S>;
}

/** Zero a record (boot). */
export function clearRecord(st: RunState, name: string) {
  const r = st.find(name);
  if (r) r.a.fill(0, 0, r.n);
}

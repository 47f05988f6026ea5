// The arch plugin contract lives in the model (core/model/arch.ts); arch modules import it from
// the model's public API. Re-exported here for the arch modules' convenience.
export type { ArchPlugin, CostModel } from '../core/model/index.ts';

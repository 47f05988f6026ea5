// Kernel functions: their names, their frames (declared, typed, fixed layout) and the protocol a
// step follows.
//
// A kernel function is declared once, with the fields of its frame (arguments and locals):
//
//   export const REFCOUNT = fns({ mmdrop: { mm: ptr, last: bool }, ... });
//   declare module '../fns.ts' { interface KernelFns extends Readonly<typeof REFCOUNT> {} }
//
// The runtime schema lays the frame out in declared words (a snapshot copies them); the
// augmentation gives `H.mmdrop`, `Frame<'mmdrop'>` and `r.add('mmdrop', ...)` their types, so a
// misspelled function or frame field fails `npm run typecheck`. A plugin that needs more locals
// in an existing function's frame declares them with frameExt() and the FrameExts interface. The
// steps of each function are declared in KernelSteps ('fn.step' keys), which types the steps that
// replace/remove/before/after name.
//
// A step is a plain function (k, x, f, pc) => code. It performs its accesses through the kernel's
// access path and returns what the engine does next (the codes below): go on to the next step,
// return from the function, call another function, block, and whether a scheduling point comes
// first. A step that must stop in the middle (several scheduling points, a call followed by more
// code) is re-entered at a resume point `pc`; everything it needs across that point lives in its
// frame. No JavaScript state survives a scheduling point outside the declared state.
import type { Kernel, Ctx } from './kernel.ts';
import type { Entry } from './entry.ts';

// ---- field kinds ----------------------------------------------------------------------------------

/** A machine word: an int, a pointer (an address in the model's memory), a task (its task_struct
 *  address), a kernel function id, an enum. */
export const int = 'int' as const;
export const ptr = 'ptr' as const;
export const task = 'task' as const;
export const fnid = 'fn' as const;
/** A boolean (one word, 0 or 1). */
export const bool = 'bool' as const;
/** A string (one word: its id, strings.ts). */
export const str = 'str' as const;
/** A 64-bit page-table entry as two words (lo, hi). */
export const entry = 'entry' as const;
/** A set of CPUs (cpumask): one bit per CPU, as many words as the configuration needs. */
export const cpus = 'cpus' as const;

/** The frame image an IPI carries to its handler (IPI_ARGW words; baseline/ipi.ts). */
export const args = 'args' as const;
/** The frame of another function (or a struct-only declaration such as mmu_gather) embedded in
 *  this one: the field reads as a pointer to it, for k.at() and k.callOn() (C's `&tlb`). */
export const struct = <N extends string>(name: N) => `struct:${name}` as const;
/** A function whose frame *is* a struct it receives by pointer (called with k.callOn): its layout
 *  is the struct's, extensions go to the struct. */
export const alias = <N extends string>(name: N) => ({ __alias: name }) as const;

export type Kind = typeof int | typeof ptr | typeof task | typeof fnid | typeof bool | typeof str | typeof entry | typeof cpus | typeof args | `struct:${string}`;
export type Schema = Readonly<Record<string, Kind>> | { readonly __alias: string };

type KindType<K> = K extends 'bool' ? boolean : K extends 'entry' ? Entry : K extends 'cpus' ? number[] : K extends 'str' ? string : number;
export type FrameOf<S> = { -readonly [K in keyof S]: KindType<S[K]> };

// ---- declarations ---------------------------------------------------------------------------------

/** Every kernel function, by name: its frame schema (augmented by the modules that declare them). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface KernelFns {}
/** Frame fields a plugin adds to functions it did not declare: { [owner]: { fn: schema } }. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FrameExts {}
/** The steps of every function, as 'fn.step' keys (declared where the step is registered). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface KernelSteps {}

export type FnName = keyof KernelFns & string;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type ExtOf<F extends string> = UnionToIntersection<{ [O in keyof FrameExts]: F extends keyof FrameExts[O] ? FrameOf<FrameExts[O][F]> : never }[keyof FrameExts]>;
/** The frame of function F: its declared fields and those plugins add. */
export type Frame<F extends FnName> = KernelFns[F] extends { readonly __alias: infer A extends FnName }
  ? OwnFrame<A>
  : OwnFrame<F>;
type OwnFrame<F extends FnName> = FrameOf<KernelFns[F]> & ([ExtOf<F>] extends [never] ? unknown : ExtOf<F>);
/** The steps function F has (in some configuration). */
export type StepOf<F extends string> = { [K in keyof KernelSteps]: K extends `${F}.${infer S}` ? S : never }[keyof KernelSteps];

/** A function id that carries its name in its type. */
export type FnId<F extends FnName = FnName> = number & { readonly __fn: F };

export interface FnDecl {
  name: string;
  id: number;
  /** the struct whose layout this function's frame shares (alias()), or '' */
  alias: string;
  /** fields in layout order: declared, then extensions in registration order */
  fields: [string, Kind][];
  /** how traces name the steps of this function: 'steps' (fn.step), a fixed label
   *  ('sys_exit' for a system call, 'schedule' for the CPU loop), or 'caller' (a helper whose
   *  accesses are reported as its caller's, e.g. spin_lock) */
  label: string;
}

/** Bumped by every declaration that changes a frame layout (kernels cache layouts by it). */
let declGen = 0;
export const declGeneration = () => declGen;

/** Every declared function, by id (ids are global and stable within a process). */
export const FN_DECLS: FnDecl[] = [];
const byName = new Map<string, FnDecl>();
/** Hook ids by name. Typed: a misspelled function name fails the type check. */
export const H = Object.create(null) as { readonly [F in FnName]: FnId<F> };
export const HOOK_NAMES: string[] = [];

function declare(name: string, schema: Schema, label: string): FnDecl {
  const al = '__alias' in schema ? (schema as { __alias: string }).__alias : '';
  const fields = al ? [] : (Object.entries(schema) as [string, Kind][]);
  let d = byName.get(name);
  if (d) {
    if (d.alias !== al) throw new Error(`kernel function ${name} declared with two frame layouts`);
    for (const [f, kind] of fields) addField(d, f, kind);
    return d;
  }
  d = { name, id: FN_DECLS.length, alias: al, fields, label };
  FN_DECLS.push(d);
  declGen++;
  byName.set(name, d);
  HOOK_NAMES.push(name);
  (H as Record<string, number>)[name] = d.id;
  return d;
}

function addField(d: FnDecl, f: string, kind: Kind) {
  const had = d.fields.find((x) => x[0] === f);
  if (had && had[1] !== kind) throw new Error(`frame field ${d.name}.${f} declared as ${had[1]} and as ${kind}`);
  if (!had) { d.fields.push([f, kind]); declGen++; }
}

/** Declare kernel functions with their frame schemas (module top level). */
export function fns<const S extends Record<string, Schema>>(s: S): S {
  for (const [name, schema] of Object.entries(s)) declare(name, schema, 'steps');
  return s;
}

/** Declare functions whose steps traces name by a fixed label (system calls: 'sys_exit'). */
export function labelledFns<const S extends Record<string, Schema>>(label: (name: string) => string, s: S): S {
  for (const [name, schema] of Object.entries(s)) declare(name, schema, label(name));
  return s;
}

/** Declare helpers whose accesses traces attribute to the calling step (spin_lock, the IPI
 *  sending loop): what used to be inlined into the caller. */
export function helperFns<const S extends Record<string, Schema>>(s: S): S {
  for (const [name, schema] of Object.entries(s)) declare(name, schema, 'caller');
  return s;
}

/** Add frame fields to functions declared elsewhere (a plugin's new locals). */
export function frameExt<const S extends Record<string, Schema>>(s: S): S {
  for (const [name, schema] of Object.entries(s)) {
    const d = byName.get(name);
    if (!d) throw new Error(`frameExt: no kernel function '${name}'`);
    if (d.alias) throw new Error(`frameExt: ${name}'s frame is the struct ${d.alias}: extend that`);
    for (const [f, kind] of Object.entries(schema) as [string, Kind][]) addField(d, f, kind);
  }
  return s;
}

export function fnDecl(name: string): FnDecl | undefined {
  return byName.get(name);
}

// ---- the step protocol ----------------------------------------------------------------------------

export type Step<F extends FnName = FnName> = (k: Kernel, x: Ctx, f: Frame<F>, pc: number) => number;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStep = (k: Kernel, x: Ctx, f: any, pc: number) => number;

/** Continue with the next step. */
export const NEXT = 0;
/** Return from the function. */
export const RET = 1;
/** Re-enter this step at the resume point encoded in the code (again(pc) / goTo(pc)). */
export const AGAIN = 2;
/** A callee was pushed (k.call): run it, then continue with the next step. */
export const CALL = 3;
/** A callee was pushed: run it, then re-enter this step at pc (callAgain(pc)). */
export const CALL_AGAIN = 4;
/** Wait for the condition set with k.wait(), then re-enter this step at pc (block(pc)). */
export const BLOCK = 5;
/** Flag: a scheduling point before the engine goes on (the event ends here). */
export const Y = 8;
/** Flag: this step accessed shared memory and deliberately has no scheduling point after it: the
 *  accesses are atomic with what follows, up to the next scheduling point. The engine refuses an
 *  access followed by neither Y nor FUSED: a forgotten yield is an error, not a silent merge. */
export const FUSED = 16;
const PC_SHIFT = 5;

/** Scheduling point, then the next step. */
export const YIELD = Y | NEXT;
/** Scheduling point, then return. */
export const YIELD_RET = Y | RET;
/** No scheduling point (the accesses are atomic with the next step). */
export const FUSE = FUSED | NEXT;
export const FUSE_RET = FUSED | RET;
export const FUSE_CALL = FUSED | CALL;
/** Scheduling point, then this step again at pc. */
export const again = (pc: number) => AGAIN | Y | (pc << PC_SHIFT);
/** This step again at pc, without a scheduling point (a loop that has not touched memory, or
 *  `| FUSED` when it has). */
export const goTo = (pc: number) => AGAIN | (pc << PC_SHIFT);
/** Run the callee pushed with k.call(), then this step again at pc. */
export const callAgain = (pc: number) => CALL_AGAIN | (pc << PC_SHIFT);
/** Run the callee, then this step again at pc; this step's accesses are atomic with the callee's
 *  first event. */
export const fuseCallAgain = (pc: number) => CALL_AGAIN | FUSED | (pc << PC_SHIFT);
/** Wait (k.wait) and re-enter this step at pc. */
export const block = (pc: number) => BLOCK | Y | (pc << PC_SHIFT);
export const codeKind = (c: number) => c & 7;
export const codePc = (c: number) => c >>> PC_SHIFT;

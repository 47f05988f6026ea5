// The model's public API: what arch plugins, patches, scenarios and user modules import
// (`import { definePatch, H, ... } from 'lazymm'`). The model imports nothing outside core/model.
import './baseline/index.ts';
export * as page from './page/index.ts';

export {
  fns, frameExt, labelledFns, helperFns, alias, struct, int, ptr, task, fnid, bool, str, entry, cpus, args,
  H, HOOK_NAMES, FN_DECLS, fnDecl,
  NEXT, RET, AGAIN, CALL, CALL_AGAIN, BLOCK, Y, FUSED, YIELD, YIELD_RET, FUSE, FUSE_RET, FUSE_CALL,
  again, goTo, callAgain, fuseCallAgain, block, codeKind, codePc,
  type KernelFns, type KernelSteps, type FrameExts, type FnName, type Frame, type StepOf, type FnId, type Step, type Schema,
} from './fns.ts';
export {
  Kernel, Ctx, TaskView, CpuView, MmView, ModelError, primaryViolation, splitStep, counterId, COUNTER_NAMES,
  STATE_PARTS, partSlot, IPI_ARGW,
  TS_RUNNABLE, TS_RUNNING, TS_SLEEPING, TS_WAITING, TS_DEAD,
  W_NONE, W_UP_REQ, W_HAS_WORK, W_IPIS, W_CPU_DEAD, W_CPU_ONLINE, W_ZERO_OR_DEAD, W_ZERO, W_NONNEG, W_NE_OR_POS, W_NE, W_RQ_EMPTY,
  type KernelConfig, type Params, type Violation, type ViolationMatch, type TraceLine, type TimingHooks, type StatePart,
} from './kernel.ts';
export { NULL, Memory, type ObjInfo } from './memory.ts';
export { StepRegistry, StepError, BASELINE_KERNEL, type StepPosition } from './registry.ts';
export { type RecordSchema, type RecordView } from './records.ts';
export { type Entry } from './entry.ts';
export * as L from './layout.ts';
export type { ArchPlugin, CostModel } from './arch.ts';
export { definePatch, definePlugin, type PatchDef, type PluginDef, type SeriesDef } from './patch.ts';
export { defineScenario, ScenarioBuilder, type ScenarioDef, type Expectation, type FinalState, type ProcessOpts, type PublishedChange } from './scenario.ts';
export { opFns, opOf, IMPLICIT_EXIT, type Op, type OpMap, type OpName } from './program.ts';
export { newMm, newTask } from './baseline/boot.ts';
export { wake, hasWork } from './baseline/sched.ts';
export { syncCoreEvent, membarrierWriteCheck, membarrierAccessCheck, membarrierInvocationStart } from './baseline/membarrier.ts';
export { writeTaskMm, irqOff, irqOn } from './baseline/current_mm.ts';
export { checkMmdropContext, cpuList } from './baseline/refcount.ts';
export { opIn } from './baseline/syscalls.ts';
export { BASELINE_PARTS } from './parts.ts';
export {
  LAZY_MMU, LM, lazyMmuEnter, lazyMmuLeave, preemptDisable, preemptEnable, lazyMmuRun, lazyMmuState,
  lazyMmuPendingAdd, lazyMmuPendingDone, xenLazyMode, XEN_LAZY_NONE, XEN_LAZY_MMU, XEN_LAZY_CPU,
} from './baseline/lazy_mmu.ts';
export { tlbFlushMm, tlbFlushMmAll, PAGE_TLB } from './page/tlb.ts';
export { pages, PageBuilder, pgOf, type FileOpts, type MmapOpts } from './page/index.ts';
export { QUIESCENCE_CHECKS, ORACLES } from './oracles.ts';
export {
  refGet, refPut, refTake, refAdd, refsOf, refsConsistent, hand, held, pin, danglingOracle,
  REF_COUNT, REF_USERS, OWN_SHARED, OWN_PERM, type RefRules,
} from './ownership.ts';
export { sid, str as strOf } from './strings.ts';
export { optionValueError, optionValues, BOOL_WORDS, type OptionDecl } from './options.ts';

import { MEMORY_MODEL_OPTIONS, type OptionDecl } from './options.ts';
import { MEMBARRIER_OPTIONS } from './baseline/membarrier.ts';
import { ACTIVATE_MM_OPTIONS } from './baseline/current_mm.ts';
import { LAZY_MMU_OPTIONS } from './baseline/lazy_mmu.ts';
import { GATHER_OPTIONS } from './page/zap.ts';
/** The model's own parameters (arches, patches, scenarios and machine profiles declare theirs). */
export const MODEL_OPTIONS: readonly OptionDecl[] = [...MEMORY_MODEL_OPTIONS, ...MEMBARRIER_OPTIONS, ...ACTIVATE_MM_OPTIONS, ...LAZY_MMU_OPTIONS, ...GATHER_OPTIONS];

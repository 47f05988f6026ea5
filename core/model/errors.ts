// Errors with an exit code: bad usage or input (2), an untestable configuration (125).
export class UsageError extends Error {
  readonly exitCode = 2;
}
export class UntestableError extends Error {
  readonly exitCode = 125;
}

/** A scenario's definition is wrong: its setup() threw, it names a CPU, mm, task or operation that
 *  does not exist. Bad input: exit 2. */
export class ScenarioError extends UsageError {}

/** A step threw (or broke the step protocol) while the engine ran it. Carries who owns the step:
 *  the CLI decides whether that is the user's code (exit 2) or the model's (exit 3). */
export class StepFault extends Error {
  constructor(
    /** "context_switch.mmgrab_lazy" */
    readonly step: string,
    /** the tap's owner: "baseline", "arch:x86", "lazy-mm/16", a user plugin's id */
    readonly owner: string,
    readonly cpu: number,
    /** what was thrown */
    readonly fault: unknown,
    /** the fault is the engine's own check of the step protocol (the message says it all) */
    readonly protocol: boolean,
  ) {
    const why = fault instanceof Error ? fault.message : `threw ${String(fault)}`;
    super(protocol ? `${why} (owner ${owner}, cpu${cpu})` : `step ${step} (owner ${owner}) failed on cpu${cpu}: ${why}`);
  }
}
/** A scenario ran past its step budget in one execution (a runaway program): bad input, exit 2. */
export class RunawayError extends Error {}
/** A --schedule string that is malformed or does not fit the execution: bad input, exit 2. */
export class ScheduleError extends Error {}

// Errors with an exit code: bad usage or input (2), an untestable configuration (125).
export class UsageError extends Error {
  readonly exitCode = 2;
}
export class UntestableError extends Error {
  readonly exitCode = 125;
}
/** A scenario ran past its step budget in one execution (a runaway program): bad input, exit 2. */
export class RunawayError extends Error {}
/** A --schedule string that is malformed or does not fit the execution: bad input, exit 2. */
export class ScheduleError extends Error {}

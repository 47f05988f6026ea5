// Errors with an exit code: bad usage or input (2), an untestable configuration (125).
export class UsageError extends Error {
  readonly exitCode = 2;
}
export class UntestableError extends Error {
  readonly exitCode = 125;
}

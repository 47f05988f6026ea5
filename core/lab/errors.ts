// Errors with an exit code live in the model (core/model/errors.ts): the lab re-exports them.
export { UsageError, UntestableError } from '../model/errors.ts';

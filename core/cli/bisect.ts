import { UsageError } from '../errors.ts';
export async function cmdBisect(_argv: string[]): Promise<number> {
  throw new UsageError('bisect: not implemented yet');
}

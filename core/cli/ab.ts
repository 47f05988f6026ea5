import { UsageError } from '../errors.ts';
export async function cmdAb(_argv: string[]): Promise<number> {
  throw new UsageError('ab: not implemented yet');
}

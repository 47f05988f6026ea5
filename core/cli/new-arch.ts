import { UsageError } from '../errors.ts';
export async function cmdNewArch(_argv: string[]): Promise<number> {
  throw new UsageError('new-arch: not implemented yet');
}

// lazymm merge FILE... : the shards' partial results back into the output of the unsharded
// command. Every partial records the command line it was run for; merge checks they agree and
// that shards 1..n are each there once, then runs the command with a runner that takes each
// task's result from the partials (runner.ts ReplayRunner): the output is the unsharded run's,
// printed by the same code.
import fs from 'node:fs';
import { UsageError } from '../errors.ts';
import { decodePartial, PARTIAL_VERSION, ReplayRunner, type Partial, type Runner } from './runner.ts';

export async function cmdMerge(argv: string[], run: (argv: string[], r: Runner) => Promise<number>): Promise<number> {
  const json = argv.includes('--json');
  const files = argv.filter((a) => a !== '--json');
  const opt = files.find((f) => f.startsWith('--'));
  if (opt) throw new UsageError(`merge: unknown option '${opt}' (usage: lazymm merge [--json] FILE...)`);
  if (!files.length) throw new UsageError('merge needs the partial results of the shards (lazymm merge FILE...)');
  const parts: { file: string; p: Partial }[] = [];
  const broken: string[] = [];
  for (const file of files) {
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch { throw new UsageError(`merge: cannot read '${file}'`); }
    let p: Partial | null = null;
    try { p = decodePartial(text); } catch { /* below */ }
    if (!p || p.lazymm !== 'partial') {
      broken.push(`${file} is ${text.trim() === '' ? 'empty' : 'not a complete partial result'}`);
      continue;
    }
    if (p.version !== PARTIAL_VERSION) throw new UsageError(`merge: ${file} was written by another lazymm (partial format ${p.version}, this one reads ${PARTIAL_VERSION})`);
    parts.push({ file, p });
  }
  if (!parts.length) throw new UsageError(`merge: no partial result among the files (${broken.join('; ')})`);
  const { argv: cmd, shard: { n } } = parts[0].p;
  for (const { file, p } of parts) {
    if (JSON.stringify(p.argv) !== JSON.stringify(cmd))
      throw new UsageError(`merge: ${file} is from another command ('lazymm ${p.argv.join(' ')}', not 'lazymm ${cmd.join(' ')}')`);
    if (p.shard.n !== n) throw new UsageError(`merge: ${file} is shard ${p.shard.k}/${p.shard.n}, the others are of ${n}`);
  }
  const byK = new Map<number, string>();
  for (const { file, p } of parts) {
    const other = byK.get(p.shard.k);
    if (other) throw new UsageError(`merge: duplicated shard ${p.shard.k}/${n} (${other} and ${file})`);
    byK.set(p.shard.k, file);
  }
  const missing: string[] = [];
  for (let k = 1; k <= n; k++) if (!byK.has(k)) missing.push(`${k}/${n}`);
  if (missing.length)
    throw new UsageError(`merge: missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')}${broken.length ? ` (${broken.join('; ')}: did its shard finish?)` : ''}`);
  if (broken.length) throw new UsageError(`merge: ${broken.join('; ')}`);
  const results = new Map<string, Partial['results'][number][1]>();
  for (const { p } of parts) for (const [key, r] of p.results) results.set(key, r);
  const final = json && !cmd.includes('--json') ? [...cmd, '--json'] : cmd;
  return run(final, new ReplayRunner(results));
}

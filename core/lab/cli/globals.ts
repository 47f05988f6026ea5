// Flags every verb takes (declared in verbs.ts, GLOBAL_FLAGS), taken out of argv before the verb
// parses it: --debug (an internal error prints its stack) and --watchdog SECONDS (the supervisor's
// limit; 0 turns it off). Their environment forms: LAZYMM_DEBUG=1, LAZYMM_WATCHDOG=SECONDS.
import { UsageError } from '../errors.ts';
import { GLOBAL_FLAGS } from './verbs.ts';

const [DEBUG, WATCHDOG] = GLOBAL_FLAGS.map((f) => `--${f.name}`);

export const DEFAULT_WATCHDOG_S = 5;

export interface Globals {
  argv: string[];
  debug: boolean;
  /** the watchdog's limit in ms; 0: off */
  watchdogMs: number;
}

function seconds(v: string | undefined, where: string): number {
  if (v === undefined || !/^\d+(\.\d+)?$/.test(v) || Number(v) > 3600 || (Number(v) > 0 && Number(v) < 0.1))
    throw new UsageError(`${where} takes seconds: 0 (off) or 0.1 to 3600, not '${v ?? ''}'`);
  return Math.round(Number(v) * 1000);
}

export function takeGlobals(argv: string[], env: NodeJS.ProcessEnv = process.env): Globals {
  const out: string[] = [];
  let debug = env.LAZYMM_DEBUG === '1';
  let watchdogMs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { out.push(...argv.slice(i)); break; }
    if (a === DEBUG) { debug = true; continue; }
    if (a.startsWith(`${DEBUG}=`)) throw new UsageError(`${DEBUG} takes no value`);
    if (a === WATCHDOG || a.startsWith(`${WATCHDOG}=`)) {
      if (watchdogMs !== undefined) throw new UsageError(`${WATCHDOG} given twice (it takes one value)`);
      watchdogMs = seconds(a === WATCHDOG ? argv[++i] : a.slice(WATCHDOG.length + 1), WATCHDOG);
      continue;
    }
    out.push(a);
  }
  if (watchdogMs === undefined) watchdogMs = env.LAZYMM_WATCHDOG !== undefined && env.LAZYMM_WATCHDOG !== '' ? seconds(env.LAZYMM_WATCHDOG, 'LAZYMM_WATCHDOG') : DEFAULT_WATCHDOG_S * 1000;
  return { argv: out, debug, watchdogMs };
}

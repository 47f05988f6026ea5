// Writing a trace file in the format --trace-format names.
import type { Kernel, ScenarioDef } from '../../model/index.ts';
import { renderTrace } from '../../model/trace.ts';
import { UsageError } from '../errors.ts';
import { writeAtomic } from '../outputs.ts';
import { recordRun, type RecordMeta } from './record.ts';
import { buildView } from './view.ts';
import { toPerfetto } from './perfetto.ts';
import { toFtrace } from './ftrace.ts';
import { toHtml } from './html.ts';

export const TRACE_FORMATS = ['text', 'perfetto', 'ftrace', 'html'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export function traceFormat(v: string | undefined): TraceFormat {
  const f = v ?? 'text';
  if (!(TRACE_FORMATS as readonly string[]).includes(f)) throw new UsageError(`--trace-format takes ${TRACE_FORMATS.join(', ')}, not '${f}'`);
  return f as TraceFormat;
}

/** Render one execution (its events, replayed with tracing) in `format`. */
export function renderExecution(format: TraceFormat, k: Kernel, sc: ScenarioDef, events: number[], schedule: string, maxSteps: number, meta: RecordMeta): string {
  const rec = recordRun(k, sc, events, schedule, maxSteps, meta);
  if (format === 'text') return renderTrace(k, rec.lines).join('\n') + '\n';
  const view = buildView(rec);
  if (format === 'perfetto') return JSON.stringify(toPerfetto(view)) + '\n';
  if (format === 'ftrace') return toFtrace(view);
  return toHtml(view);
}

export function writeExecution(file: string, format: TraceFormat, k: Kernel, sc: ScenarioDef, events: number[], schedule: string, maxSteps: number, meta: RecordMeta) {
  writeText(file, renderExecution(format, k, sc, events, schedule, maxSteps, meta));
}

/** Write a trace file, atomically (outputs.ts); a path that cannot be written is bad input (exit 2). */
export function writeText(file: string, text: string) {
  try {
    writeAtomic(file, text);
  } catch (e) {
    throw new UsageError(`cannot write the trace to '${file}': ${(e as Error).message}`);
  }
}

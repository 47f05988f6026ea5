// Text in the shape of `trace-cmd report` (with latency flags): one line per trace record,
//
//            P.t0-3     [000] d....     0.000042: bprint:              mmput.atomic_dec_and_test: ...
//
// comm-pid, [cpu], flags, seconds.microseconds, event, fields. Context switches, IPI sends and
// IPI/NMI entries use the kernel's tracepoint names and fields (sched_switch, ipi_send_cpu,
// ipi_entry, nmi_handler); every other model record is a trace_printk-style `bprint` whose
// function is the step. Of the flags, irqs-off (d) and hardirq/NMI (h/z) are modelled; the
// need-resched, preempt-depth and migrate-disable columns are always '.'.
// Time is the order of the interleaving: one record is 1 us.
import { violationTitle, type TraceView } from './view.ts';

const flags = (irqsOff: boolean | undefined, level: number) => `${irqsOff ? 'd' : '.'}.${level === 1 ? 'h' : level === 2 ? 'z' : '.'}..`;
const ts = (i: number) => `${Math.floor(i / 1e6)}.${String(i % 1e6).padStart(6, '0')}`;

export function toFtrace(v: TraceView): string {
  const { rec } = v;
  const out: string[] = [`cpus=${rec.ncpus}`];
  const pid = (who: string) => rec.pids[who] ?? 0;
  const head = (who: string, cpu: number, fl: string, t: number) =>
    `${who.padStart(16)}-${String(pid(who)).padEnd(5)} [${String(cpu).padStart(3, '0')}] ${fl} ${ts(t).padStart(12)}: `;
  const ev = (name: string) => `${name}:`.padEnd(21);
  const lastWho: string[] = [];
  rec.lines.forEach((l, i) => {
    // a store-buffer commit event has no task of its own: the CPU's current one
    const who = l.who ?? lastWho[l.cpu] ?? '<idle>';
    lastWho[l.cpu] = who;
    const h = head(who, l.cpu, flags(l.irqsOff, l.level), i + 1);
    const step = l.op === 'commit' ? 'store_buffer' : l.step;
    let m: RegExpExecArray | null;
    if (l.op === 'ipi' && (m = /^send IPI (\S+) -> cpu(\d+) \((.*)\)$/.exec(l.text)))
      out.push(h + ev('ipi_send_cpu') + `cpu=${m[2]} callsite=${step} callback=${m[1]} purpose=${m[3]}`);
    else if (l.op === 'irq' && (m = /^<IRQ> (\S+) from cpu(\d+)$/.exec(l.text)))
      out.push(h + ev('ipi_entry') + `(Function call interrupts) callback=${m[1]} from_cpu=${m[2]}`);
    else if (l.op === 'nmi')
      out.push(h + ev('nmi_handler') + 'nmi');
    else if ((m = /^switch_to (\S+) -> (\S+)$/.exec(l.text))) // recorded by the task switched away from
      out.push(head(m[1], l.cpu, flags(l.irqsOff, l.level), i + 1) + ev('sched_switch') + `prev_comm=${m[1]} prev_pid=${pid(m[1])} ==> next_comm=${m[2]} next_pid=${pid(m[2])}`);
    else if (l.op === 'drain')
      out.push(h + ev('bprint') + `store_buffer: ${l.text} (drained by ${step})`);
    else
      out.push(h + ev('bprint') + `${step}: ${l.text}`);
  });
  const p = v.violation;
  if (p && p.rec === null) out.push(head('<idle>', 0, '.....', rec.lines.length + 1) + ev('bprint') + `end_of_run: !! ${violationTitle(p.v)}`);
  return out.join('\n') + '\n';
}

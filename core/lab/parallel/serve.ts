// The worker side of pool.ts: tasks one at a time, in the order they came, each result or error
// posted back. A task whose id the pool has marked cancelled sees stop() return true.
import { parentPort, workerData } from 'node:worker_threads';
import { runTask, type Task } from './tasks.ts';
import { errorData } from './pool.ts';
import { bfsTransfer, type BfsReply } from './verify-bfs.ts';

export function serve() {
  const cancel = (workerData as { cancel: Int32Array }).cancel;
  let chain: Promise<void> = Promise.resolve();
  parentPort!.on('message', (m: { id: number; task: Task }) => {
    chain = chain.then(async () => {
      const stop = () => Atomics.load(cancel, 0) >= m.id;
      try {
        if (stop()) throw new Error('cancelled');
        const result = await runTask(m.task, stop);
        parentPort!.postMessage({ id: m.id, ok: true, result }, m.task.kind === 'bfs' ? bfsTransfer(result as BfsReply) : []);
      } catch (e) {
        parentPort!.postMessage({ id: m.id, ok: false, error: errorData(e) });
      }
    });
  });
}

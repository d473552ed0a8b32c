/**
 * A load-test worker process (`child_process.fork`): runs one `ClientPool` and answers its
 * parent over IPC. Spreading clients over processes lets the tool use more than one core.
 */
import { ClientPool } from './client-pool.js';
import type { ParentMessage, WorkerMessage } from './worker-protocol.js';

let pool: ClientPool | null = null;

function send(m: WorkerMessage): void {
  process.send?.(m);
}

process.on('message', (m: ParentMessage) => {
  void handle(m).catch((err: unknown) => {
    send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  });
});

async function handle(m: ParentMessage): Promise<void> {
  switch (m.type) {
    case 'open':
      pool = new ClientPool(m.options);
      await pool.open();
      send({ type: 'opened' });
      break;
    case 'window':
      pool?.startWindow();
      break;
    case 'stats':
      if (pool) send({ type: 'stats', stats: pool.stats() });
      break;
    case 'close':
      await pool?.close();
      send({ type: 'closed' });
      process.disconnect();
      break;
  }
}

// The parent went away (killed, crashed): do not linger holding thousands of sockets.
process.on('disconnect', () => {
  void (pool?.close(500) ?? Promise.resolve()).finally(() => process.exit(0));
});

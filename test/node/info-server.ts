/** Test helper: a tiny info server on 127.0.0.1, port 0, whose answers the test decides. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SnapshotRequestBody {
  type: string;
  request: { type: string; includeUsers: boolean; includeTriggerOrders: boolean };
  outPath: string;
  includeHeightInOutput: boolean;
}

export interface InfoServer {
  url: string;
  requests: SnapshotRequestBody[];
  close(): Promise<void>;
}

export async function startInfoServer(
  handle: (body: SnapshotRequestBody, res: ServerResponse, req: IncomingMessage) => void | Promise<void>,
): Promise<InfoServer> {
  const requests: SnapshotRequestBody[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SnapshotRequestBody;
      requests.push(body);
      Promise.resolve(handle(body, res, req)).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/info`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

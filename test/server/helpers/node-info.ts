/** A stand-in for the node's info server on 127.0.0.1:0: answers `meta`, refuses the rest as the node does. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const META = { universe: [{ name: 'ETH', szDecimals: 4, maxLeverage: 25 }] };

export interface NodeInfo {
  url: string;
  requests: unknown[];
  close(): Promise<void>;
}

export async function nodeInfoServer(): Promise<NodeInfo> {
  const requests: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const r = JSON.parse(body) as { type?: string };
      requests.push(r);
      if (r.type === 'meta') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(META));
      } else {
        res.writeHead(422, { 'content-type': 'text/plain' });
        res.end('Failed to deserialize the JSON body into the target type');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/info`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

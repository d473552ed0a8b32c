import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { OPCODE } from '../../src/load/frame-reader.js';
import { RawWebSocket } from '../../src/load/raw-ws.js';

let http: Server | null = null;
let wss: WebSocketServer | null = null;

afterEach(async () => {
  wss?.close();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  http = null;
  wss = null;
});

async function server(onConnection: (ws: WebSocket) => void): Promise<URL> {
  http = createServer((_req, res) => {
    res.statusCode = 404;
    res.end('no');
  });
  wss = new WebSocketServer({ server: http, path: '/ws' });
  wss.on('connection', onConnection);
  await new Promise<void>((resolve) => http?.listen(0, '127.0.0.1', resolve));
  return new URL(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`);
}

interface Got {
  open: boolean;
  messages: Array<{ opcode: number; length: number; prefix: string }>;
  errors: string[];
  closed: Promise<{ code: number; reason: string; wasOpen: boolean }>;
  ws: RawWebSocket;
}

function connect(url: URL, onOpen?: (ws: RawWebSocket) => void, onMessage?: () => void): Got {
  let done: (c: { code: number; reason: string; wasOpen: boolean }) => void = () => undefined;
  const got: Got = {
    open: false,
    messages: [],
    errors: [],
    closed: new Promise((resolve) => (done = resolve)),
    ws: undefined as unknown as RawWebSocket,
  };
  got.ws = new RawWebSocket(
    url,
    {
      onOpen: () => {
        got.open = true;
        onOpen?.(got.ws);
      },
      onMessage: (opcode, length, prefix) => {
        got.messages.push({ opcode, length, prefix: prefix.toString('utf8') });
        onMessage?.();
      },
      onError: (e) => got.errors.push(e.message),
      onClose: (code, reason, wasOpen) => done({ code, reason, wasOpen }),
    },
    { prefixBytes: 32 },
  );
  return got;
}

describe("the load tool's WebSocket client", () => {
  it('shakes hands, sends masked text a ws server reads, and gets messages of every size as length and first bytes', async () => {
    const big = 'y'.repeat(300_000);
    const url = await server((ws) => {
      ws.on('message', (d) => {
        ws.send(`echo:${String(d)}`);
        ws.send(big);
        ws.send(Buffer.from([9, 9]), { binary: true });
        ws.close(4000, 'bye now');
      });
    });
    const got = connect(url, (ws) => ws.send('{"method":"ping"}'));
    expect(await got.closed).toEqual({ code: 4000, reason: 'bye now', wasOpen: true });
    expect(got.messages).toEqual([
      { opcode: OPCODE.text, length: 22, prefix: 'echo:{"method":"ping"}' },
      { opcode: OPCODE.text, length: 300_000, prefix: 'y'.repeat(32) },
      { opcode: OPCODE.binary, length: 2, prefix: '\t\t' },
    ]);
    expect(got.errors).toEqual([]);
  });

  it("answers the server's pings (a ws server sees the pong)", async () => {
    let ponged: (payload: string) => void = () => undefined;
    const pong = new Promise<string>((resolve) => (ponged = resolve));
    const url = await server((ws) => {
      ws.on('pong', (d) => ponged(d.toString()));
      ws.ping('are you there');
    });
    const got = connect(url);
    expect(await pong).toBe('are you there');
    got.ws.close();
    expect((await got.closed).wasOpen).toBe(true);
  });

  it('closes with a close frame the server sees, and reports 1006 when the socket just breaks', async () => {
    let serverSaw: (code: number) => void = () => undefined;
    const saw = new Promise<number>((resolve) => (serverSaw = resolve));
    const url = await server((ws) => ws.on('close', (code) => serverSaw(code)));
    const a = connect(url, (ws) => ws.close(1000));
    expect(await saw).toBe(1000);
    expect((await a.closed).code).toBe(1000);
    wss?.on('connection', (ws) => ws.terminate());
    const b = connect(url);
    expect(await b.closed).toMatchObject({ code: 1006, wasOpen: true });
  });

  it('fails the handshake on a response that is not 101, never opening', async () => {
    const url = await server(() => undefined);
    const got = connect(new URL(url.href.replace('/ws', '/nope')));
    expect(await got.closed).toMatchObject({ code: 1006, wasOpen: false });
    // ws answers an upgrade on a path it does not serve with 400.
    expect(got.errors).toEqual(['handshake: unexpected server response: 400']);
    expect(got.open).toBe(false);
  });

  it('reports a refused connection as an error and a close that never opened', async () => {
    const url = await server(() => undefined);
    await new Promise<void>((resolve) => http?.close(() => resolve()));
    wss?.close();
    http = null;
    const got = connect(url);
    expect(await got.closed).toMatchObject({ wasOpen: false });
    expect(got.errors[0]).toMatch(/ECONNREFUSED/);
  });
});

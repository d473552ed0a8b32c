import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { WebSocketConnector } from '../../../src/client/core/connector.js';

let server: WebSocketServer | undefined;

afterEach(async () => {
  // ws does not end open connections on close(): end them, or close() waits for them.
  for (const ws of server?.clients ?? []) ws.terminate();
  if (server) await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function listen(): Promise<string> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
}

describe('WebSocketConnector', () => {
  it('opens a real socket, passes text both ways, and reports the server closing', async () => {
    const url = await listen();
    server?.on('connection', (ws) => {
      ws.on('message', (data) => ws.send(`echo ${String(data)}`));
    });
    const texts: string[] = [];
    let gotText: () => void = () => {};
    const textCame = new Promise<void>((r) => (gotText = r));
    let closed: (info: { code: number; reason: string }) => void = () => {};
    const closedInfo = new Promise<{ code: number; reason: string }>((r) => (closed = r));
    const transport = await new WebSocketConnector().connect(
      url,
      {
        onMessage: (t) => {
          texts.push(t);
          gotText();
        },
        onClose: (info) => closed(info),
      },
      new AbortController().signal,
    );
    transport.send('hello');
    await textCame;
    expect(texts).toEqual(['echo hello']);
    for (const ws of server?.clients ?? []) ws.close(4001, 'bye');
    expect(await closedInfo).toEqual({ code: 4001, reason: 'bye' });
  });

  it('decodes binary frames as UTF-8 text', async () => {
    const url = await listen();
    server?.on('connection', (ws) => ws.send(Buffer.from('{"channel":"pong"}'), { binary: true }));
    const text = await new Promise<string>((resolve, reject) => {
      new WebSocketConnector().connect(url, { onMessage: resolve, onClose: () => {} }, new AbortController().signal).catch(reject);
    });
    expect(text).toBe('{"channel":"pong"}');
  });

  it('rejects naming the URL when nothing listens', async () => {
    const url = await listen();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    await expect(new WebSocketConnector().connect(url, { onMessage: () => {}, onClose: () => {} }, new AbortController().signal)).rejects.toThrow(
      `cannot connect to ${url}`,
    );
  });

  it('rejects with the abort reason when aborted before opening', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gave up'));
    await expect(new WebSocketConnector().connect('ws://127.0.0.1:9/ws', { onMessage: () => {}, onClose: () => {} }, controller.signal)).rejects.toThrow(
      'gave up',
    );
  });

  it('close() resolves once the socket is closed', async () => {
    const url = await listen();
    const transport = await new WebSocketConnector().connect(url, { onMessage: () => {}, onClose: () => {} }, new AbortController().signal);
    await transport.close(1000, 'done');
    await transport.close();
  });
});

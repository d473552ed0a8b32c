import { describe, expect, it } from 'vitest';
import { loggingHandler } from '../../../src/client/modules/logging.js';
import { Raw } from '../../../src/client/modules/raw.js';
import { connected, RecordingLogger } from '../support/harness.js';

describe('Raw', () => {
  it('sees every frame, channel messages or not, and sends anything', async () => {
    const { socket, client } = await connected((b) => b.withModule(Raw));
    const raw = client.getHandle(Raw);
    const frames = raw.frames();
    const heard: string[] = [];
    raw.on((f) => heard.push(f.channel));
    socket.receive({ channel: 'pong' });
    socket.receive('not json');
    socket.receive({ channel: 'l2Book', data: { coin: 'BTC' } });
    expect(heard).toEqual(['pong', '', 'l2Book']);
    expect(await frames.next()).toEqual({ value: { channel: 'pong', data: undefined, text: '{"channel":"pong"}' }, done: false });
    expect((await frames.next()).value).toEqual({ channel: '', data: undefined, text: 'not json' });
    raw.send({ method: 'ping' });
    expect(socket.sent).toEqual(['{"method":"ping"}']);
  });
});

describe('loggingHandler', () => {
  it('logs each frame by channel and size, and server errors as warnings', async () => {
    const log = new RecordingLogger();
    const { socket } = await connected((b) => b.withHandler(loggingHandler(log, { previewChars: 5 })));
    socket.receive({ channel: 'pong' });
    socket.receive({ channel: 'error', data: 'Invalid subscription {}' });
    expect(log.lines).toEqual([
      { level: 'debug', obj: { channel: 'pong', bytes: 18, preview: '{"cha' }, msg: 'frame' },
      { level: 'warn', obj: { channel: 'error', data: 'Invalid subscription {}' }, msg: 'server error frame' },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { DisconnectedError, RejectedError, TimeoutError } from '../../../src/client/core/errors.js';
import { Post } from '../../../src/client/modules/post.js';
import { connected, sent } from '../support/harness.js';

async function withPost() {
  const h = await connected((b) => b.withModule(Post, { timeoutMs: 3_000 }));
  return { ...h, post: h.client.getHandle(Post) };
}

describe('Post', () => {
  it('wraps an info request with an id and resolves with the answer data of that id', async () => {
    const { socket, post } = await withPost();
    const first = post.info({ type: 'l2Book', coin: 'BTC', nSigFigs: null, mantissa: null });
    const second = post.info({ type: 'allMids' });
    const m1 = await sent(socket, { method: 'post', id: 1 });
    expect(m1).toEqual({ method: 'post', id: 1, request: { type: 'info', payload: { type: 'l2Book', coin: 'BTC', nSigFigs: null, mantissa: null } } });
    await sent(socket, { method: 'post', id: 2 });
    // Answers may come in any order: matched by id.
    socket.receive({ channel: 'post', data: { id: 2, response: { type: 'info', payload: { type: 'allMids', data: { mids: {} } } } } });
    const book = { coin: 'BTC', time: 5, levels: [[], []] };
    socket.receive({ channel: 'post', data: { id: 1, response: { type: 'info', payload: { type: 'l2Book', data: book } } } });
    expect(await first).toEqual(book);
    expect(await second).toEqual({ mids: {} });
    expect(post.pending).toBe(0);
  });

  it('rejects with RejectedError on an error response', async () => {
    const { socket, post } = await withPost();
    const p = post.info({ type: 'nothing' });
    await sent(socket, { method: 'post' });
    socket.receive({ channel: 'post', data: { id: 1, response: { type: 'error', payload: '422 Unprocessable Entity: unknown type' } } });
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RejectedError);
    expect((e as RejectedError).serverText).toBe('422 Unprocessable Entity: unknown type');
  });

  it('rejects the request an error frame names by id', async () => {
    const { socket, post } = await withPost();
    const p = post.info({ type: 'meta' });
    await sent(socket, { method: 'post' });
    socket.receive({ channel: 'error', data: 'too many pending post requests id=1' });
    await expect(p).rejects.toBeInstanceOf(RejectedError);
  });

  it('times out with TimeoutError', async () => {
    const { socket, post, clock } = await withPost();
    const p = post.info({ type: 'meta' }, { timeoutMs: 500 });
    await sent(socket, { method: 'post' });
    clock.advance(499);
    expect(post.pending).toBe(1);
    clock.advance(1);
    await expect(p).rejects.toBeInstanceOf(TimeoutError);
  });

  it('fails waiting requests with DisconnectedError when the connection drops', async () => {
    const { socket, post } = await withPost();
    const p = post.info({ type: 'meta' });
    await sent(socket, { method: 'post' });
    socket.drop(1006);
    await expect(p).rejects.toBeInstanceOf(DisconnectedError);
  });

  it('refuses requests while not connected', async () => {
    const { socket, post } = await withPost();
    socket.drop(1006);
    await expect(post.info({ type: 'meta' })).rejects.toBeInstanceOf(DisconnectedError);
  });
});

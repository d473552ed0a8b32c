import { describe, expect, it } from 'vitest';
import { serverErrorKind, serverErrorText, SERVER_ERROR_PREFIX, type ServerErrorKind } from '../../src/client/protocol-errors.js';
import { parseClientFrame } from '../../src/server/frames.js';

describe('server error texts shared by the server and the client', () => {
  it('keeps the public API wording the client matches by prefix', () => {
    const json = '{"type":"l2Book","coin":"BTC"}';
    expect(serverErrorText.alreadySubscribed(json)).toBe(`Already subscribed: ${json}`);
    expect(serverErrorText.alreadyUnsubscribed(json)).toBe(`Already unsubscribed: ${json}`);
    expect(serverErrorText.invalidSubscription(json)).toBe(`Invalid subscription ${json}`);
    expect(serverErrorText.tooManySubscriptions(json)).toBe(`Too many subscriptions: ${json}`);
  });

  it('recognises each text it builds as its own kind, and nothing else', () => {
    const built: Record<ServerErrorKind, string> = {
      invalidSubscription: serverErrorText.invalidSubscription('{}'),
      alreadySubscribed: serverErrorText.alreadySubscribed('{}'),
      alreadyUnsubscribed: serverErrorText.alreadyUnsubscribed('{}'),
      tooManySubscriptions: serverErrorText.tooManySubscriptions('{}'),
      badRequest: serverErrorText.badRequest('nope'),
      unsupportedPost: serverErrorText.unsupportedPost('"x"', 'info only'),
      tooManyPosts: serverErrorText.tooManyPosts(3),
    };
    for (const kind of Object.keys(SERVER_ERROR_PREFIX) as ServerErrorKind[]) expect(serverErrorKind(built[kind])).toBe(kind);
    expect(serverErrorKind('something else')).toBeUndefined();
  });

  it("is what the server's frame parser answers to a bad frame", () => {
    const parsed = parseClientFrame('{not json');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(serverErrorKind(parsed.error)).toBe('badRequest');
  });
});

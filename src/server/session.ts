/**
 * One client connection's side of the protocol: its inbound frames (rate limited, parsed),
 * its subscriptions, acknowledgements, errors, `ping` and `post`. Bad input gets an error
 * frame and the connection stays open.
 */
import type { Logger } from '../util/logger.js';
import { metrics } from '../metrics.js';
import type { RawData } from 'ws';
import { parseClientFrame } from './frames.js';
import type { InfoService } from './info.js';
import type { Outbox, Peer } from './outbox.js';
import type { Publisher } from './publisher.js';
import { InboundRateLimit } from './rate-limit.js';
import { parseSubscription, viewKey, type Subscription } from './subscriptions.js';
import type { ExchangeForwarder } from './user/exchange.js';
import { serverErrorText } from '../client/protocol-errors.js';

/** At most this many subscriptions per connection (protocol.md). */
export const MAX_SUBSCRIPTIONS = 1000;

export interface SessionLimits {
  /** Default 1000. */
  maxSubscriptions?: number;
  /** Inbound frames a minute; default 2000. */
  framesPerMinute?: number;
  /** Refused frames in a row before closing with 1008; default 100. */
  closeAfterRefused?: number;
  /** `post` requests in flight per connection; default 32. */
  maxPendingPosts?: number;
}

export interface SessionDeps {
  publisher: Publisher;
  outbox: Outbox;
  info: InfoService;
  /** WS `post` `"type":"action"`: forwarded to the exchange; absent = refused. */
  exchange?: ExchangeForwarder;
  /** Shared count of subscriptions over all connections (for `/health`). */
  stats: { subscriptions: number };
  limits?: SessionLimits;
  /** Wall clock, ms (signs of life, for the keep-alive). */
  now: () => number;
  /** Monotonic clock for the rate limit, ms; default the limiter's (`performance.now`). */
  monotonic?: () => number;
  logger?: Logger;
}

interface Held {
  sub: Subscription;
  /** JSON of the object exactly as the client sent it. */
  json: string;
  /** Attached to its view (false while waiting for the first snapshot). */
  active: boolean;
}

const PONG = Buffer.from('{"channel":"pong"}');

export class ClientSession {
  private readonly subs = new Map<string, Held>();
  private readonly limiter: InboundRateLimit;
  private readonly maxSubs: number;
  private readonly maxPendingPosts: number;
  private pendingPosts = 0;
  /** Wall-clock ms of the last sign of life (message or pong). */
  private seenAt: number;

  constructor(
    readonly peer: Peer,
    private readonly deps: SessionDeps,
  ) {
    const l = deps.limits ?? {};
    this.maxSubs = l.maxSubscriptions ?? MAX_SUBSCRIPTIONS;
    this.maxPendingPosts = l.maxPendingPosts ?? 32;
    this.limiter = new InboundRateLimit({ perMinute: l.framesPerMinute, closeAfterRefused: l.closeAfterRefused, now: deps.monotonic });
    this.seenAt = deps.now();
  }

  /** Wall-clock ms of the last sign of life (message or pong): what the keep-alive judges. */
  get lastSeen(): number {
    return this.seenAt;
  }

  /** A sign of life that is not a message (a pong). */
  alive(): void {
    this.seenAt = this.deps.now();
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  /** One inbound frame. */
  onMessage(data: RawData, isBinary: boolean): void {
    this.seenAt = this.deps.now();
    if (this.peer.closed) return;
    const verdict = this.limiter.take();
    if (verdict === 'close') {
      this.deps.outbox.drop(this.peer, 1008, 'Rate limit exceeded', 'rate_limit');
      return;
    }
    if (verdict === 'refuse') return this.error('Rate limit exceeded');
    if (isBinary) return this.error('Binary frames are not supported');
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    const parsed = parseClientFrame(text);
    if (!parsed.ok) return this.error(parsed.error);
    const req = parsed.request;
    switch (req.method) {
      case 'ping':
        this.deps.outbox.send(this.peer, PONG, 'pong');
        return;
      case 'subscribe':
        return this.subscribe(req.subscription);
      case 'unsubscribe':
        return this.unsubscribe(req.subscription);
      case 'post':
        void this.post(req.id, req.request);
        return;
    }
  }

  private subscribe(raw: Record<string, unknown>): void {
    const json = JSON.stringify(raw);
    const sub = parseSubscription(raw);
    if (sub === null) return this.error(serverErrorText.invalidSubscription(json));
    const key = viewKey(sub);
    if (this.subs.has(key)) return this.error(serverErrorText.alreadySubscribed(json));
    if (this.subs.size >= this.maxSubs) return this.error(serverErrorText.tooManySubscriptions(json));
    const { publisher } = this.deps;
    const checkable = publisher.booksAvailable;
    if (checkable && !publisher.knows(sub)) return this.error(serverErrorText.invalidSubscription(json));
    this.subs.set(key, { sub, json, active: checkable });
    this.count(1);
    this.respond('subscribe', json);
    if (checkable) publisher.subscribe(this.peer, sub);
  }

  private unsubscribe(raw: Record<string, unknown>): void {
    const json = JSON.stringify(raw);
    const sub = parseSubscription(raw);
    if (sub === null) return this.error(serverErrorText.invalidSubscription(json));
    const key = viewKey(sub);
    const held = this.subs.get(key);
    if (held === undefined) return this.error(serverErrorText.alreadyUnsubscribed(json));
    this.subs.delete(key);
    this.count(-1);
    if (held.active) this.deps.publisher.unsubscribe(this.peer, held.sub);
    this.respond('unsubscribe', json);
  }

  /** The first snapshot is in: check the subscriptions acknowledged before it, start the valid ones. */
  activateDeferred(): void {
    if (this.peer.closed) return;
    const { publisher } = this.deps;
    for (const [key, held] of this.subs) {
      if (held.active) continue;
      if (!publisher.knows(held.sub)) {
        this.subs.delete(key);
        this.count(-1);
        this.error(serverErrorText.invalidSubscription(held.json));
        continue;
      }
      held.active = true;
      publisher.subscribe(this.peer, held.sub);
    }
  }

  private async post(id: number, request: { type: string; payload: unknown }): Promise<void> {
    if (request.type === 'action' && this.deps.exchange !== undefined) return this.postAction(id, request.payload, this.deps.exchange);
    if (request.type !== 'info') {
      return this.postFailure(
        id,
        serverErrorText.unsupportedPost(
          JSON.stringify(request.type),
          `this server answers "info"${this.deps.exchange !== undefined ? ' and "action"' : ''} requests only`,
        ),
      );
    }
    if (this.pendingPosts >= this.maxPendingPosts) return this.postFailure(id, serverErrorText.tooManyPosts(this.maxPendingPosts));
    this.pendingPosts += 1;
    try {
      const answer = await this.deps.info.answer(request.payload);
      if (this.peer.closed) return;
      if (answer.status === 200 && answer.json) {
        const type = JSON.stringify((request.payload as { type: string }).type);
        this.deps.outbox.send(
          this.peer,
          Buffer.from(`{"channel":"post","data":{"id":${id},"response":{"type":"info","payload":{"type":${type},"data":${answer.body}}}}}`),
          'post',
        );
      } else {
        this.postFailure(id, answer.forwarded ? `info server answered ${answer.status}: ${answer.body}` : answer.body);
      }
    } finally {
      this.pendingPosts -= 1;
    }
  }

  /** An exchange action: forwarded unchanged, the exchange's JSON answer as the payload. */
  private async postAction(id: number, payload: unknown, exchange: ExchangeForwarder): Promise<void> {
    if (this.pendingPosts >= this.maxPendingPosts) return this.postFailure(id, serverErrorText.tooManyPosts(this.maxPendingPosts));
    this.pendingPosts += 1;
    try {
      const answer = await exchange.forward(JSON.stringify(payload) ?? 'null');
      if (this.peer.closed) return;
      let json = answer.status === 200;
      if (json) {
        try {
          JSON.parse(answer.body);
        } catch {
          json = false;
        }
      }
      if (json)
        this.deps.outbox.send(this.peer, Buffer.from(`{"channel":"post","data":{"id":${id},"response":{"type":"action","payload":${answer.body}}}}`), 'post');
      else this.postFailure(id, answer.forwarded ? `exchange answered ${answer.status}: ${answer.body}` : answer.body);
    } finally {
      this.pendingPosts -= 1;
    }
  }

  private postFailure(id: number, reason: string): void {
    this.deps.outbox.send(this.peer, Buffer.from(JSON.stringify({ channel: 'post', data: { id, response: { type: 'error', payload: reason } } })), 'post');
  }

  private respond(method: 'subscribe' | 'unsubscribe', json: string): void {
    this.deps.outbox.send(
      this.peer,
      Buffer.from(`{"channel":"subscriptionResponse","data":{"method":"${method}","subscription":${json}}}`),
      'subscriptionResponse',
    );
  }

  private error(reason: string): void {
    this.deps.outbox.send(this.peer, Buffer.from(JSON.stringify({ channel: 'error', data: reason })), 'error');
  }

  /** Keep-alive: ping the client (its pong counts as a sign of life). */
  ping(): void {
    this.deps.outbox.ping(this.peer);
  }

  /** Keep-alive: the client has been silent too long. */
  terminate(): void {
    this.deps.outbox.terminate(this.peer, 'timeout');
  }

  /** The connection ended: leave every view. */
  close(): void {
    for (const held of this.subs.values()) if (held.active) this.deps.publisher.unsubscribe(this.peer, held.sub);
    this.count(-this.subs.size);
    this.subs.clear();
  }

  private count(delta: number): void {
    this.deps.stats.subscriptions += delta;
    metrics.subscriptions.inc(delta);
  }
}

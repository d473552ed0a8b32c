/**
 * `Post`: the public API's post requests over the socket — an info request (or a signed
 * action) wrapped as `{"method":"post","id":N,"request":{…}}`, answered on the `post`
 * channel with the same id. Each waits at most `timeoutMs`; a lost connection fails every
 * waiting request at once with `DisconnectedError` (its answer can no longer come).
 */
import { DisconnectedError, RejectedError } from '../core/errors.js';
import type { InboundFrame } from '../core/frame.js';
import type { ApiModule, ModuleContext } from '../core/module.js';
import { PendingReplies } from '../core/pending-replies.js';
import { isRecord, objectInErrorText, type PostRequest } from '../protocol.js';
import { check, PostResponseSchema } from '../core/inbound.js';

export interface PostOptions {
  /** Wait for an answer at most this long, ms. Default 10,000. */
  timeoutMs?: number;
}

export interface RequestOptions {
  /** Overrides the module's `timeoutMs` for this request. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface PostHandle {
  /**
   * An info request (`{"type":"l2Book","coin":"BTC"}`, `{"type":"meta"}`…). Resolves with
   * the answer's `data`: exactly what `POST /info` returns for that payload.
   */
  info<T = unknown>(payload: { type: string; [field: string]: unknown }, options?: RequestOptions): Promise<T>;
  /** Any post request; resolves with the response's `payload` (for `info`, its `data`). */
  request<T = unknown>(request: PostRequest, options?: RequestOptions): Promise<T>;
  /** Requests waiting for an answer. */
  readonly pending: number;
}

export class Post implements ApiModule<PostHandle> {
  static readonly moduleName = 'Post';

  readonly handle: PostHandle;
  private readonly replies: PendingReplies<number, unknown>;
  private readonly timeoutMs: number;
  private lastId = 0;

  constructor(
    private readonly ctx: ModuleContext,
    options: PostOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.replies = new PendingReplies(ctx.clock);
    const replies = this.replies;
    this.handle = {
      info: (payload, opts) => this.request({ type: 'info', payload }, opts),
      request: (request, opts) => this.request(request, opts),
      get pending() {
        return replies.size;
      },
    };
  }

  rule(frame: InboundFrame): boolean {
    return frame.channel === 'post' || (frame.channel === 'error' && this.replies.size > 0);
  }

  onFrame(frame: InboundFrame): void {
    if (frame.channel === 'post') this.onPost(frame.data);
    else this.onError(frame.data);
  }

  onClose(): void {
    this.replies.rejectAll((what) => new DisconnectedError(what, 'connection lost before the answer'));
  }

  stop(reason: Error): void {
    this.replies.rejectAll((what) => new DisconnectedError(what, `module stopped: ${reason.message}`));
  }

  private request<T>(request: PostRequest, options: RequestOptions = {}): Promise<T> {
    const id = ++this.lastId;
    const what = `post ${id} ${JSON.stringify(request.payload).slice(0, 200)}`;
    if (this.ctx.state !== 'open') return Promise.reject(new DisconnectedError(what));
    const answer = this.replies.wait(id, what, { timeoutMs: options.timeoutMs ?? this.timeoutMs, signal: options.signal });
    try {
      this.ctx.send({ method: 'post', id, request });
    } catch (error) {
      this.replies.reject(id, error);
    }
    return answer as Promise<T>;
  }

  private onPost(data: unknown): void {
    const checked = check(PostResponseSchema, data, 'post');
    if (!checked.ok) {
      // Without a well-formed id the answer cannot be matched: its command times out.
      this.ctx.logger.warn({ err: checked.error }, 'malformed post frame; ignored');
      return;
    }
    const { id, response } = checked.value;
    if (response.type === 'error') {
      this.replies.reject(id, new RejectedError(`post ${id}`, String(response.payload)));
    } else if (response.type === 'info') {
      this.replies.resolve(id, isRecord(response.payload) ? response.payload.data : response.payload);
    } else {
      this.replies.resolve(id, response.payload);
    }
  }

  /** An error frame about a post names its id (`… id=7`) or quotes the request. */
  private onError(data: unknown): void {
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    const suffix = /id=(\d+)\s*$/.exec(text);
    let id = suffix ? Number(suffix[1]) : undefined;
    if (id === undefined) {
      const quoted = objectInErrorText(text);
      if (quoted && quoted.method === 'post' && typeof quoted.id === 'number') id = quoted.id;
    }
    if (id !== undefined) this.replies.reject(id, new RejectedError(`post ${id}`, text));
  }
}

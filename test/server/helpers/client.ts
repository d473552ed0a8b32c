/**
 * A raw test client over a real socket: every frame it receives is kept in order, and
 * tests wait for the frame they expect (never sleep).
 */
import { WebSocket, type ClientOptions } from 'ws';

export interface Frame {
  channel: string;
  data?: unknown;
}

export class TestClient {
  readonly frames: Frame[] = [];
  /** Raw text of every frame, in order. */
  readonly texts: string[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '<binary>' : data.toString();
      this.texts.push(text);
      this.frames.push(JSON.parse(text) as Frame);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => {});
  }

  static open(url: string, opts?: ClientOptions): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, opts);
      const c = new TestClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The next frame (after the ones already taken) matching `pred`; frames skipped over are consumed. */
  async next(pred: (f: Frame) => boolean = () => true, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const f = this.frames[this.cursor++]!;
        if (pred(f)) return f;
      }
      if (this.closed !== null)
        throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting; got ${this.texts.slice(-3).join(' | ')}`);
      await new Promise<void>((resolve, reject) => {
        const left = deadline - Date.now();
        const timer = setTimeout(
          () => reject(new Error(`no matching frame within ${timeoutMs} ms; last: ${this.texts.slice(-3).join(' | ').slice(0, 2000)}`)),
          Math.max(0, left),
        );
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next frame of a channel. */
  channel(name: string, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.channel === name, timeoutMs);
  }

  /** Send and wait for the frame that answers it. */
  async request(msg: unknown, pred: (f: Frame) => boolean): Promise<Frame> {
    this.send(msg);
    return this.next(pred);
  }

  /** Round trip: every frame the server queued before the pong has arrived. */
  async sync(): Promise<void> {
    await this.request({ method: 'ping' }, (f) => f.channel === 'pong');
  }

  /** Round trip: every frame received before the pong (not taken yet), then past the pong. */
  async untilPong(): Promise<Frame[]> {
    const from = this.cursor;
    await this.sync();
    return this.frames.slice(from, this.cursor - 1);
  }

  /** Frames received but not taken yet. */
  rest(): Frame[] {
    return this.frames.slice(this.cursor);
  }

  /** Drop frames received so far. */
  skipAll(): void {
    this.cursor = this.frames.length;
  }

  async waitClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (this.closed === null) {
      if (Date.now() > deadline) throw new Error('socket not closed in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

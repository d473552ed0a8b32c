/**
 * Opens the socket. `ws` in Node (it is a dependency of this package and takes a payload
 * bound), the host's global `WebSocket` elsewhere, or any constructor the caller passes.
 * The runner only sees a `Transport`: text in, text out, one close.
 */
import { codedError } from '../../errors.js';

export interface TransportEvents {
  /** A text frame (binary frames are decoded as UTF-8). */
  onMessage(text: string): void;
  /** The socket closed after it had opened. Called once. */
  onClose(info: { code: number; reason: string }): void;
}

export interface Transport {
  send(text: string): void;
  /** Closes and resolves once the socket is closed (or after a deadline, by force). */
  close(code?: number, reason?: string): Promise<void>;
}

export interface Connector {
  /**
   * Opens a connection to `url`; resolves when it is open, rejects when it cannot open or
   * `signal` aborts first (the half-open socket is then closed).
   */
  connect(url: string, events: TransportEvents, signal: AbortSignal): Promise<Transport>;
}

/** What we need of a WebSocket: the browser API, which `ws` implements too. */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: { data?: unknown; code?: number; reason?: string; message?: string }) => void): void;
  terminate?(): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike | Promise<WebSocketLike>;

export interface WebSocketConnectorOptions {
  /** Builds the socket. Default: `ws` in Node, the global `WebSocket` elsewhere. */
  createSocket?: WebSocketFactory;
  /** Largest inbound frame for `ws`, bytes. Default 256 MiB (one BTC L4 snapshot is ~18 MB). */
  maxPayload?: number;
  /** How long `close()` waits for the closing handshake before forcing, ms. Default 2,000. */
  closeTimeoutMs?: number;
}

const OPEN = 1;
const CLOSED = 3;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

function defaultFactory(maxPayload: number): WebSocketFactory {
  if (isNode()) {
    return async (url) => {
      const { WebSocket } = await import('ws');
      return new WebSocket(url, { maxPayload }) as unknown as WebSocketLike;
    };
  }
  const Global = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (!Global) throw codedError('USAGE', 'no WebSocket implementation: pass createSocket to the connector');
  return (url) => new Global(url);
}

const decoder = new TextDecoder();

function toText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return decoder.decode(new Uint8Array(data));
  if (ArrayBuffer.isView(data)) return decoder.decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (Array.isArray(data)) return data.map(toText).join('');
  return String(data);
}

export class WebSocketConnector implements Connector {
  private readonly createSocket: WebSocketFactory;
  private readonly closeTimeoutMs: number;

  constructor(options: WebSocketConnectorOptions = {}) {
    this.createSocket = options.createSocket ?? defaultFactory(options.maxPayload ?? 256 * 1024 * 1024);
    this.closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
  }

  async connect(url: string, events: TransportEvents, signal: AbortSignal): Promise<Transport> {
    signal.throwIfAborted();
    const socket = await this.createSocket(url);
    socket.binaryType = 'arraybuffer';
    let opened = false;
    let closed = false;
    let lastError = '';
    const closedWaiters: (() => void)[] = [];

    return new Promise<Transport>((resolve, reject) => {
      const onAbort = (): void => {
        if (!opened) {
          forceClose();
          reject(signal.reason);
        }
      };
      const forceClose = (): void => {
        try {
          if (socket.terminate) socket.terminate();
          else socket.close();
        } catch {
          // Closing a socket that never opened may throw in some implementations; it is gone either way.
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });

      socket.addEventListener('open', () => {
        opened = true;
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) {
          forceClose();
          reject(signal.reason);
          return;
        }
        resolve(transport);
      });
      socket.addEventListener('message', (event) => {
        events.onMessage(toText(event.data));
      });
      socket.addEventListener('error', (event) => {
        lastError = event.message ?? 'socket error';
      });
      socket.addEventListener('close', (event) => {
        if (closed) return;
        closed = true;
        signal.removeEventListener('abort', onAbort);
        for (const w of closedWaiters.splice(0)) w();
        if (!opened) {
          reject(codedError('CLIENT_DISCONNECTED', `cannot connect to ${url}`, lastError || `closed with ${event.code ?? 1006}`));
          return;
        }
        events.onClose({ code: event.code ?? 1006, reason: event.reason || lastError });
      });

      const transport: Transport = {
        send: (text) => {
          if (socket.readyState === OPEN) socket.send(text);
        },
        close: (code = 1000, reason = '') =>
          new Promise<void>((done) => {
            if (closed || socket.readyState === CLOSED) {
              done();
              return;
            }
            closedWaiters.push(done);
            const deadline = setTimeout(() => {
              forceClose();
              // Some implementations never fire `close` after terminate on a dead peer.
              setTimeout(done, 50);
            }, this.closeTimeoutMs);
            closedWaiters.push(() => clearTimeout(deadline));
            try {
              socket.close(code, reason);
            } catch {
              forceClose();
            }
          }),
      };
    });
  }
}

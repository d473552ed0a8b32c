/**
 * The load tool's WebSocket client: a socket, the RFC 6455 handshake, and a `FrameReader`.
 * A general client (`ws`) builds every message as a Buffer and emits it; thousands of
 * these clients in one process would then spend more CPU per frame than the server does to
 * send it, and the tool would measure itself. This one touches only each frame's header
 * and first bytes. It answers pings and closes; it does not compress (no permessage-deflate).
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { DEFAULT_PREFIX_BYTES, FrameReader, OPCODE, clientFrame } from './frame-reader.js';
import { codedError } from '../errors.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/**
 * One read buffer for every plain socket of the process (`onread`): each chunk is consumed
 * before the next read, so no per-read Buffer is allocated and the stream machinery is skipped.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const MAX_HANDSHAKE_BYTES = 16 * 1024;

export interface RawWsHandlers {
  onOpen(): void;
  /** A text or binary message: its length and first bytes (a view valid during the call). */
  onMessage(opcode: number, length: number, prefix: Buffer): void;
  /** Once, when the connection is gone: the close code (1006 when no close frame came) and reason. */
  onClose(code: number, reason: string, wasOpen: boolean): void;
  onError(err: Error): void;
}

export interface RawWsOptions {
  /** Handshake time limit, ms. Default 15000. */
  handshakeTimeoutMs?: number;
  /** Bytes kept from the start of each message. Default 512. */
  prefixBytes?: number;
}

export type RawWsState = 'connecting' | 'open' | 'closing' | 'closed';

export class RawWebSocket {
  state: RawWsState = 'connecting';
  private readonly socket: Socket;
  private readonly reader: FrameReader;
  private handshake: Buffer | null = Buffer.alloc(0);
  private readonly key = randomBytes(16).toString('base64');
  private closeCode = 1006;
  private closeReason = '';
  private closeSent = false;
  private ended = false;
  private timer: NodeJS.Timeout | null;

  constructor(
    url: URL,
    private readonly handlers: RawWsHandlers,
    opts: RawWsOptions = {},
  ) {
    const secure = url.protocol === 'wss:';
    const port = Number(url.port || (secure ? 443 : 80));
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const onData = (chunk: Buffer): void => {
      if (this.handshake !== null) this.readHandshake(chunk);
      else this.reader.push(chunk);
    };
    this.socket = secure
      ? tlsConnect({ host, port, servername: host, rejectUnauthorized: false })
      : netConnect({
          host,
          port,
          onread: {
            buffer: READ_BUFFER,
            callback: (n: number, buf: Uint8Array) => {
              onData(Buffer.from(buf.buffer, buf.byteOffset, n));
              return true;
            },
          },
        });
    this.socket.setNoDelay(true);
    this.reader = new FrameReader(
      {
        onMessage: (opcode, length, prefix) => this.onFrame(opcode, length, prefix),
        onProtocolError: (reason) => this.abort(1002, `protocol error: ${reason}`),
      },
      opts.prefixBytes ?? DEFAULT_PREFIX_BYTES,
    );
    this.timer = setTimeout(() => this.abort(1006, 'handshake timed out'), opts.handshakeTimeoutMs ?? 15_000);
    this.socket.once(secure ? 'secureConnect' : 'connect', () => {
      this.socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    if (secure) this.socket.on('data', onData);
    this.socket.on('error', (err) => this.handlers.onError(err));
    this.socket.on('close', () => this.finish());
  }

  /** Sends a text message (no-op unless open). */
  send(text: string): void {
    if (this.state === 'open') this.socket.write(clientFrame(OPCODE.text, Buffer.from(text)));
  }

  /** Sends a close frame and waits for the server's (the socket is destroyed after `graceMs`). */
  close(code = 1000, graceMs = 2000): void {
    if (this.state === 'closed') return;
    if (this.state === 'connecting') return this.abort(1006, 'closed while connecting');
    this.state = 'closing';
    this.sendClose(code);
    this.timer = setTimeout(() => this.socket.destroy(), graceMs);
  }

  /** Destroys the socket at once. */
  terminate(): void {
    this.socket.destroy();
  }

  private sendClose(code: number): void {
    if (this.closeSent) return;
    this.closeSent = true;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.socket.write(clientFrame(OPCODE.close, payload));
  }

  private abort(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
    if (reason.startsWith('handshake') || reason.startsWith('protocol')) this.handlers.onError(codedError('PEER', reason));
    this.socket.destroy();
  }

  private readHandshake(chunk: Buffer): void {
    const all = Buffer.concat([this.handshake ?? Buffer.alloc(0), chunk]);
    const end = all.indexOf('\r\n\r\n');
    if (end < 0) {
      if (all.length > MAX_HANDSHAKE_BYTES) this.abort(1006, 'handshake: response header too long');
      else this.handshake = all;
      return;
    }
    this.handshake = null;
    const head = all.toString('latin1', 0, end);
    const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
    if (status !== '101') return this.abort(1006, `handshake: unexpected server response: ${status ?? head.split('\r\n')[0]}`);
    const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
    const expected = createHash('sha1')
      .update(this.key + GUID)
      .digest('base64');
    if (accept !== expected) return this.abort(1006, 'handshake: wrong Sec-WebSocket-Accept');
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.state = 'open';
    this.handlers.onOpen();
    if (all.length > end + 4 && this.state === 'open') this.reader.push(all.subarray(end + 4));
  }

  private onFrame(opcode: number, length: number, prefix: Buffer): void {
    switch (opcode) {
      case OPCODE.text:
      case OPCODE.binary:
        if (this.state === 'open') this.handlers.onMessage(opcode, length, prefix);
        return;
      case OPCODE.ping:
        if (this.state === 'open') this.socket.write(clientFrame(OPCODE.pong, Buffer.from(prefix)));
        return;
      case OPCODE.close:
        this.closeCode = prefix.length >= 2 ? prefix.readUInt16BE(0) : 1005;
        this.closeReason = prefix.length > 2 ? prefix.toString('utf8', 2) : '';
        // Answer the server's close, then let it end the TCP connection.
        this.sendClose(prefix.length >= 2 ? this.closeCode : 1000);
        this.state = 'closing';
        this.socket.end();
        return;
      default:
        return;
    }
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    const wasOpen = this.state !== 'connecting';
    this.state = 'closed';
    this.handlers.onClose(this.closeCode, this.closeReason, wasOpen);
  }
}

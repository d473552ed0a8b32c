/**
 * The outbox with fake sockets: one write per client per turn, the same bytes for the same
 * frames, nothing to closed or closing clients, both unsent bounds, the grace period after a
 * drop, and shutdown; the turn runs the publisher's refresh before the flush.
 */
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxOptions, type Peer } from '../../src/server/outbox.js';
import { Turn } from '../../src/server/turn.js';
import { textFrame } from '../../src/server/ws-frame.js';
import { FakeSocket, ManualTurns } from './helpers/fake-socket.js';

const MIB = 1024 * 1024;

function setup(opts: OutboxOptions = {}): { outbox: Outbox; turns: ManualTurns; connect: () => { peer: Peer; socket: FakeSocket } } {
  const turns = new ManualTurns();
  const box: { outbox?: Outbox } = {};
  const turn = new Turn({ write: () => box.outbox!.flush(), schedule: turns.schedule });
  const outbox = new Outbox({ turn, ...opts });
  box.outbox = outbox;
  return {
    outbox,
    turns,
    connect() {
      const socket = new FakeSocket();
      return { peer: outbox.connect(socket, socket), socket };
    },
  };
}

const frame = (channel: string, data: unknown): Buffer => Buffer.from(JSON.stringify({ channel, data }));

describe('Outbox', () => {
  it('writes nothing until the turn runs, then each client its frames of the turn in one write, in order', () => {
    const { outbox, turns, connect } = setup();
    const a = connect();
    const b = connect();
    expect(a.peer.id).not.toBe(b.peer.id);
    outbox.send(a.peer, frame('pong', null), 'pong');
    outbox.sendToAll([a.peer, b.peer], frame('l2Book', 1), 'l2Book');
    outbox.sendToAll([a.peer, b.peer], frame('l2Book', 2), 'l2Book');
    expect(a.socket.writes).toEqual([]);
    expect(turns.waiting).toBe(1);
    turns.run();
    expect(a.socket.writes).toHaveLength(1);
    expect(b.socket.writes).toHaveLength(1);
    expect(a.socket.frames).toEqual([
      { channel: 'pong', data: null },
      { channel: 'l2Book', data: 1 },
      { channel: 'l2Book', data: 2 },
    ]);
    expect(b.socket.frames).toEqual([
      { channel: 'l2Book', data: 1 },
      { channel: 'l2Book', data: 2 },
    ]);
    expect(outbox.unsent(a.peer)).toBe(0);
  });

  it('frames a payload once per flush: clients with the same frames get the very same bytes', () => {
    const { outbox, turns, connect } = setup();
    const peers = [connect(), connect(), connect()];
    const f1 = frame('l2Book', 'x'.repeat(200));
    const f2 = frame('trades', [1, 2]);
    outbox.sendToAll(
      peers.map((p) => p.peer),
      f1,
      'l2Book',
    );
    outbox.sendToAll(
      peers.map((p) => p.peer),
      f2,
      'trades',
    );
    turns.run();
    const [w0, w1, w2] = peers.map((p) => p.socket.writes[0]!);
    expect(w1).toBe(w0);
    expect(w2).toBe(w0);
    expect(w0).toEqual(Buffer.concat([textFrame(f1), textFrame(f2)]));
  });

  it('queues nothing to a closed client, forgets what was queued, and writes nothing to a socket that is closing', () => {
    const { outbox, turns, connect } = setup();
    const gone = connect();
    const closing = connect();
    const open = connect();
    outbox.send(gone.peer, frame('a', 1), 'a');
    outbox.markClosed(gone.peer);
    expect(gone.peer.closed).toBe(true);
    outbox.send(gone.peer, frame('a', 2), 'a');
    closing.socket.readyState = 2;
    outbox.sendToAll([gone.peer, closing.peer, open.peer], frame('b', 3), 'b');
    turns.run();
    expect(gone.socket.writes).toEqual([]);
    expect(closing.socket.writes).toEqual([]);
    expect(open.socket.frames).toEqual([{ channel: 'b', data: 3 }]);
  });

  it('closes a client with 1008 once its unsent output passes the per-client bound, and queues nothing more to it', () => {
    const { outbox, turns, connect } = setup({ maxClientUnsentBytes: 1000 });
    const slow = connect();
    const fine = connect();
    outbox.sendToAll([slow.peer, fine.peer], frame('x', 'y'.repeat(600)), 'x');
    // What the socket has not written is read at the flush.
    slow.socket.bufferedAmount = 700;
    turns.run();
    expect(outbox.unsent(slow.peer)).toBe(700);
    outbox.sendToAll([slow.peer, fine.peer], frame('x', 'z'.repeat(600)), 'x');
    expect(slow.socket.closes).toEqual([{ code: 1008, reason: 'Slow consumer: more than 0 MiB unsent' }]);
    expect(slow.peer.closed).toBe(true);
    turns.run();
    expect(slow.socket.writes).toHaveLength(1);
    expect(fine.socket.writes).toHaveLength(2);
    expect(fine.peer.closed).toBe(false);
  });

  it('drops a client whose socket stays backlogged past the bound at a later flush', () => {
    const { outbox, turns, connect } = setup({ maxClientUnsentBytes: 2 * MIB });
    const c = connect();
    const other = connect();
    outbox.send(c.peer, frame('x', 1), 'x');
    c.socket.bufferedAmount = MIB;
    turns.run();
    expect(outbox.unsent(c.peer)).toBe(MIB);
    c.socket.bufferedAmount = 3 * MIB;
    outbox.send(other.peer, frame('x', 2), 'x');
    turns.run();
    expect(c.socket.closes).toEqual([{ code: 1008, reason: 'Slow consumer: more than 2 MiB unsent' }]);
    expect(other.socket.closes).toEqual([]);
  });

  it('beyond the total bound closes the clients furthest behind first, until under it', () => {
    const { outbox, turns, connect } = setup({ maxClientUnsentBytes: 100 * MIB, maxTotalUnsentBytes: 10 * MIB });
    const peers = [connect(), connect(), connect()];
    const behind = [3, 8, 4];
    peers.forEach((p, i) => {
      outbox.send(p.peer, frame('x', i), 'x');
      p.socket.bufferedAmount = behind[i]! * MIB;
    });
    turns.run();
    expect(peers.map((p) => p.socket.closes.length)).toEqual([0, 1, 0]);
    expect(peers[1]!.socket.closes[0]).toEqual({ code: 1008, reason: 'Server output bound exceeded: 10 MiB unsent to all clients, 8 MiB of it to this one' });
  });

  it('destroys a dropped client that does not finish closing within the grace period, not one that does', async () => {
    const { outbox, connect } = setup({ dropGraceMs: 20 });
    const stuck = connect();
    const polite = connect();
    const terminated = new Promise<void>((resolve) => stuck.socket.once('close', resolve));
    outbox.drop(stuck.peer, 1008, 'Rate limit exceeded', 'rate_limit');
    outbox.drop(polite.peer, 1008, 'Rate limit exceeded', 'rate_limit');
    outbox.drop(polite.peer, 1008, 'again', 'rate_limit');
    expect(polite.socket.closes).toEqual([{ code: 1008, reason: 'Rate limit exceeded' }]);
    polite.socket.closed();
    await terminated;
    expect(stuck.socket.terminated).toBe(true);
    expect(polite.socket.terminated).toBe(false);
  });

  it('terminate destroys at once; ping pings only open clients', () => {
    const { outbox, connect } = setup();
    const a = connect();
    const b = connect();
    outbox.ping(a.peer);
    outbox.terminate(b.peer, 'timeout');
    outbox.ping(b.peer);
    expect([a.socket.pings, b.socket.pings]).toEqual([1, 0]);
    expect(b.socket.terminated).toBe(true);
    expect(b.peer.closed).toBe(true);
  });

  it('shutdown closes with 1001 and resolves when the socket has closed (at once when it already has)', async () => {
    const { outbox, connect } = setup();
    const a = connect();
    const done = connect();
    done.socket.readyState = done.socket.CLOSED;
    await outbox.shutdown(done.peer);
    let resolved = false;
    const p = outbox.shutdown(a.peer).then(() => (resolved = true));
    expect(a.socket.closes).toEqual([{ code: 1001, reason: 'Server shutting down' }]);
    expect(a.peer.closed).toBe(true);
    await Promise.resolve();
    expect(resolved).toBe(false);
    a.socket.closed();
    await p;
    expect(resolved).toBe(true);
  });

  it('with compression hands each frame to ws inside one cork', () => {
    const { outbox, turns, connect } = setup({ compress: true });
    const a = connect();
    outbox.send(a.peer, frame('a', 1), 'a');
    outbox.send(a.peer, frame('b', 2), 'b');
    turns.run();
    expect(a.socket.corked).toBe(1);
    expect(a.socket.writes).toEqual([]);
    expect(a.socket.frames).toEqual([
      { channel: 'a', data: 1 },
      { channel: 'b', data: 2 },
    ]);
  });
});

describe('Turn', () => {
  it('runs prepare then write once per turn; frames prepare queues leave in the same write', () => {
    const turns = new ManualTurns();
    const order: string[] = [];
    const box: { outbox?: Outbox; peer?: Peer } = {};
    const turn = new Turn({
      prepare: () => {
        order.push('prepare');
        box.outbox!.send(box.peer!, frame('late', 1), 'late');
      },
      write: () => {
        order.push('write');
        box.outbox!.flush();
      },
      schedule: turns.schedule,
    });
    const outbox = new Outbox({ turn });
    box.outbox = outbox;
    const socket = new FakeSocket();
    box.peer = outbox.connect(socket, socket);
    outbox.send(box.peer, frame('early', 0), 'early');
    turn.request();
    turn.request();
    expect(turns.waiting).toBe(1);
    turns.run();
    expect(order).toEqual(['prepare', 'write']);
    expect(socket.writes).toHaveLength(1);
    expect(socket.frames.map((f) => f.channel)).toEqual(['early', 'late']);
  });
});

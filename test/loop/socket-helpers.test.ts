// The awaitable socket helpers on socketpairs and on loopback TCP (127.0.0.1).
import { afterEach, describe, expect, it } from 'vitest';
import { PosixError } from '../../src/errors.js';
import { EventLoop } from '../../src/loop/event-loop.js';
import { connect } from '../../src/sources/tcp/connect.js';
import { listen, type Listener } from '../../src/sources/tcp/listener.js';
import type { TcpSocket } from '../../src/sources/tcp/tcp-socket.js';
import { closeKept, expectTableEmptyAfterEach, keep, pair, text } from '../helpers.js';
import { closedPort, pattern, receiveAtLeast } from '../sources/tcp-helpers.js';
import { RecordingSelector, newLoop, runWithin } from './loop-helpers.js';

expectTableEmptyAfterEach();

/** Everything a test keeps, closed after it even if it fails (in reverse order). */
afterEach(closeKept);

/** The code of the PosixError a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(PosixError);
  return (error as PosixError).code;
}

/** Reads until EOF with sockRecvInto, in reads of at most `step` bytes. */
async function recvAll(loop: EventLoop, sock: { fileno(): number; recvInto(buf: Uint8Array): number | null }, step: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(step);
  for (;;) {
    const n = await loop.sockRecvInto(sock, buf);
    if (n === 0) break;
    chunks.push(buf.slice(0, n));
  }
  return Buffer.concat(chunks);
}

/**
 * Every helper is done with its socket: no reader or writer is left on any registered file
 * object, and once the loop has turned (a completed helper's registration lasts until the loop's
 * next select) the loop's wakeup fd is the only registration left.
 */
async function expectNoWatchers(loop: EventLoop, selector: RecordingSelector): Promise<void> {
  for (const key of selector.getMap()!.values()) {
    if (typeof key.fileobj === 'object') {
      expect(loop.removeReader(key.fileobj)).toBe(false);
      expect(loop.removeWriter(key.fileobj)).toBe(false);
    }
  }
  await runWithin(loop, new Promise<void>((resolve) => loop.callSoon(resolve)));
  expect(selector.getMap()!.size).toBe(1);
}

/** A sockRecv on `to` that has to wait, completed by a send from `from` while the loop runs. */
async function receiveOneWaiting(loop: EventLoop, from: { send(data: string): number }, to: { fileno(): number; recv(n: number): Uint8Array | null }, message: string): Promise<void> {
  const pending = loop.sockRecv(to, 100);
  loop.callSoon(() => from.send(message));
  expect(text(await runWithin(loop, pending))).toBe(message);
}

describe('socket helpers on a socketpair', () => {
  it('sockRecv: at once when data is buffered (no loop needed), else once it arrives; empty at EOF', async () => {
    const { loop, selector } = newLoop();
    const [a, b] = pair();
    a.send('ready');
    expect(text(await loop.sockRecv(b, 100))).toBe('ready');
    const pending = loop.sockRecv(b, 3);
    expect(selector.getKey(b)).toBeDefined();
    loop.callLater(1, () => a.send('later'));
    expect(text(await runWithin(loop, pending))).toBe('lat');
    await expectNoWatchers(loop, selector);
    expect(text(await loop.sockRecv(b, 100))).toBe('er');
    const eof = loop.sockRecv(b, 100);
    loop.callSoon(() => a.close());
    expect(await runWithin(loop, eof)).toEqual(new Uint8Array(0));
    await expectNoWatchers(loop, selector);
  });

  it('sockRecvInto: the count, 0 at EOF', async () => {
    const { loop } = newLoop();
    const [a, b] = pair();
    const buf = new Uint8Array(4);
    const pending = loop.sockRecvInto(b, buf);
    loop.callSoon(() => a.send('abcdef'));
    expect(await runWithin(loop, pending)).toBe(4);
    expect(text(buf)).toBe('abcd');
    a.shutdown(1);
    expect(await loop.sockRecvInto(b, buf)).toBe(2);
    expect(await loop.sockRecvInto(b, buf)).toBe(0);
  });

  it("sockRecv rejects with the socket's error: ECONNRESET when the peer closes with unread data", async () => {
    const { loop, selector } = newLoop();
    const [a, b] = pair();
    const pending = loop.sockRecv(b, 10);
    loop.callSoon(() => {
      b.send('never read by a');
      a.close();
    });
    expect(await runWithin(loop, rejection(pending))).toBe('ECONNRESET');
    await expectNoWatchers(loop, selector);
    // Errors of the first attempt reject too (EBADF on a closed socket).
    b.close();
    expect(await rejection(loop.sockRecv(b, 10))).toBe('EBADF');
  });

  it('sockSendall with a small buffer: partial sends wait for room, and every byte arrives in order', async () => {
    const { loop, selector } = newLoop();
    const [a, b] = pair(1000);
    const data = pattern(100_000, 3);
    let settled = false;
    const sending = loop.sockSendall(a, data).then(() => {
      settled = true;
      a.shutdown(1);
    });
    // The first send took at most 1000 bytes: the rest waits for the loop.
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(selector.getKey(a).events).toBe(2);
    const received = recvAll(loop, b, 333);
    const [, got] = await runWithin(loop, Promise.all([sending, received]));
    expect(Buffer.compare(got, data)).toBe(0);
    await expectNoWatchers(loop, selector);
  });

  it('sockSendall: at once when it all fits; strings as UTF-8; EPIPE when the peer is gone', async () => {
    const { loop } = newLoop();
    const [a, b] = pair();
    await loop.sockSendall(a, 'héllo');
    expect(text(b.recv(100))).toBe('héllo');
    await loop.sockSendall(a, new Uint8Array(0));
    b.close();
    expect(await rejection(loop.sockSendall(a, 'x'))).toBe('EPIPE');
    expect(await rejection(loop.sockSendall(a, ''))).toBe('EPIPE');
  });

  it('a completed helper leaves its registration until the next select: a handler that reads and replies registers its socket once', async () => {
    const { loop, selector } = newLoop();
    const [a, b] = pair();
    const handler = (async () => {
      for (let i = 0; i < 20; i++) {
        const data = await loop.sockRecv(b, 100);
        await loop.sockSendall(b, data);
      }
    })();
    const client = (async () => {
      for (let i = 0; i < 20; i++) {
        await loop.sockSendall(a, `ping ${i}`);
        expect(text(await loop.sockRecv(a, 100))).toBe(`ping ${i}`);
      }
    })();
    await runWithin(loop, Promise.all([handler, client]));
    // Each side registered once, not once per message; neither has a reader or writer now.
    expect(selector.registers - 1).toBeLessThanOrEqual(2); // the wakeup fd's own register is the 1
    expect(loop.removeReader(b)).toBe(false);
    expect(loop.removeWriter(b)).toBe(false);
    await expectNoWatchers(loop, selector);
    expect(selector.unregisters).toBe(selector.registers - 1);
  });

  it('addReader on a socket whose completed helper left its registration: the reader runs, the registration is reused', async () => {
    const { loop, selector } = newLoop();
    const [a, b] = pair();
    await receiveOneWaiting(loop, a, b, 'one');
    const registers = selector.registers;
    const got = new Promise<string>((resolve) => {
      loop.addReader(b, () => {
        loop.removeReader(b);
        resolve(text(b.recv(100)) ?? '');
      });
    });
    a.send('two');
    expect(await runWithin(loop, got)).toBe('two');
    expect(selector.registers).toBe(registers);
    await expectNoWatchers(loop, selector);
  });

  it("a socket closed after its helper completed: a new socket with the same fd number waits and reads (the stale registration is dropped)", async () => {
    const { loop, selector } = newLoop();
    const [a, b] = pair();
    await receiveOneWaiting(loop, a, b, 'old');
    const oldFd = b.fileno();
    a.close();
    b.close(); // before the loop turns: its registration is still in the selector
    const [c, d] = pair();
    expect([c.fileno(), d.fileno()]).toContain(oldFd);
    const reader = c.fileno() === oldFd ? c : d;
    const writer = reader === c ? d : c;
    const pending = loop.sockRecv(reader, 100);
    loop.callSoon(() => writer.send('new'));
    expect(text(await runWithin(loop, pending))).toBe('new');
    await expectNoWatchers(loop, selector);
  });

  it('a completed helper whose socket is closed before the loop turns leaves nothing behind', async () => {
    const { loop, selector } = newLoop();
    const [a, b] = pair();
    await receiveOneWaiting(loop, a, b, 'x');
    b.close();
    await expectNoWatchers(loop, selector);
  });

  it('a second sockRecv on a socket that already has one waiting is refused (RuntimeError)', async () => {
    const { loop } = newLoop();
    const [a, b] = pair();
    const first = loop.sockRecv(b, 10);
    const second = await loop.sockRecv(b, 10).then(() => undefined, (e: Error) => e);
    expect(second?.name).toBe('RuntimeError');
    expect(second?.message).toBe(`sockRecv: fd ${b.fileno()} already has a reader (sockRecv)`);
    a.send('x');
    expect(text(await runWithin(loop, first))).toBe('x');
  });

  it('a helper on a closed loop rejects with RuntimeError once it would have to wait', async () => {
    const { loop } = newLoop();
    const [a, b] = pair();
    loop.close();
    a.send('buffered');
    expect(text(await loop.sockRecv(b, 100))).toBe('buffered'); // no wait needed
    const error = await loop.sockRecv(b, 100).then(() => undefined, (e: Error) => e);
    expect(error?.name).toBe('RuntimeError');
  });
});

describe('socket helpers on loopback TCP', () => {
  async function listener(options?: Parameters<typeof listen>[0]): Promise<Listener> {
    return keep(await listen(options));
  }

  it('sockAccept and sockConnect({ host, port }) meet; an echo round trip with sockSendall and sockRecv', async () => {
    const { loop, selector } = newLoop();
    const server = await listener();
    const { port } = server.address();
    const serve = async (): Promise<void> => {
      const conn = keep(await loop.sockAccept(server));
      for (;;) {
        const data = await loop.sockRecv(conn, 65536);
        if (data.length === 0) break;
        await loop.sockSendall(conn, new TextEncoder().encode(new TextDecoder().decode(data).toUpperCase()));
      }
      conn.close();
    };
    const client = async (): Promise<string> => {
      const sock = keep(await loop.sockConnect({ host: '127.0.0.1', port }));
      expect(sock.remoteAddress().port).toBe(port);
      await loop.sockSendall(sock, 'hello, loop');
      sock.shutdown(1);
      return text(await recvAll(loop, sock, 4))!;
    };
    const [, reply] = await runWithin(loop, Promise.all([serve(), client()]));
    expect(reply).toBe('HELLO, LOOP');
    await expectNoWatchers(loop, selector);
  });

  it('sockConnect(sock) waits for a connection started by connect(), and resolves with the same socket', async () => {
    const { loop } = newLoop();
    const server = await listener();
    const sock = keep(connect({ port: server.address().port }));
    const accepted = loop.sockAccept(server).then(keep);
    expect(await runWithin(loop, loop.sockConnect(sock))).toBe(sock);
    await runWithin(loop, accepted);
    // Already connected: at once.
    expect(await runWithin(loop, loop.sockConnect(sock))).toBe(sock);
  });

  it('sockConnect to a closed port rejects with ECONNREFUSED (read with getError) and closes the socket it made', async () => {
    const { loop, selector } = newLoop();
    const port = await closedPort();
    expect(await runWithin(loop, rejection(loop.sockConnect({ port })))).toBe('ECONNREFUSED');
    await expectNoWatchers(loop, selector);
    // The socket form leaves the socket to its owner, its error read (SO_ERROR) but kept in `error`.
    const sock = keep(connect({ port }));
    expect(await runWithin(loop, rejection(loop.sockConnect(sock)))).toBe('ECONNREFUSED');
    expect(sock.closed).toBe(false);
    expect(sock.getError()).toBeNull();
    expect(sock.error).toBe('ECONNREFUSED');
    // Bad arguments reject at once.
    expect(await rejection(loop.sockConnect({ host: 'example.invalid', port }))).toBe('EINVAL');
  });

  it('sockSendall with a small send buffer: partial sends, 1 MiB intact at the peer', async () => {
    const { loop, selector } = newLoop();
    const server = await listener({ receiveCapacity: 8192 });
    const data = pattern(1 << 20, 5);
    const accepted = loop.sockAccept(server).then(keep);
    const sock = keep(await runWithin(loop, loop.sockConnect({ port: server.address().port, sendCapacity: 4096 })));
    const conn = await runWithin(loop, accepted);
    let partial = false;
    const sending = loop.sockSendall(sock, data).then(() => sock.shutdown(1));
    await Promise.resolve();
    partial = selector.getMap()!.has(sock); // the first send did not take it all: a writer waits
    const [, got] = await runWithin(loop, Promise.all([sending, recvAll(loop, conn, 7000)]));
    expect(partial).toBe(true);
    expect(got.length).toBe(data.length);
    expect(Buffer.compare(got, data)).toBe(0);
    await expectNoWatchers(loop, selector);
  });

  it('sockRecv rejects with ECONNRESET when the peer resets the connection', async () => {
    const { loop, selector } = newLoop();
    const server = await listener();
    const accepted = loop.sockAccept(server).then(keep);
    const sock = keep(await runWithin(loop, loop.sockConnect({ port: server.address().port })));
    const conn: TcpSocket = await runWithin(loop, accepted);
    // sock holds a byte it never reads when it closes: Linux's tcp_close then resets the connection.
    conn.send('?');
    await receiveAtLeast(sock, 1);
    const pending = loop.sockRecv(conn, 100);
    loop.callSoon(() => sock.close());
    expect(await runWithin(loop, rejection(pending))).toBe('ECONNRESET');
    await expectNoWatchers(loop, selector);
  });

  it('a busy loop (a callSoon chain that never ends) still lets Node carry TCP I/O: connect, accept, a round trip', async () => {
    const { loop } = newLoop();
    const server = await listener();
    let spins = 0;
    const spin = (): void => {
      if (++spins < 1_000_000) loop.callSoon(spin); // bounded: a starved Node would end the chain here
    };
    loop.callSoon(spin);
    const exchange = async (): Promise<string> => {
      const accepted = loop.sockAccept(server).then(keep);
      const sock = keep(await loop.sockConnect({ port: server.address().port }));
      const conn = await accepted;
      await loop.sockSendall(sock, 'ping');
      await loop.sockSendall(conn, text(await loop.sockRecv(conn, 10))!.toUpperCase());
      return text(await loop.sockRecv(sock, 10))!;
    };
    expect(await runWithin(loop, exchange())).toBe('PING');
    expect(spins).toBeLessThan(1_000_000);
  });

  it('sockAccept: at once when a connection is queued', async () => {
    const { loop } = newLoop();
    const server = await listener();
    const sock = keep(connect({ port: server.address().port }));
    await runWithin(loop, loop.sockConnect(sock));
    // The listener has it queued (or will, in the loop): either way sockAccept gives it.
    const conn = keep(await runWithin(loop, loop.sockAccept(server)));
    expect(conn.remoteAddress().port).toBe(sock.localAddress().port);
  });
});

// More socket paths of the WASI host, each from the preview1 witx and POSIX semantics, with
// AssemblyScript guests and node:net clients on 127.0.0.1: several subscriptions on one fd in
// one poll_oneoff, sock_shutdown SHUT_RD, a connection reset by the peer, fd_renumber of an
// accepted socket, and accept when every socket slot is taken (maxSockets).
//
// Each guest records u32 values (errnos, lengths, event fields) and writes them to stdout at the
// end; the test decodes them in order. Guests and clients synchronise through the bytes they send
// each other (no sleeps); every poll_oneoff that may wait has a 5 s clock, and a test whose guest
// is stuck destroys its clients and keeps connecting throwaway ones so that the guest runs to its
// end (and its worker is ended) with values that fail the assertions.
import { closeSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWasi, type RunWasiOptions } from '../../src/index.js';
import { guestsForFile, readText } from './guest-helpers.js';

// wasi errno values (witx `errno`): BADF 8, CONNRESET 15, MFILE 33, NOTCONN 53, PIPE 64.
const EBADF = 8;
const ECONNRESET = 15;
const EMFILE = 33;
const ENOTCONN = 53;
const EPIPE = 64;
const FD_READ = 1;
const FD_WRITE = 2;
const HANGUP = 1;
const RING = 4096;
/** Userdata base: the high word checks that all 64 bits come back. */
const UD_HIGH = 0x11223344;

const HELPERS = `
const UD: u64 = 0x1122334400000000;
const MSG = memory.data(64);
/** Appends a u32 to the report. */
function r(v: u32): void {
  store<u32>(REPORT + reportLen, v);
  reportLen += 4;
}
/** A relative MONOTONIC clock of 5 s: a poll that should not wait that long reports it. */
function subTimeout(i: u32): void {
  const at = SUBS + 48 * i;
  memory.fill(at, 0, 48);
  store<u64>(at, UD + 0xdead);
  store<u8>(at + 8, 0);
  store<u32>(at + 16, 1);
  store<u64>(at + 24, 5000000000);
}
/** poll_oneoff over the first n subscriptions; records errno, nevents, then per event userdata (low, high), error, type, nbytes, flags. */
function poll(n: u32): void {
  const e = poll_oneoff(SUBS, EVENTS, n, OUT);
  r(e);
  const got = e == 0 ? load<u32>(OUT) : 0;
  r(got);
  for (let i: u32 = 0; i < got; i++) {
    const ev = EVENTS + 32 * i;
    r(<u32>load<u64>(ev));
    r(<u32>(load<u64>(ev) >> 32));
    r(load<u16>(ev + 8));
    r(load<u8>(ev + 10));
    r(<u32>load<u64>(ev + 16));
    r(load<u16>(ev + 24));
  }
}
/** sock_accept on the listener (fd 3): records errno and the new fd; returns the fd. */
function accept(): u32 {
  store<u32>(OUT2, 0xffffffff);
  r(sock_accept(3, 0, OUT2));
  const fd = load<u32>(OUT2);
  r(fd);
  return fd;
}
/** sock_recv of up to len bytes into BUF: records errno and length. */
function recv(fd: u32, len: u32, flags: u32): void {
  store<u32>(OUT, 0xffffffff);
  r(sock_recv(fd, iov(BUF, len), 1, flags, OUT, SCRATCH));
  r(load<u32>(OUT));
}
/** sock_send of one byte: records errno and length. */
function send1(fd: u32, byte: u8): void {
  store<u8>(MSG, byte);
  store<u32>(OUT, 0xffffffff);
  r(sock_send(fd, iov(MSG, 1), 1, 0, OUT));
  r(load<u32>(OUT));
}
/** sock_send of 4 bytes (a u32, little-endian): records errno and length. */
function send4(fd: u32, bytes: u32): void {
  store<u32>(MSG, bytes);
  store<u32>(OUT, 0xffffffff);
  r(sock_send(fd, iov(MSG, 4), 1, 0, OUT));
  r(load<u32>(OUT));
}
`;

/** A guest: HELPERS, then _start running `body` and writing the report to stdout. */
const guest = (body: string): string => `${HELPERS}
export function _start(): void {${body}  fd_write(1, iov(REPORT, reportLen), 1, OUT);
}`;

const SOURCES = {
  // 1. Several subscriptions on one socket in one poll_oneoff.
  multi: guest(`
  const a = accept();
  recv(a, 3, 3); // PEEK|WAITALL: waits until "abc" is all in the ring, consumes nothing
  // Readable twice and writable: three events.
  sub(0, UD + 1, 1, a); sub(1, UD + 2, 1, a); sub(2, UD + 3, 2, a);
  poll(3);
  recv(a, 3, 0);
  // Nothing to read: only the write subscription, between the two reads, fires.
  sub(0, UD + 4, 1, a); sub(1, UD + 5, 2, a); sub(2, UD + 6, 1, a);
  poll(3);
  // The client sends "defg" on this byte: the guest sleeps on two reads of the same fd.
  send1(a, 0x21);
  sub(0, UD + 7, 1, a); sub(1, UD + 8, 1, a); subTimeout(2);
  poll(3);
  recv(a, 16, 0);
  // The client ends on this byte: EOF, then both reads report the hangup, the write room.
  send1(a, 0x22);
  recv(a, 16, 0);
  sub(0, UD + 10, 1, a); sub(1, UD + 11, 2, a); sub(2, UD + 12, 1, a);
  poll(3);
  r(fd_close(a));
`),
  // 2. SHUT_RD: reads see EOF even when the peer sends more; sending still works.
  shutRd: guest(`
  const a = accept();
  const b = accept(); // the control connection
  recv(a, 5, 2); // WAITALL "hello"
  r(sock_shutdown(a, 1));
  send1(a, 0x31); // the client sends "more" on a, then "g" on b
  recv(b, 1, 0);
  recv(a, 16, 0);
  store<u32>(OUT, 0xffffffff);
  r(fd_read(a, iov(BUF, 16), 1, OUT));
  r(load<u32>(OUT));
  sub(0, UD + 1, 1, a); subTimeout(1);
  poll(2);
  recv(a, 16, 2); // WAITALL does not wait either
  send4(a, 0x72657466); // "fter"
  recv(b, 1, 0); // the client has received "1fter"
  r(fd_close(a));
  r(fd_close(b));
`),
  // 3. A connection reset by the peer after the guest has read something.
  reset: guest(`
  const a = accept();
  recv(a, 5, 2); // WAITALL "hello"
  send1(a, 0x6b); // the client writes "tail", then resets the connection
  recv(a, 4, 2); // the bytes received before the reset come first
  r(load<u32>(BUF));
  sub(0, UD + 1, 1, a); subTimeout(1);
  poll(2); // waits for the reset
  sub(0, UD + 2, 2, a);
  poll(1);
  recv(a, 16, 0); // ECONNRESET, once
  recv(a, 16, 0); // then EOF
  sub(0, UD + 3, 1, a); sub(1, UD + 4, 2, a);
  poll(2);
  send1(a, 0x78);
  r(sock_shutdown(a, 2));
  r(fd_close(a));
`),
  // 4. fd_renumber of an accepted socket onto another socket's number.
  renumber: guest(`
  const a = accept(); // 4
  const b = accept(); // 5
  r(fd_renumber(a, b));
  recv(a, 16, 0);
  send1(a, 0x41);
  r(fd_fdstat_get(a, SCRATCH));
  r(fd_close(a));
  sub(0, UD + 1, 1, a);
  poll(1);
  r(fd_fdstat_get(b, SCRATCH));
  r(load<u8>(SCRATCH));
  recv(b, 4, 2); // "ping" from the first client, under the second's number
  r(load<u32>(BUF));
  send4(b, 0x676e6f70); // "pong"
  const c = accept(); // the test connects once the second client has seen its EOF
  send1(c, 0x63);
  r(fd_close(b));
  r(fd_close(c));
`),
  // 5. maxSockets 3: the listener and two connections; a third waits until one is closed.
  exhaust: guest(`
  const a = accept();
  const b = accept();
  store<u32>(OUT2, 0xffffffff);
  r(sock_accept(3, 0, OUT2)); // blocks until the third connection is queued: EMFILE
  r(load<u32>(OUT2));
  r(fd_fdstat_get(6, SCRATCH)); // the number tried for it was given back
  sub(0, UD + 1, 1, 3);
  poll(1); // the connection is still queued
  r(fd_fdstat_set_flags(3, 4));
  r(sock_accept(3, 0, OUT2)); // non-blocking: still EMFILE, not EAGAIN
  recv(a, 1, 0);
  r(load<u8>(BUF));
  r(fd_close(a));
  const c = accept();
  recv(c, 1, 0);
  r(load<u8>(BUF));
  recv(b, 1, 0);
  r(load<u8>(BUF));
  send1(c, 0x6f);
  r(fd_close(b));
  r(fd_close(c));
`),
};

const guests = guestsForFile(SOURCES, 'wasmux-more-sock-');

/** The guest's report, read in order. */
class Report {
  #at = 0;
  constructor(readonly bytes: Buffer) {}
  next(): number {
    if (this.#at + 4 > this.bytes.length) return -1;
    const v = this.bytes.readUInt32LE(this.#at);
    this.#at += 4;
    return v;
  }
  /** poll(): errno, then the events as objects (userdata relative to UD when its high word is UD's). */
  poll(): { errno: number; events: Array<{ ud: number; error: number; type: number; nbytes: number; flags: number }> } {
    const errno = this.next();
    const n = this.next();
    const events: Array<{ ud: number; error: number; type: number; nbytes: number; flags: number }> = [];
    for (let i = 0; i < n && i < 40; i++) {
      const lo = this.next();
      const hi = this.next();
      events.push({ ud: hi === UD_HIGH ? lo : -1, error: this.next(), type: this.next(), nbytes: this.next(), flags: this.next() });
    }
    // The spec does not order the events: compare them by userdata.
    events.sort((x, y) => x.ud - y.ud);
    return { errno, events };
  }
  get done(): boolean {
    return this.#at === this.bytes.length;
  }
}

/** A client whose received bytes can be awaited. */
class Client {
  readonly socket: Socket;
  /** The client itself, once connected. */
  readonly connected: Promise<Client>;
  readonly ended: Promise<void>;
  received: Buffer = Buffer.alloc(0);
  error: Error | undefined;
  #waiters: Array<() => void> = [];

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.connected = new Promise((resolve) => this.socket.once('connect', () => resolve(this)));
    this.ended = new Promise((resolve) => {
      this.socket.once('end', () => resolve());
      this.socket.once('close', () => resolve());
    });
    this.socket.on('error', (error) => {
      this.error = error;
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.socket.on('close', () => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Resolves once `n` bytes in all have arrived (or the connection is closed). */
  async bytes(n: number): Promise<Buffer> {
    while (this.received.length < n && !this.socket.destroyed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.received;
  }
}

/**
 * Runs guest `name` with one listener while `drive` plays its clients (`client()` connects one).
 * Then checks, in this order: exit code 0, `drive` succeeded, `check` on the report, the report
 * read to its end, and no rescue. If the guest has not ended after 10 s (a bug left it waiting),
 * the clients are destroyed and throwaway connections keep coming, so that every blocking call
 * returns and the guest exits; a rescued guest fails whatever it reported.
 */
async function run(
  name: string,
  drive: (client: () => Client, clients: readonly Client[]) => Promise<void>,
  check: (rep: Report) => void,
  options: RunWasiOptions = {},
): Promise<void> {
  const outPath = join(guests.work, `${name}.out`);
  const fd = openSync(outPath, 'w');
  const clients: Client[] = [];
  let port = 0;
  let driven: Promise<void> = Promise.resolve();
  let rescue: ReturnType<typeof setInterval> | undefined;
  let rescued = false;
  const watchdog = setTimeout(() => {
    rescued = true;
    for (const c of clients) c.socket.destroy();
    rescue = setInterval(() => {
      const s = connect({ host: '127.0.0.1', port });
      s.on('error', () => {});
      s.on('connect', () => s.destroy());
    }, 50);
  }, 10_000);
  const client = (): Client => {
    const c = new Client(port);
    clients.push(c);
    return c;
  };
  let exitCode: number;
  let report: Report;
  try {
    ({ exitCode } = await runWasi(guests.path(name), {
      ...options,
      listen: [{ host: '127.0.0.1', port: 0 }],
      stdout: fd,
      stderr: fd,
      onListening: ([address]) => {
        port = address!.port;
        driven = drive(client, clients);
        driven.catch(() => {});
      },
    }));
    report = new Report(Buffer.from(await readText(outPath), 'latin1'));
  } finally {
    clearTimeout(watchdog);
    if (rescue) clearInterval(rescue);
    closeSync(fd);
    for (const c of clients) c.socket.destroy();
  }
  expect(exitCode).toBe(0);
  await driven;
  check(report);
  expect(report.done).toBe(true);
  expect(rescued, 'the guest ran to its end without the watchdog').toBe(false);
}

const ev = (ud: number, type: number, nbytes: number, flags = 0, error = 0) => ({ ud, error, type, nbytes, flags });

describe('more socket paths', () => {
  it('poll_oneoff: several subscriptions on one fd each get their own event and userdata', async () => {
    await run('multi', async (client) => {
      const c = client();
      c.socket.write('abc');
      await c.bytes(1);
      c.socket.write('defg');
      await c.bytes(2);
      c.socket.end();
      await c.ended;
    }, (rep) => {
      expect([rep.next(), rep.next()], 'accept').toEqual([0, 4]);
      expect([rep.next(), rep.next()], 'recv PEEK|WAITALL 3').toEqual([0, 3]);
      expect(rep.poll(), 'read, read, write: three events').toEqual({
        errno: 0, events: [ev(1, FD_READ, 3), ev(2, FD_READ, 3), ev(3, FD_WRITE, RING)],
      });
      expect([rep.next(), rep.next()], 'recv 3').toEqual([0, 3]);
      expect(rep.poll(), 'nothing to read: only the write subscription').toEqual({
        errno: 0, events: [ev(5, FD_WRITE, RING)],
      });
      expect([rep.next(), rep.next()], 'send').toEqual([0, 1]);
      expect(rep.poll(), 'asleep on two reads of one fd: both wake with their userdata').toEqual({
        errno: 0, events: [ev(7, FD_READ, 4), ev(8, FD_READ, 4)],
      });
      expect([rep.next(), rep.next()], 'recv "defg"').toEqual([0, 4]);
      expect([rep.next(), rep.next()], 'send').toEqual([0, 1]);
      expect([rep.next(), rep.next()], 'recv at EOF').toEqual([0, 0]);
      expect(rep.poll(), 'at EOF: both reads with the hangup flag, the write with its room').toEqual({
        errno: 0, events: [ev(10, FD_READ, 0, HANGUP), ev(11, FD_WRITE, RING), ev(12, FD_READ, 0, HANGUP)],
      });
      expect(rep.next(), 'fd_close').toBe(0);
    }, { ringBytes: RING });
  });

  it('sock_shutdown SHUT_RD: recv then sees EOF even when the peer sends more; sending still works', async () => {
    let peerGot: Buffer = Buffer.alloc(0);
    let controlEnded = false;
    await run('shutRd', async (client) => {
      const a = await client().connected;
      const b = await client().connected;
      a.socket.write('hello');
      await a.bytes(1); // "1": the guest has shut down its reading side
      a.socket.write('more');
      b.socket.write('g');
      peerGot = await a.bytes(5);
      b.socket.write('z');
      await b.ended;
      controlEnded = true;
    }, (rep) => {
      expect(controlEnded).toBe(true);
      expect([rep.next(), rep.next(), rep.next(), rep.next()], 'accepts').toEqual([0, 4, 0, 5]);
      expect([rep.next(), rep.next()], 'recv "hello"').toEqual([0, 5]);
      expect(rep.next(), 'sock_shutdown SHUT_RD').toBe(0);
      expect([rep.next(), rep.next()], 'send after SHUT_RD').toEqual([0, 1]);
      expect([rep.next(), rep.next()], 'recv on the control connection').toEqual([0, 1]);
      expect([rep.next(), rep.next()], 'sock_recv after SHUT_RD, with "more" sent by the peer: EOF').toEqual([0, 0]);
      expect([rep.next(), rep.next()], 'fd_read after SHUT_RD: EOF').toEqual([0, 0]);
      expect(rep.poll(), 'poll FD_READ: ready at once with the hangup flag').toEqual({
        errno: 0, events: [ev(1, FD_READ, 0, HANGUP)],
      });
      expect([rep.next(), rep.next()], 'sock_recv WAITALL after SHUT_RD: EOF').toEqual([0, 0]);
      expect([rep.next(), rep.next()], 'send 4 bytes after SHUT_RD').toEqual([0, 4]);
      expect([rep.next(), rep.next()], 'recv on the control connection').toEqual([0, 1]);
      expect([rep.next(), rep.next()], 'fd_close both').toEqual([0, 0]);
    });
    expect(peerGot.toString('latin1'), 'the peer received what the guest sent after SHUT_RD').toBe('1fter');
  });

  it('a connection reset by the peer: buffered bytes, then ECONNRESET once, then EOF; poll reports the error', async () => {
    await run('reset', async (client) => {
      const a = client();
      a.socket.write('hello');
      await a.bytes(1); // "k": the guest has read "hello"
      await new Promise<void>((resolve, reject) => a.socket.write('tail', (error) => (error ? reject(error) : resolve())));
      a.socket.resetAndDestroy();
    }, (rep) => {
      expect([rep.next(), rep.next()], 'accept').toEqual([0, 4]);
      expect([rep.next(), rep.next()], 'recv "hello"').toEqual([0, 5]);
      expect([rep.next(), rep.next()], 'send').toEqual([0, 1]);
      expect([rep.next(), rep.next()], 'recv WAITALL 4: the bytes sent before the reset').toEqual([0, 4]);
      expect(Buffer.from(Uint32Array.of(rep.next()).buffer).toString('latin1')).toBe('tail');
      // docs/wasi.md: "A pending socket error is the event's `error`".
      const read = rep.poll();
      expect(read.errno).toBe(0);
      expect(read.events.map((e) => [e.ud, e.type, e.error]), 'poll FD_READ after the reset').toEqual([[1, FD_READ, ECONNRESET]]);
      const write = rep.poll();
      expect(write.errno).toBe(0);
      expect(write.events.map((e) => [e.ud, e.type, e.error]), 'poll FD_WRITE after the reset').toEqual([[2, FD_WRITE, ECONNRESET]]);
      expect(rep.next(), 'sock_recv: ECONNRESET').toBe(ECONNRESET);
      rep.next();
      expect([rep.next(), rep.next()], 'sock_recv again: EOF (the error is reported once)').toEqual([0, 0]);
      expect(rep.poll(), 'poll after the error was taken: hangup both ways, no error').toEqual({
        errno: 0, events: [ev(3, FD_READ, 0, HANGUP), ev(4, FD_WRITE, 0, HANGUP)],
      });
      expect(rep.next(), 'sock_send after the reset: EPIPE').toBe(EPIPE);
      rep.next();
      expect(rep.next(), 'sock_shutdown of a reset connection: ENOTCONN').toBe(ENOTCONN);
      expect(rep.next(), 'fd_close').toBe(0);
    });
  });

  it('fd_renumber of an accepted socket: it keeps working under the new number, the old one is EBADF', async () => {
    let aGot: Buffer = Buffer.alloc(0);
    let bGot: Buffer = Buffer.alloc(1);
    let cGot: Buffer = Buffer.alloc(0);
    await run('renumber', async (client) => {
      const a = await client().connected;
      const b = await client().connected;
      a.socket.end('ping');
      await b.ended; // the socket renumbered over was closed
      bGot = b.received;
      const c = client();
      await Promise.all([a.ended, c.ended]);
      aGot = a.received;
      cGot = c.received;
    }, (rep) => {
      expect([rep.next(), rep.next(), rep.next(), rep.next()], 'accepts').toEqual([0, 4, 0, 5]);
      expect(rep.next(), 'fd_renumber(4, 5)').toBe(0);
      expect(rep.next(), 'sock_recv on 4').toBe(EBADF);
      rep.next();
      expect(rep.next(), 'sock_send on 4').toBe(EBADF);
      rep.next();
      expect(rep.next(), 'fd_fdstat_get on 4').toBe(EBADF);
      expect(rep.next(), 'fd_close on 4').toBe(EBADF);
      expect(rep.poll(), 'poll on 4: an EBADF event').toEqual({ errno: 0, events: [ev(1, FD_READ, 0, 0, EBADF)] });
      expect([rep.next(), rep.next()], 'fd_fdstat_get on 5: a socket').toEqual([0, 6]);
      expect([rep.next(), rep.next()], 'recv WAITALL 4 on 5').toEqual([0, 4]);
      expect(Buffer.from(Uint32Array.of(rep.next()).buffer).toString('latin1'), 'the first client\'s bytes').toBe('ping');
      expect([rep.next(), rep.next()], 'send 4 on 5').toEqual([0, 4]);
      expect([rep.next(), rep.next()], 'a new accept takes the lowest free number').toEqual([0, 4]);
      expect([rep.next(), rep.next()], 'send on it').toEqual([0, 1]);
      expect([rep.next(), rep.next()], 'fd_close both').toEqual([0, 0]);
    });
    expect(aGot.toString('latin1'), 'the first client got the answer sent on the new number').toBe('pong');
    expect(bGot.length, 'the second client got EOF and nothing else').toBe(0);
    expect(cGot.toString('latin1')).toBe('c');
  });

  it('maxSockets: accept is EMFILE while every slot is taken, the connection stays queued, and is accepted once one is closed', async () => {
    let got: string[] = [];
    await run('exhaust', async (client, clients) => {
      for (const id of [1, 2, 3]) {
        const c = await client().connected;
        c.socket.write(Uint8Array.of(id));
      }
      await Promise.all(clients.map((c) => c.ended));
      got = clients.map((c) => c.received.toString('latin1'));
    }, (rep) => {
      expect([rep.next(), rep.next(), rep.next(), rep.next()], 'two accepts').toEqual([0, 4, 0, 5]);
      expect(rep.next(), 'a third: EMFILE').toBe(EMFILE);
      rep.next();
      expect(rep.next(), 'the number tried for it is free again').toBe(EBADF);
      expect(rep.poll(), 'the listener is still readable, one connection queued').toEqual({
        errno: 0, events: [ev(1, FD_READ, 1)],
      });
      expect(rep.next(), 'fd_fdstat_set_flags NONBLOCK').toBe(0);
      expect(rep.next(), 'non-blocking accept: still EMFILE, not EAGAIN').toBe(EMFILE);
      expect([rep.next(), rep.next(), rep.next()], 'recv on the first').toEqual([0, 1, 1]);
      expect(rep.next(), 'fd_close of the first').toBe(0);
      expect([rep.next(), rep.next()], 'accept after the close').toEqual([0, 4]);
      expect([rep.next(), rep.next(), rep.next()], 'it is the third client').toEqual([0, 1, 3]);
      expect([rep.next(), rep.next(), rep.next()], 'recv on the second').toEqual([0, 1, 2]);
      expect([rep.next(), rep.next()], 'send on the third').toEqual([0, 1]);
      expect([rep.next(), rep.next()], 'fd_close both').toEqual([0, 0]);
    }, { maxSockets: 3 });
    expect(got).toEqual(['', '', 'o']);
  });
});

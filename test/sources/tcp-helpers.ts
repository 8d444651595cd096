// Helpers for the TCP tests (the sources', the loop's and the example programs'): waiting on
// readiness with a deadline, connected pairs, whole reads and writes, a refused port. Nothing
// here sleeps: every wait is an Epoll wait that ends on an event or fails the test at its
// deadline.
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe } from 'vitest';
import { Epoll } from '../../src/api/epoll.js';
import { EPOLLET, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRNORM } from '../../src/core/constants.js';
import { connect } from '../../src/sources/tcp/connect.js';
import { setInternals, tcpPaths, type TcpPaths } from '../../src/sources/tcp/net-internals.js';
import { listen, type Listener } from '../../src/sources/tcp/listener.js';
import type { TcpSocketOptions } from '../../src/sources/tcp/options.js';
import type { TcpSocket } from '../../src/sources/tcp/tcp-socket.js';

/** How long any single wait in these tests may take before the test fails. */
export const WAIT_MS = 5000;

/** A TCP socket's levels (tcp_poll): readable, writable, and the receive side finished (readable for the EOF, and RDHUP). */
export const R = EPOLLIN | EPOLLRDNORM;
export const W = EPOLLOUT | EPOLLWRNORM;
export const RSHUT = R | EPOLLRDHUP;

/**
 * Waits until `file` is ready for any bit of `mask` (level-triggered, in an Epoll of its own) and
 * returns the reported mask; throws after `timeoutMs`.
 */
export async function until(file: { fileno(): number }, mask: number, timeoutMs = WAIT_MS): Promise<number> {
  const ep = new Epoll();
  try {
    ep.register(file, mask);
    const events = await ep.poll(timeoutMs);
    if (events.length === 0) throw new Error(`fd ${file.fileno()}: no event in ${mask.toString(16)} within ${timeoutMs} ms`);
    return events[0]![1];
  } finally {
    ep.close();
  }
}

/** Waits for the next report of `file` in `ep` that has a bit of `mask`; throws after `timeoutMs`. */
export async function next(ep: Epoll, file: { fileno(): number }, mask: number, timeoutMs = WAIT_MS): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const left = Math.ceil(deadline - performance.now());
    if (left <= 0) throw new Error(`fd ${file.fileno()}: no event in ${mask.toString(16)} within ${timeoutMs} ms`);
    for (const [fd, events] of await ep.poll(left)) {
      if (fd === file.fileno() && (events & mask) !== 0) return events;
    }
  }
}

export interface Pair {
  listener: Listener;
  /** The connect() end. */
  client: TcpSocket;
  /** The accept() end. */
  server: TcpSocket;
}

/** A listener on 127.0.0.1, a client connected to it and the accepted server end. */
export async function tcpPair(options: { client?: TcpSocketOptions; server?: TcpSocketOptions } = {}): Promise<Pair> {
  const listener = await listen(options.server);
  const client = connect({ port: listener.address().port, ...options.client });
  await until(listener, EPOLLIN);
  const server = listener.accept();
  if (server === null) throw new Error('the listener was readable but accept() returned null');
  await until(client, EPOLLOUT);
  return { listener, client, server };
}

/**
 * Waits until at least n bytes are queued in `socket`, without reading them. (A level-triggered
 * wait would return at once while any byte is queued: an edge-triggered one waits for new data.)
 */
export async function receiveAtLeast(socket: TcpSocket, n: number, timeoutMs = WAIT_MS): Promise<void> {
  const ep = new Epoll();
  try {
    ep.register(socket, EPOLLIN | EPOLLET);
    while (socket.receiveQueued < n) await next(ep, socket, EPOLLIN, timeoutMs);
  } finally {
    ep.close();
  }
}

/** Sends all of data, waiting for OUT whenever the send buffer is full. */
export async function sendAll(socket: TcpSocket, data: Uint8Array): Promise<void> {
  let sent = 0;
  while (sent < data.length) {
    const n = socket.send(data.subarray(sent));
    if (n === 0) await until(socket, EPOLLOUT);
    sent += n;
  }
}

/** Reads exactly n bytes (in reads of at most `step`), waiting for IN; throws at an early EOF. */
export async function recvExactly(socket: TcpSocket, n: number, step = 65536): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const k = socket.recvInto(out.subarray(got, Math.min(n, got + step)));
    if (k === null) await until(socket, EPOLLIN);
    else if (k === 0) throw new Error(`EOF after ${got} of ${n} bytes`);
    else got += k;
  }
  return out;
}

/** Reads until EOF, waiting for IN; returns everything read. */
export async function recvToEof(socket: TcpSocket): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const data = socket.recv(65536);
    if (data === null) {
      await until(socket, EPOLLIN);
    } else if (data.length === 0) {
      break;
    } else {
      parts.push(data.slice());
      total += data.length;
    }
  }
  return concat(parts, total);
}

export function concat(parts: Uint8Array[], total = parts.reduce((sum, p) => sum + p.length, 0)): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** n pseudo-random bytes from a seed, so a failing transfer can be replayed. */
export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * A port on 127.0.0.1 that nothing listens on (bound and released just now): connecting to it is
 * refused. Bound with node:net, so that it does not depend on the Listener under test.
 */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The paths this runtime offers with every internal switched on (net-internals.ts, paths.ts). */
export const offered: TcpPaths = await tcpPaths();

/** The runtime's name alone: 'node', 'bun' or 'deno'. */
export const runtimeName = offered.runtime.split(' ')[0]!;

/**
 * Runs `body` twice: with net-internals.ts where the runtime offers them (accepted sockets read
 * through onread, sends written straight to the fd) and with their documented fallbacks ('data'
 * events, socket.write). Where a runtime lacks an internal, its fallback runs in both, and the
 * first title says so (Bun: accepted reads by 'data'; Deno: writes by socket.write).
 */
export function describeEachTcpPath(title: string, body: (internals: boolean) => void): void {
  const here = `accepted reads by ${offered.acceptedReads}, writes by ${offered.writes}`;
  describe.each([
    [`net-internals (${offered.runtime}: ${here})`, true],
    ['the documented fallbacks', false],
  ])(`${title}, with %s`, (_path, internals) => {
    beforeAll(() => {
      setInternals('userBufferReads', internals);
      setInternals('directWrites', internals);
    });
    afterAll(() => {
      setInternals('userBufferReads', true);
      setInternals('directWrites', true);
    });
    body(internals);
  });
}


// The wasmux echo server of the benchmark: one edge-triggered Epoll over the TCP sources.
//   node dist/bench/echo/server-epoll.js <port> [--timeout S] [--peek]
//
// Classic ET discipline: on EPOLLIN, recvInto one reused 64 KiB buffer until it would block and
// send each chunk straight back. What send does not accept is copied into a per-connection queue,
// EPOLLOUT is added to the interest mask (modify), and the rest goes out when it is reported;
// then the mask goes back to IN alone. While a connection has more than MAX_PENDING bytes queued
// (a peer that sends but does not read), reading stops until the queue drains, so memory stays
// bounded and TCP flow control pushes back on the peer.
//
// --peek moves the bytes with no copy at all: peek() a view of the received bytes, hand that view
// to sendZeroCopy() (nobody writes it again), consume() what was accepted; what is left waits as
// a view too. The same work as the other servers without the two copies that recv/send imply
// (`--servers epoll,epoll-peek,...` in run.ts).
//
// --no-internals switches off every use of node:net internals (src/sources/tcp/net-internals.ts)
// before the first socket exists, so that the TCP sources take their documented fallbacks: reads
// as 'data' events, every send through socket.write (`epoll-fallback` in run.ts).
import {
  EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, Epoll, Events, listen,
} from '../../src/index.js';
import { setInternals } from '../../src/sources/tcp/net-internals.js';
import { announce, serverArgs } from './lifecycle.js';

type Listener = Awaited<ReturnType<typeof listen>>;
type TcpSocket = NonNullable<ReturnType<Listener['accept']>>;

const READ = EPOLLIN | EPOLLRDHUP | EPOLLET;
const READ_WRITE = READ | EPOLLOUT;
const MAX_PENDING = 1 << 20;
/** Counted for bench/echo/check.ts (printed on exit when WASMUX_ECHO_STATS is set): the slow paths taken. */
const stats = { accepted: 0, partialSends: 0, readStops: 0 };

class Connection {
  /** Bytes received but not yet accepted by send, oldest first (copies: the read buffer is reused). */
  readonly pending: Uint8Array[] = [];
  pendingBytes = 0;
  /** EPOLLOUT is in the interest mask. */
  wantOut = false;
  /** Reading stopped before would-block because too much is queued: resume after a flush. */
  readStopped = false;
  /** EOF was read: close once the queue is flushed. */
  eof = false;

  constructor(readonly socket: TcpSocket) {}
}

const { port, timeoutS } = serverArgs();
const peekMode = process.argv.includes('--peek');
if (process.argv.includes('--no-internals')) {
  for (const which of ['fd', 'directWrites', 'userBufferReads', 'peername'] as const) setInternals(which, false);
}
const listener = await listen({ host: '127.0.0.1', port, backlog: 511 });
const listenFd = listener.fileno();
const ep = new Epoll();
const events = new Events(1024);
const buffer = new Uint8Array(65536);
const connections: (Connection | undefined)[] = [];

ep.register(listener, EPOLLIN | EPOLLET);
announce(listener.address().port, timeoutS, () => {
  if (process.env.WASMUX_ECHO_STATS) console.error(`server-epoll: ${JSON.stringify(stats)}`);
  for (const conn of connections) conn?.socket.close();
  listener.close();
  ep.close();
});

for (;;) {
  const n = await ep.wait(events, -1);
  const data = events.data;
  for (let i = 0; i < n; i++) {
    const fd = data[2 * i]!;
    const mask = data[2 * i + 1]!;
    if (fd === listenFd) {
      acceptAll();
      continue;
    }
    const conn = connections[fd];
    if (conn === undefined) continue;
    if (mask & EPOLLOUT) flush(conn, fd);
    if (mask & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR) && connections[fd] === conn) drain(conn, fd);
  }
}

function acceptAll(): void {
  for (;;) {
    const socket = listener.accept();
    if (socket === null) return;
    socket.setNoDelay(true);
    const fd = socket.fileno();
    connections[fd] = new Connection(socket);
    stats.accepted++;
    ep.register(socket, READ);
  }
}

/**
 * The next received bytes: with --peek a view of the receive queue (consumed after the echo),
 * else what recvInto put in the reused buffer. null: would block; empty: EOF.
 */
function receive(socket: TcpSocket): Uint8Array | null {
  if (peekMode) return socket.peek();
  const n = socket.recvInto(buffer);
  return n === null ? null : buffer.subarray(0, n);
}

/** Reads until would-block (ET), echoing each chunk. */
function drain(conn: Connection, fd: number): void {
  const socket = conn.socket;
  for (;;) {
    if (conn.pendingBytes > MAX_PENDING) {
      conn.readStopped = true;
      stats.readStops++;
      return;
    }
    let data: Uint8Array | null;
    try {
      data = receive(socket);
    } catch {
      close(conn, fd); // ECONNRESET and the like: the connection is over
      return;
    }
    if (data === null) return;
    if (data.length === 0) {
      conn.eof = true;
      if (conn.pendingBytes === 0) close(conn, fd);
      return;
    }
    // A peeked view stays valid after consume: the memory behind it is never written again.
    if (!echo(conn, fd, data)) return;
    if (peekMode) socket.consume(data.length);
  }
}

/** Sends bytes back, queueing a copy of what does not fit. False if the connection is gone. */
function echo(conn: Connection, fd: number, bytes: Uint8Array): boolean {
  let rest = bytes;
  if (conn.pendingBytes === 0) {
    let sent: number;
    try {
      sent = peekMode ? conn.socket.sendZeroCopy(bytes) : conn.socket.send(bytes);
    } catch {
      close(conn, fd);
      return false;
    }
    if (sent === bytes.length) return true;
    rest = bytes.subarray(sent);
  }
  stats.partialSends++;
  conn.pending.push(peekMode ? rest : rest.slice()); // the read buffer is reused; a peeked chunk is not
  conn.pendingBytes += rest.length;
  if (!conn.wantOut) {
    conn.wantOut = true;
    ep.modify(conn.socket, READ_WRITE);
  }
  return true;
}

/** On EPOLLOUT: sends what is queued; once it is all out, back to IN alone. */
function flush(conn: Connection, fd: number): void {
  const pending = conn.pending;
  while (pending.length > 0) {
    const chunk = pending[0]!;
    let sent: number;
    try {
      sent = conn.socket.sendZeroCopy(chunk); // queued chunks are ours alone
    } catch {
      close(conn, fd);
      return;
    }
    conn.pendingBytes -= sent;
    if (sent < chunk.length) {
      pending[0] = chunk.subarray(sent);
      return; // still full: wait for the next EPOLLOUT
    }
    pending.shift();
  }
  if (conn.wantOut) {
    conn.wantOut = false;
    ep.modify(conn.socket, READ);
  }
  if (conn.eof) {
    close(conn, fd);
  } else if (conn.readStopped) {
    conn.readStopped = false;
    drain(conn, fd);
  }
}

function close(conn: Connection, fd: number): void {
  connections[fd] = undefined;
  conn.socket.close(); // leaves the Epoll's interest list with it
}

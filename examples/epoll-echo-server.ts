// I/O model: multiplexed, edge-triggered epoll. One Epoll watches the listener and every
// connection with EPOLLET; each event is drained until recv/accept says "would block" (null),
// because an edge is reported once per wakeup. Output that does not fit the socket's send buffer
// is kept per connection, and reading pauses while too much is kept (real backpressure: the
// peer's TCP window closes); the EPOLLOUT edge that comes when the send buffer drains resumes
// both. Run: node dist/examples/epoll-echo-server.js [--port 8080]
import {
  EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, Epoll, Events, eventfd, listen,
  type Listener, type TcpSocket,
} from '../src/index.js';
import { isMainModule } from './main-module.js';

export interface EchoServerOptions {
  /** Bytes per recvInto call (default 16 KiB). */
  readBufferSize?: number;
  /** Stop reading a connection while this many echoed bytes wait for its send buffer (default 64 KiB). */
  maxPendingBytes?: number;
  /** Called with each chunk as it is received (a view of the read buffer: copy it to keep it). */
  onReceive?: (socket: TcpSocket, chunk: Uint8Array) => void;
  /** Called when a send accepted less than it was given (the send buffer is full). */
  onSendBlocked?: (socket: TcpSocket) => void;
  /** Called when a client's EOF is read, with the echo bytes still pending for it (sent before the close). */
  onEof?: (socket: TcpSocket, pendingBytes: number) => void;
}

export interface EchoServerStats {
  accepted: number;
  closed: number;
  /** The most connections open at once. */
  peakOpen: number;
  bytesEchoed: number;
  /** Times a send accepted less than it was given. */
  sendsBlocked: number;
}

export interface EchoServer {
  readonly stats: EchoServerStats;
  /** Resolves when the loop has stopped and every socket is closed. */
  readonly done: Promise<void>;
  /** Stops the loop after the current batch, closing the listener and every connection. */
  stop(): void;
}

interface Connection {
  socket: TcpSocket;
  /** Echo bytes the send buffer did not take yet, in order; `offset` into the first. */
  pending: Uint8Array[];
  offset: number;
  pendingBytes: number;
  /** ET: data (or EOF) may be waiting, because the last read did not hit "would block". */
  readable: boolean;
  eof: boolean;
}

const CONNECTION_EVENTS = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

/** Serves an echo on `listener` from one edge-triggered Epoll until `stop()`. */
export function serveEcho(listener: Listener, options: EchoServerOptions = {}): EchoServer {
  const readBuffer = new Uint8Array(options.readBufferSize ?? 16 * 1024);
  const maxPending = options.maxPendingBytes ?? 64 * 1024;
  const stats: EchoServerStats = { accepted: 0, closed: 0, peakOpen: 0, bytesEchoed: 0, sendsBlocked: 0 };
  const ep = new Epoll();
  const stopSignal = eventfd(0);
  const connections = new Map<number, Connection>();
  ep.register(listener, EPOLLIN | EPOLLET);
  ep.register(stopSignal, EPOLLIN);

  const close = (conn: Connection): void => {
    connections.delete(conn.socket.fileno());
    conn.socket.close(); // leaves the Epoll; what the send buffer holds is still delivered
    stats.closed++;
  };

  /** Sends what is pending; false if the send buffer filled first. */
  const flush = (conn: Connection): boolean => {
    while (conn.pending.length > 0) {
      const head = conn.pending[0]!;
      const sent = conn.socket.send(conn.offset === 0 ? head : head.subarray(conn.offset));
      conn.pendingBytes -= sent;
      stats.bytesEchoed += sent;
      if (conn.offset + sent < head.length) {
        conn.offset += sent;
        stats.sendsBlocked++;
        options.onSendBlocked?.(conn.socket);
        return false;
      }
      conn.pending.shift();
      conn.offset = 0;
    }
    return true;
  };

  const echo = (conn: Connection, chunk: Uint8Array): void => {
    const sent = conn.pending.length === 0 ? conn.socket.send(chunk) : 0;
    stats.bytesEchoed += sent;
    if (sent < chunk.length) {
      conn.pending.push(chunk.slice(sent)); // the read buffer is reused: keep a copy
      conn.pendingBytes += chunk.length - sent;
      if (conn.pending.length === 1) {
        stats.sendsBlocked++;
        options.onSendBlocked?.(conn.socket);
      }
    }
  };

  /** Runs a connection as far as it can go without blocking. */
  const service = (conn: Connection): void => {
    try {
      flush(conn);
      while (conn.readable && !conn.eof && conn.pendingBytes < maxPending) {
        const n = conn.socket.recvInto(readBuffer);
        if (n === null) {
          conn.readable = false; // drained: the next edge will say when there is more
        } else if (n === 0) {
          conn.readable = false;
          conn.eof = true; // the client sends no more, but may still be reading its echo
          options.onEof?.(conn.socket, conn.pendingBytes);
        } else {
          const chunk = readBuffer.subarray(0, n);
          options.onReceive?.(conn.socket, chunk);
          echo(conn, chunk);
        }
      }
      // After the EOF, the connection closes only once its last echo is out (EPOLLOUT edges).
      if (conn.eof && conn.pendingBytes === 0) close(conn);
    } catch (error) {
      // ECONNRESET from recv, EPIPE from send: the peer is gone, and so is the connection.
      if (!isConnectionError(error)) throw error;
      close(conn);
    }
  };

  const acceptAll = (): void => {
    for (let socket = listener.accept(); socket !== null; socket = listener.accept()) {
      const conn: Connection = { socket, pending: [], offset: 0, pendingBytes: 0, readable: false, eof: false };
      connections.set(socket.fileno(), conn);
      stats.accepted++;
      stats.peakOpen = Math.max(stats.peakOpen, connections.size);
      ep.register(socket, CONNECTION_EVENTS);
    }
  };

  const events = new Events(256);
  const loop = async (): Promise<void> => {
    for (;;) {
      const n = await ep.wait(events, -1);
      for (let i = 0; i < n; i++) {
        const fd = events.fd(i);
        if (fd === stopSignal.fileno()) return;
        if (fd === listener.fileno()) {
          acceptAll();
          continue;
        }
        const conn = connections.get(fd);
        if (conn === undefined) continue; // closed earlier in this batch
        if (events.events(i) & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) conn.readable = true;
        service(conn);
      }
    }
  };

  const done = loop().finally(() => {
    for (const conn of connections.values()) close(conn);
    ep.close();
    stopSignal.close();
    listener.close();
  });
  // stop() once the loop has ended (by stop() or an error) has nothing left to do.
  return { stats, done, stop: () => void (stopSignal.closed || stopSignal.write(1)) };
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

if (isMainModule(import.meta.url)) {
  const at = process.argv.indexOf('--port');
  const port = at > 0 ? Number(process.argv[at + 1]) : 8080;
  const listener = await listen({ host: '127.0.0.1', port });
  const server = serveEcho(listener);
  console.log(`echo server (Epoll, edge-triggered) on 127.0.0.1:${listener.address().port}; Ctrl-C stops it`);
  process.once('SIGINT', () => server.stop());
  await server.done;
  console.log(`served ${server.stats.accepted} connections, ${server.stats.bytesEchoed} bytes`);
}

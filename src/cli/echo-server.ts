// I/O model: multiplexed, with callbacks on a selector. The classic Python `selectors` server,
// ported line by line: each registration carries, as its data, the function to call when the
// file object is ready (`accept` for the listener, `read` for a connection), and the main loop
// only selects and calls. Unlike the textbook version it does not "hope send won't block": what a
// send does not take is kept, EVENT_WRITE is added until it is out, and reading pauses while too
// much is kept, so a client that never reads cannot make the server buffer without bound. A
// client's EOF only means it sends nothing more: it may still be reading, so a connection whose
// EOF arrives with echo kept stops reading, sends the rest, and only then closes.
// examples/selectors-echo-server.ts runs it on its own; `wasmux demo` and `wasmux serve` run it too.
import type { FileLike } from '../api/fileobj.js';
import {
  EVENT_READ, EVENT_WRITE, EpollSelector, PollSelector, SelectSelector, type BaseSelector,
} from '../api/selectors/index.js';
import { PosixError } from '../errors.js';
import { eventfd } from '../sources/eventfd.js';
import { listen, type Listener } from '../sources/tcp/listener.js';
import type { TcpSocket } from '../sources/tcp/tcp-socket.js';

/** What a registration carries: the function to call with the ready file object and events. */
type Callback = (fileobj: FileLike, mask: number) => void;

export const SELECTORS = {
  epoll: EpollSelector,
  poll: PollSelector,
  select: SelectSelector,
} as const;
export type SelectorName = keyof typeof SELECTORS;

export interface SelectorsEchoOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  selector?: SelectorName;
  /** Bytes per read: the size of the one buffer every connection reads into (default 64 KiB, like Python's `recv(65536)`; 1 to 2^30, else EINVAL). */
  recvSize?: number;
  /** Reading a connection pauses while this many echo bytes wait for its client (default 1 MiB). */
  maxPendingBytes?: number;
  /** Called when a send took less than it was given (the connection's send buffer is full). */
  onSendBlocked?: () => void;
  /** Called when a client's EOF is read, with the echo bytes still kept for it (sent before the close). */
  onEof?: (keptBytes: number) => void;
}

export interface SelectorsEchoServer {
  readonly port: number;
  readonly selector: SelectorName;
  readonly stats: { accepted: number; open: number; bytesEchoed: number; sendsBlocked: number };
  /** Resolves once the loop has stopped and everything is closed. */
  readonly done: Promise<void>;
  stop(): void;
}

/** Reading stops while a connection has this much echo waiting for its peer to read. */
const MAX_PENDING = 1 << 20;

/** The largest recvSize: one buffer of it is allocated up front. */
const MAX_RECV_SIZE = 1 << 30;

/** Echo bytes a connection's send buffer did not take yet, in order. */
interface Kept {
  parts: Uint8Array[];
  bytes: number;
}

export async function startSelectorsEchoServer(options: SelectorsEchoOptions = {}): Promise<SelectorsEchoServer> {
  const name = options.selector ?? 'epoll';
  const recvSize = options.recvSize ?? 65536;
  if (!Number.isSafeInteger(recvSize) || recvSize <= 0 || recvSize > MAX_RECV_SIZE) {
    throw new PosixError('EINVAL', `recvSize must be an integer from 1 to ${MAX_RECV_SIZE}, got ${String(recvSize)}`);
  }
  const maxPending = options.maxPendingBytes ?? MAX_PENDING;
  const sel: BaseSelector<Callback> = new SELECTORS[name]<Callback>();
  // Every connection reads into this one buffer (recv_into), and the echo is sent from it. A
  // recv() would return a view of the socket's receive memory, which may then never be reused
  // (the view must not change): fresh, cold memory at every read cost this server 14% to 24% of its
  // throughput at 16 KiB (Node 20 and 26; bench/RESULTS.md, echo-changes).
  const received = new Uint8Array(recvSize);
  const listener: Listener = await listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0, backlog: 511 });
  const stats = { accepted: 0, open: 0, bytesEchoed: 0, sendsBlocked: 0 };
  const pending = new Map<TcpSocket, Kept>();
  /** Connections whose client has sent its EOF: closed as soon as their kept echo is out. */
  const ending = new Set<TcpSocket>();
  let running = true;

  const accept: Callback = () => {
    // One connection per readiness report, as in the classic program; the listener stays
    // readable (level-triggered) while more are waiting.
    const conn = listener.accept();
    if (conn === null) return;
    conn.setNoDelay(true);
    stats.accepted++;
    stats.open++;
    sel.register(conn, EVENT_READ, read);
  };

  const close = (conn: TcpSocket): void => {
    sel.unregister(conn);
    pending.delete(conn);
    ending.delete(conn);
    conn.close(); // what send accepted is still delivered, then the FIN
    stats.open--;
  };

  /** Sends what is kept for conn; true once nothing is left. */
  const flush = (conn: TcpSocket): boolean => {
    const kept = pending.get(conn);
    while (kept !== undefined && kept.parts.length > 0) {
      const head = kept.parts[0]!;
      const sent = conn.send(head);
      stats.bytesEchoed += sent;
      kept.bytes -= sent;
      if (sent < head.length) {
        kept.parts[0] = head.subarray(sent);
        return false;
      }
      kept.parts.shift();
    }
    pending.delete(conn);
    return true;
  };

  function read(fileobj: FileLike, mask: number): void {
    const conn = fileobj as TcpSocket;
    try {
      if (mask & EVENT_WRITE && flush(conn)) {
        if (ending.has(conn)) {
          close(conn); // its EOF came earlier, and now the last echo is out
          return;
        }
        sel.modify(conn, EVENT_READ, read);
      }
      if (!(mask & EVENT_READ) || ending.has(conn) || (pending.get(conn)?.bytes ?? 0) >= maxPending) return;
      const n = conn.recvInto(received);
      if (n === null) return; // nothing after all (another reader got there first)
      if (n === 0) {
        // EOF: the client sends nothing more, but it may not have read all of its echo yet.
        const keptBytes = pending.get(conn)?.bytes ?? 0;
        options.onEof?.(keptBytes);
        if (keptBytes === 0) {
          close(conn);
        } else {
          ending.add(conn); // no more reading: send the rest, then close (above)
          sel.modify(conn, EVENT_WRITE, read);
        }
        return;
      }
      const data = received.subarray(0, n);
      const sent = pending.has(conn) ? 0 : conn.send(data);
      stats.bytesEchoed += sent;
      if (sent < data.length) {
        stats.sendsBlocked++;
        options.onSendBlocked?.();
        const kept = pending.get(conn) ?? { parts: [], bytes: 0 };
        kept.parts.push(data.slice(sent)); // a copy: `received` is reused by the next read
        kept.bytes += data.length - sent;
        pending.set(conn, kept);
        const events = kept.bytes >= maxPending ? EVENT_WRITE : EVENT_READ | EVENT_WRITE;
        sel.modify(conn, events, read);
      }
    } catch (error) {
      // ECONNRESET, EPIPE: the client went away; its connection goes too.
      if ((error as { code?: string }).code === undefined) throw error;
      close(conn);
    }
  }

  // stop() writes to an eventfd, so that a blocked select wakes up and the loop ends.
  const stopSignal = eventfd(0);
  sel.register(listener, EVENT_READ, accept);
  sel.register(stopSignal, EVENT_READ, () => {
    running = false;
  });

  const loop = async (): Promise<void> => {
    while (running) {
      for (const [key, mask] of await sel.select()) key.data(key.fileobj, mask);
    }
  };
  const done = loop().finally(() => {
    // Everything registered is a wasmux descriptor: the listener, the stop eventfd, connections.
    for (const key of [...sel.getMap()!.values()]) (key.fileobj as unknown as { close(): void }).close();
    sel.close();
  });
  return {
    port: listener.address().port,
    selector: name,
    stats,
    done,
    stop: () => void (stopSignal.closed || stopSignal.write(1)), // once the loop has ended: nothing to do
  };
}

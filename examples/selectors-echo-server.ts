// I/O model: multiplexed, with callbacks on a selector. The classic Python `selectors` server,
// ported line by line: each registration carries, as its data, the function to call when the
// file object is ready (`accept` for the listener, `read` for a connection), and the main loop
// only selects and calls. Unlike the textbook version it does not "hope send won't block": what a
// send does not take is kept, EVENT_WRITE is added until it is out, and reading pauses while too
// much is kept, so a client that never reads cannot make the server buffer without bound.
// Run: node dist/examples/selectors-echo-server.js [--port 8088] [--selector epoll|poll|select]
import {
  EVENT_READ, EVENT_WRITE, EpollSelector, PollSelector, SelectSelector, eventfd, listen,
  type BaseSelector, type FileLike, type Listener, type TcpSocket,
} from '../src/index.js';

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
  /** Bytes per recv (default 64 KiB, like Python's `recv(65536)`). */
  recvSize?: number;
  /** Called when a send took less than it was given (the connection's send buffer is full). */
  onSendBlocked?: () => void;
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

export async function startSelectorsEchoServer(options: SelectorsEchoOptions = {}): Promise<SelectorsEchoServer> {
  const name = options.selector ?? 'epoll';
  const recvSize = options.recvSize ?? 65536;
  const sel: BaseSelector<Callback> = new SELECTORS[name]<Callback>();
  const listener: Listener = await listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0, backlog: 511 });
  const stats = { accepted: 0, open: 0, bytesEchoed: 0, sendsBlocked: 0 };
  const pending = new Map<TcpSocket, Uint8Array[]>();
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
    conn.close();
    stats.open--;
  };

  /** Sends what is kept for conn; true once nothing is left. */
  const flush = (conn: TcpSocket): boolean => {
    const queue = pending.get(conn);
    while (queue !== undefined && queue.length > 0) {
      const head = queue[0]!;
      const sent = conn.send(head);
      stats.bytesEchoed += sent;
      if (sent < head.length) {
        queue[0] = head.subarray(sent);
        return false;
      }
      queue.shift();
    }
    pending.delete(conn);
    return true;
  };

  const kept = (conn: TcpSocket): number => (pending.get(conn) ?? []).reduce((sum, part) => sum + part.length, 0);

  function read(fileobj: FileLike, mask: number): void {
    const conn = fileobj as TcpSocket;
    try {
      if (mask & EVENT_WRITE && flush(conn)) sel.modify(conn, EVENT_READ, read);
      if (!(mask & EVENT_READ) || pending.has(conn) && kept(conn) >= MAX_PENDING) return;
      const data = conn.recv(recvSize);
      if (data === null) return; // nothing after all (another reader got there first)
      if (data.length === 0) {
        close(conn); // EOF: the client is done
        return;
      }
      const sent = pending.has(conn) ? 0 : conn.send(data);
      stats.bytesEchoed += sent;
      if (sent < data.length) {
        stats.sendsBlocked++;
        options.onSendBlocked?.();
        const queue = pending.get(conn) ?? [];
        queue.push(data.slice(sent)); // recv's bytes may be a view into the socket's buffer
        pending.set(conn, queue);
        const events = kept(conn) >= MAX_PENDING ? EVENT_WRITE : EVENT_READ | EVENT_WRITE;
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
    stop: () => void stopSignal.write(1),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const flag = (name: string): string | undefined => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const selector = (flag('--selector') ?? 'epoll') as SelectorName;
  if (!(selector in SELECTORS)) throw new Error(`--selector must be one of ${Object.keys(SELECTORS).join(', ')}`);
  const server = await startSelectorsEchoServer({ port: Number(flag('--port') ?? 8088), selector });
  console.log(`echo server (${selector} selector, callbacks) on 127.0.0.1:${server.port}; Ctrl-C stops it`);
  process.once('SIGINT', () => server.stop());
  await server.done;
}

// I/O model: blocking style (one handler per connection, each awaiting its socket).
//
// The oldest way to write a server: accept a connection, hand it to its own thread, and let that
// thread do `recv` then `send` in a loop, blocking whenever there is nothing to read or no room
// to write. The code is straight-line and easy to follow; the price, with real threads, is a
// thread (a stack, a scheduler entry) per connection.
//
// Node has one thread, so a blocking recv would stop every connection at once. The same
// straight-line code works anyway with one async handler per connection on an EventLoop (the
// shape of Python's asyncio `sock_recv`/`sock_sendall`): `await loop.sockRecv(sock, n)` tries
// the non-blocking recv, and if it would block, registers a reader on the loop's selector and
// suspends only this handler until the socket is readable. `await loop.sockSendall(sock, data)`
// does the same for room in the send buffer, so a client that reads slowly holds back its own
// handler (backpressure) and nobody else. Underneath it is the multiplexed, readiness-driven
// model of the other examples; on top it reads like the blocking one.
//
// Replies are the received bytes upper-cased (ASCII letters).
// Run: node dist/examples/blocking-style-server.js [--port 8080] [--selector epoll|poll|select]
import {
  EpollSelector, EventLoop, PollSelector, SelectSelector, listen, type Listener, type TcpSocket,
} from '../src/index.js';
import { isMainModule } from './main-module.js';
import { upperCase } from './upper-case.js';

export const SELECTORS = { epoll: EpollSelector, poll: PollSelector, select: SelectSelector } as const;
export type SelectorName = keyof typeof SELECTORS;

export interface BlockingStyleOptions {
  /** The selector under the EventLoop (default epoll). */
  selector?: SelectorName;
  /** Called when a connection's handler has finished: error is the code that ended it, or null at EOF. */
  onHandlerDone?: (error: string | null) => void;
}

export interface BlockingStyleStats {
  accepted: number;
  closed: number;
  /** Handlers running at once, most (each one suspended in its own await). */
  peakHandlers: number;
  messages: number;
  bytesEchoed: number;
}

export interface BlockingStyleServer {
  readonly stats: BlockingStyleStats;
  /** Resolves when the loop has stopped and the listener and every connection are closed. */
  readonly done: Promise<void>;
  /** Stops the loop after its current iteration. */
  stop(): void;
}


/** Serves an upper-casing echo on `listener`, one async handler per connection, until stop(). */
export function serveBlockingStyle(listener: Listener, options: BlockingStyleOptions = {}): BlockingStyleServer {
  const selector = new SELECTORS[options.selector ?? 'epoll']();
  const loop = new EventLoop(selector);
  const stats: BlockingStyleStats = { accepted: 0, closed: 0, peakHandlers: 0, messages: 0, bytesEchoed: 0 };
  const open = new Set<TcpSocket>();

  /** The per-connection "thread": receive, reply, repeat, until EOF. */
  const handle = async (sock: TcpSocket): Promise<void> => {
    let ending: string | null = null;
    try {
      for (;;) {
        const data = await loop.sockRecv(sock, 64 * 1024); // "blocks" this handler only
        if (data.length === 0) break; // the client's FIN: nothing more will come
        stats.messages++;
        await loop.sockSendall(sock, upperCase(data)); // waits for room as often as needed
        stats.bytesEchoed += data.length;
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // A reset or a broken pipe ends this connection only; anything else is a bug worth reporting.
      if (code !== 'ECONNRESET' && code !== 'EPIPE') {
        loop.callExceptionHandler({ message: `handler of fd ${sock.fileno()} failed`, exception: error });
      }
      ending = typeof code === 'string' ? code : 'error';
    } finally {
      open.delete(sock);
      sock.close(); // what sockSendall handed over is still delivered, then a FIN
      stats.closed++;
    }
    options.onHandlerDone?.(ending);
  };

  /** The acceptor "thread": one handler per connection, started and left to run on its own. */
  const acceptForever = async (): Promise<void> => {
    for (;;) {
      const sock = await loop.sockAccept(listener);
      open.add(sock);
      stats.accepted++;
      stats.peakHandlers = Math.max(stats.peakHandlers, open.size);
      void handle(sock); // not awaited: the next accept does not wait for this client
    }
  };

  void acceptForever().catch((error: unknown) => {
    loop.callExceptionHandler({ message: 'accept failed', exception: error });
    loop.stop();
  });

  const done = loop.run().finally(() => {
    // Handlers still suspended in an await are abandoned with the loop (asyncio cancels such
    // tasks; here their promises simply never settle). Their sockets are closed here, after the
    // loop has let go of its registrations.
    loop.close();
    selector.close();
    for (const sock of open) sock.close();
    stats.closed += open.size;
    open.clear();
    listener.close();
  });
  return { stats, done, stop: () => loop.stop() };
}

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : process.argv[at + 1] ?? '';
}

if (isMainModule(import.meta.url)) {
  const usage = 'usage: blocking-style-server [--port 8080] [--selector epoll|poll|select]';
  const port = Number(flag('--port', '8080'));
  const selector = flag('--selector', 'epoll');
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535 || !(selector in SELECTORS)) {
    console.error(usage);
    process.exit(2);
  }
  const listener = await listen({ host: '127.0.0.1', port });
  const server = serveBlockingStyle(listener, { selector: selector as SelectorName });
  console.log(`blocking-style upper-case echo (one async handler per connection, ${selector} selector) ` +
    `on 127.0.0.1:${listener.address().port}; Ctrl-C stops it`);
  process.once('SIGINT', () => server.stop());
  await server.done;
  const { accepted, messages, bytesEchoed, peakHandlers } = server.stats;
  console.log(`served ${accepted} connections (at most ${peakHandlers} at once), ${messages} messages, ${bytesEchoed} bytes`);
}

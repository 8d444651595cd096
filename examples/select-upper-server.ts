// I/O model: multiplexed with select(), level-triggered. The textbook select() server: a list of
// sockets to read from (the listener and every connection), a list to write to (connections with
// replies waiting), and one select() over both per pass. It upper-cases what it receives and
// sends it back. select() reports levels, so a socket whose replies are all sent is taken out of
// the write list, or every pass would return at once with it writable. A client's EOF takes its
// socket out of the read list only: replies still waiting are sent first, then it is closed.
// Run: node dist/examples/select-upper-server.js [--port 8089]
import { eventfd, listen, select, type EventFd, type Listener, type TcpSocket } from '../src/index.js';
import { isMainModule } from './main-module.js';
import { upperCase } from './upper-case.js';

export interface SelectUpperServer {
  readonly port: number;
  /** Resolves once the loop has stopped and every socket is closed. */
  readonly done: Promise<void>;
  stop(): void;
}

export interface SelectUpperOptions {
  /** Called when a client's EOF is read, with the reply bytes still waiting for it. */
  onEof?: (waitingBytes: number) => void;
}

const isPosixError = (error: unknown): boolean => typeof (error as { code?: unknown } | null)?.code === 'string';

/** Takes `item` out of `list` if it is there. (A bare splice(indexOf) would remove the last item when it is not.) */
function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}

export async function startSelectUpperServer(port = 0, options: SelectUpperOptions = {}): Promise<SelectUpperServer> {
  const server: Listener = await listen({ host: '127.0.0.1', port });
  const stopSignal: EventFd = eventfd(0);
  const inputs: Array<Listener | TcpSocket | EventFd> = [server, stopSignal];
  const outputs: TcpSocket[] = [];
  const replies = new Map<TcpSocket, Uint8Array[]>();

  /** Closes conn and forgets it; a connection may get here from any list, or twice in one pass. */
  const drop = (conn: TcpSocket): void => {
    if (!replies.has(conn)) return; // dropped already
    remove(inputs, conn);
    remove(outputs, conn);
    replies.delete(conn);
    conn.close();
  };

  const loop = async (): Promise<void> => {
    for (;;) {
      const [readable, writable, failed] = await select(inputs, outputs, inputs);
      for (const s of readable) {
        if (s === stopSignal) return;
        if (s === server) {
          const conn = server.accept();
          if (conn !== null) {
            inputs.push(conn);
            replies.set(conn, []);
          }
          continue;
        }
        const conn = s as TcpSocket;
        if (!replies.has(conn)) continue; // dropped earlier in this pass
        let data: Uint8Array | null;
        try {
          data = conn.recv(1024);
        } catch (error) {
          if (!isPosixError(error)) throw error;
          drop(conn); // ECONNRESET
          continue;
        }
        if (data === null) continue;
        if (data.length === 0) {
          // EOF: send what is left, then close (close flushes what send accepted).
          const waiting = replies.get(conn)!;
          options.onEof?.(waiting.reduce((sum, reply) => sum + reply.length, 0));
          if (waiting.length === 0) drop(conn);
          else remove(inputs, conn);
          continue;
        }
        replies.get(conn)!.push(upperCase(data));
        if (!outputs.includes(conn)) outputs.push(conn);
      }
      for (const conn of writable) {
        const queue = replies.get(conn);
        if (queue === undefined) continue;
        const next = queue[0];
        if (next === undefined) {
          remove(outputs, conn); // nothing to send: stop asking
          continue;
        }
        let sent: number;
        try {
          sent = conn.send(next);
        } catch (error) {
          if (!isPosixError(error)) throw error;
          drop(conn); // EPIPE, ECONNRESET: the client is gone
          continue;
        }
        if (sent === next.length) queue.shift();
        else queue[0] = next.subarray(sent);
        if (queue.length === 0 && !inputs.includes(conn)) drop(conn); // its EOF came earlier
      }
      for (const s of failed) if (s !== server && s !== stopSignal) drop(s as TcpSocket);
    }
  };

  const done = loop().finally(() => {
    for (const conn of replies.keys()) conn.close();
    server.close();
    stopSignal.close();
  });
  // stop() once the loop has ended (by stop() or an error) has nothing left to do.
  return { port: server.address().port, done, stop: () => void (stopSignal.closed || stopSignal.write(1)) };
}

if (isMainModule(import.meta.url)) {
  const at = process.argv.indexOf('--port');
  const server = await startSelectUpperServer(at > 0 ? Number(process.argv[at + 1]) : 8089);
  console.log(`upper-case server (select) on 127.0.0.1:${server.port}; Ctrl-C stops it`);
  process.once('SIGINT', () => server.stop());
  await server.done;
}

// I/O model: multiplexed with select(), level-triggered. The textbook select() server: a list of
// sockets to read from (the listener and every connection), a list to write to (connections with
// replies waiting), and one select() over both per pass. It upper-cases what it receives and
// sends it back. select() reports levels, so a socket whose replies are all sent is taken out of
// the write list, or every pass would return at once with it writable.
// Run: node dist/examples/select-upper-server.js [--port 8089]
import { eventfd, listen, select, type EventFd, type Listener, type TcpSocket } from '../src/index.js';
import { upperCase } from './upper-case.js';

export interface SelectUpperServer {
  readonly port: number;
  /** Resolves once the loop has stopped and every socket is closed. */
  readonly done: Promise<void>;
  stop(): void;
}

export async function startSelectUpperServer(port = 0): Promise<SelectUpperServer> {
  const server: Listener = await listen({ host: '127.0.0.1', port });
  const stopSignal: EventFd = eventfd(0);
  const inputs: Array<Listener | TcpSocket | EventFd> = [server, stopSignal];
  const outputs: TcpSocket[] = [];
  const replies = new Map<TcpSocket, Uint8Array[]>();

  const drop = (conn: TcpSocket): void => {
    inputs.splice(inputs.indexOf(conn), 1);
    if (outputs.includes(conn)) outputs.splice(outputs.indexOf(conn), 1);
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
        } catch {
          drop(conn); // ECONNRESET
          continue;
        }
        if (data === null) continue;
        if (data.length === 0) {
          // EOF: send what is left, then close (close flushes what send accepted).
          if (replies.get(conn)!.length === 0) drop(conn);
          else inputs.splice(inputs.indexOf(conn), 1);
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
          outputs.splice(outputs.indexOf(conn), 1); // nothing to send: stop asking
          continue;
        }
        const sent = conn.send(next);
        if (sent === next.length) queue.shift();
        else queue[0] = next.subarray(sent);
        if (queue.length === 0 && !inputs.includes(conn)) drop(conn); // its EOF came earlier
      }
      for (const s of failed) if (s !== server && s !== stopSignal && replies.has(s as TcpSocket)) drop(s as TcpSocket);
    }
  };

  const done = loop().finally(() => {
    for (const conn of replies.keys()) conn.close();
    server.close();
    stopSignal.close();
  });
  return { port: server.address().port, done, stop: () => void stopSignal.write(1) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--port');
  const server = await startSelectUpperServer(at > 0 ? Number(process.argv[at + 1]) : 8089);
  console.log(`upper-case server (select) on 127.0.0.1:${server.port}; Ctrl-C stops it`);
  process.once('SIGINT', () => server.stop());
  await server.done;
}

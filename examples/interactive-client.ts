// I/O model: multiplexed, non-blocking client on one selector (DefaultSelector: epoll,
// level-triggered). Two inputs arrive whenever they like: lines typed on stdin (fd 0, a wasmux
// source) and replies from the server. A blocking client would sit in read(stdin) while a reply
// waits, or in recv() while the user types; here one select() watches both and serves whichever
// is ready, as `nc` does.
//
//   connect()      in progress -> EVENT_WRITE; getError() (SO_ERROR) says whether it worked
//   stdin ready    read what was typed, send it (what the send buffer does not take is kept,
//                  and EVENT_WRITE is watched until it is out; stdin is not read meanwhile
//                  beyond a bound, so a server that stops reading cannot make us buffer forever)
//   socket ready   recv the replies and print them as they come
//   stdin EOF      once everything typed is sent, shutdown(SHUT_WR): the server sees our EOF,
//                  answers what is left and closes; its EOF (recv returns 0 bytes) ends the
//                  program, so the last reply is always printed before we exit
//
// Run: node dist/examples/interactive-client.js --port 8088 [--host 127.0.0.1] [--selector epoll|poll|select]
// against any line server, e.g. examples/selectors-echo-server.ts or `wasmux serve`.
import {
  EVENT_READ, EVENT_WRITE, EpollSelector, PollSelector, SHUT_WR, SelectSelector, connect, stdin,
  type BaseSelector, type StdinReader, type TcpSocket,
} from '../src/index.js';
import { isMainModule } from './main-module.js';

export const SELECTORS = { epoll: EpollSelector, poll: PollSelector, select: SelectSelector } as const;
export type SelectorName = keyof typeof SELECTORS;

/** Stop reading stdin while this many typed bytes wait for the socket's send buffer. */
const MAX_PENDING = 64 * 1024;

export interface InteractiveClientOptions {
  host?: string;
  port: number;
  /** Where lines come from; default stdin() (fd 0). The client closes it when it is done. */
  input?: StdinReader;
  /**
   * Where replies go, as text, as they arrive; default process.stdout. (Not on the selector:
   * Node writes stdout synchronously to files, terminals and, on Linux, pipes. A program whose
   * output could stall would register stdout() for EVENT_WRITE and stop reading the socket
   * while output waits, as the socket side does with stdin.)
   */
  output?: (text: string) => void;
  selector?: SelectorName;
}

export interface InteractiveClientSummary {
  bytesSent: number;
  bytesReceived: number;
  /** The server closed before we reached the end of stdin (what was left unread was not sent). */
  serverClosedFirst: boolean;
}

/** An error the client ends with, carrying the POSIX code ('ECONNREFUSED', 'ECONNRESET'...). */
export class ClientError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ClientError';
  }
}

/**
 * Sends what arrives on `input` to host:port and writes the replies to `output`, until the
 * server closes: after the end of input (the client then half-closes) or before.
 */
export async function runInteractiveClient(options: InteractiveClientOptions): Promise<InteractiveClientSummary> {
  const host = options.host ?? '127.0.0.1';
  const output = options.output ?? ((text: string) => void process.stdout.write(text));
  const input = options.input ?? stdin();
  const selector: BaseSelector = new SELECTORS[options.selector ?? 'epoll']();
  const decoder = new TextDecoder(); // stream mode: a UTF-8 character split across recvs is kept whole
  const summary: InteractiveClientSummary = { bytesSent: 0, bytesReceived: 0, serverClosedFirst: false };
  let socket: TcpSocket | null = null;
  let connected = false;
  let inputEof = false;
  let serverEof = false;
  let shutDown = false;
  /** Typed bytes not yet taken by the socket, in order. */
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;

  /** Watches `fileobj` for exactly `events` (0: not at all), registering or modifying as needed. */
  const watch = (fileobj: StdinReader | TcpSocket, events: number): void => {
    const registered = selector.getMap()!.get(fileobj);
    if (events === 0) {
      if (registered !== undefined) selector.unregister(fileobj);
    } else if (registered === undefined) {
      selector.register(fileobj, events);
    } else if (registered.events !== events) {
      selector.modify(fileobj, events);
    }
  };

  /** What each side should be watched for, from the state: the one place interest changes. */
  const updateInterest = (sock: TcpSocket): void => {
    if (!connected) return watch(sock, EVENT_WRITE); // writable = connected, or failed
    watch(sock, EVENT_READ | (pendingBytes > 0 ? EVENT_WRITE : 0));
    // Read stdin only when what it gives can go somewhere soon.
    watch(input, !inputEof && pendingBytes < MAX_PENDING ? EVENT_READ : 0);
  };

  /** Sends what is pending; then, at the end of input, our FIN. */
  const flush = (sock: TcpSocket): void => {
    while (pending.length > 0) {
      const head = pending[0]!;
      const n = sock.send(head);
      summary.bytesSent += n;
      pendingBytes -= n;
      if (n < head.length) {
        pending[0] = head.subarray(n); // the send buffer is full: the rest on EVENT_WRITE
        return;
      }
      pending.shift();
    }
    if (inputEof && !shutDown) {
      shutDown = true;
      sock.shutdown(SHUT_WR); // "no more lines": the server answers the rest, then closes
    }
  };

  try {
    socket = connect({ host, port: options.port });
    updateInterest(socket);
    while (!serverEof) {
      for (const [key, events] of await selector.select()) {
        if (key.fileobj === input) {
          const data = input.read(64 * 1024);
          if (data === null) continue; // nothing after all
          if (data.length === 0) inputEof = true;
          else {
            pending.push(data);
            pendingBytes += data.length;
          }
          flush(socket);
        } else if (!connected) {
          const error = socket.getError();
          if (error !== null) throw new ClientError(error, `cannot connect to ${host}:${options.port}: ${error}`);
          connected = true;
          flush(socket);
        } else {
          if (events & EVENT_WRITE) flush(socket);
          if (events & EVENT_READ) {
            // Level-triggered: reading until null is not required, but saves a select per chunk.
            for (let data = socket.recv(64 * 1024); data !== null; data = socket.recv(64 * 1024)) {
              if (data.length === 0) {
                serverEof = true;
                summary.serverClosedFirst = !inputEof || pendingBytes > 0;
                break;
              }
              summary.bytesReceived += data.length;
              output(decoder.decode(data, { stream: true }));
            }
          }
        }
      }
      if (!serverEof) updateInterest(socket);
    }
    const rest = decoder.decode();
    if (rest !== '') output(rest);
    return summary;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof ClientError || typeof code !== 'string') throw error;
    throw new ClientError(code, `connection to ${host}:${options.port}: ${code}`); // ECONNRESET, EPIPE
  } finally {
    selector.close();
    socket?.close();
    input.close(); // stops reading fd 0, so the process can exit
  }
}

const USAGE = 'usage: interactive-client --port 8088 [--host 127.0.0.1] [--selector epoll|poll|select]';

function usage(why: string): never {
  console.error(`${USAGE}  (${why})`);
  process.exit(2);
}

if (isMainModule(import.meta.url)) {
  const args = process.argv.slice(2);
  const flags: Record<string, string> = { '--port': '8088', '--host': '127.0.0.1', '--selector': 'epoll' };
  for (let i = 0; i < args.length; i += 2) {
    if (!(args[i]! in flags) || args[i + 1] === undefined) usage(`bad argument ${args[i]}`);
    flags[args[i]!] = args[i + 1]!;
  }
  const port = Number(flags['--port']);
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) usage('bad --port');
  if (!(flags['--selector']! in SELECTORS)) usage('bad --selector');
  if (process.stdin.isTTY) console.error(`connecting to ${flags['--host']}:${port}; type lines, Ctrl-D to finish`);
  try {
    const summary = await runInteractiveClient({ host: flags['--host'], port, selector: flags['--selector'] as SelectorName });
    if (summary.serverClosedFirst) console.error('the server closed the connection');
  } catch (error) {
    console.error(error instanceof ClientError ? error.message : error);
    process.exitCode = 1;
  }
}

// I/O model: multiplexed, non-blocking client on one selector (DefaultSelector: epoll,
// level-triggered). Twenty HTTP GETs run at once from a single loop, each one a small state
// machine driven by readiness:
//
//   connect()           returns at once, the connection in progress (EINPROGRESS)
//   -> EVENT_WRITE      a socket becomes writable when the connection is made, or has failed:
//                       getError() (SO_ERROR) tells which
//   -> send the request as much as the send buffer takes each time it is writable (a partial
//                       send is normal for a non-blocking socket: keep the offset, wait again)
//   -> EVENT_READ       modify() the registration: from now on only replies matter
//   -> recv until EOF   the request says "Connection: close", so the server closes when the
//                       response is complete, and recv() returning 0 bytes marks its end
//   -> parse            status line, headers, body
//
// Nothing here needs the internet: the example starts its own HTTP server (node:http on
// 127.0.0.1), whose every path answers a distinct body, so each response can be checked.
// Run: node dist/examples/http-fetcher.js [--port 0] [--count 20] [--selector epoll|poll|select]
//      [--max-send 0]   (--max-send N sends at most N bytes per writable event, to show partial sends)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EVENT_READ, EVENT_WRITE, EpollSelector, PollSelector, SelectSelector, connect, type BaseSelector, type TcpSocket,
} from '../src/index.js';
import { isMainModule } from './main-module.js';

export const SELECTORS = { epoll: EpollSelector, poll: PollSelector, select: SelectSelector } as const;
export type SelectorName = keyof typeof SELECTORS;

// ---------------------------------------------------------------------------------------------
// The local server: node:http, so the fetcher is checked against an HTTP implementation that is
// not ours.

/** The body the local server sends for `path`: names the path, and grows with the item number. */
export function bodyFor(path: string): string {
  const item = Number(/^\/item\/(\d+)$/.exec(path)?.[1] ?? 0);
  // 64 to 2,048 lines: the larger bodies take several recv calls (and several TCP segments).
  const lines = 64 << (item % 6);
  let body = `${path}\n`;
  for (let i = 0; i < lines; i++) body += `line ${i} of ${path}\n`;
  return body;
}

export interface LocalHttpServer {
  readonly port: number;
  /** Requests answered so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/** Starts node:http on 127.0.0.1:port (0: a free one); GET /item/<n> answers bodyFor(path), anything else 404. */
export async function startHttpServer(port = 0): Promise<LocalHttpServer> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    const path = req.url ?? '/';
    const found = req.method === 'GET' && /^\/item\/\d+$/.test(path);
    const body = found ? bodyFor(path) : `no ${path} here\n`;
    // An explicit length: the response is not chunked, so its body is exactly what follows the
    // headers up to the close (the fetcher checks the two agree).
    res.writeHead(found ? 200 : 404, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    get requests() {
      return requests;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The fetcher.

export interface FetchResult {
  path: string;
  /** The status code, or null if the request failed before a response was parsed. */
  status: number | null;
  reason: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** What went wrong ('ECONNREFUSED', 'ETIMEDOUT', 'bad response: ...'), or null. */
  error: string | null;
  /** From connect() to the end of the response. */
  ms: number;
  /** Writable events it took to send the request (1 unless sends were partial). */
  sendCalls: number;
  /** recv calls that returned data. */
  recvCalls: number;
}

export interface FetchOptions {
  host?: string;
  port: number;
  paths: string[];
  selector?: SelectorName;
  /** Send at most this many bytes per writable event (default: all that fits), to force partial sends. */
  maxSendBytes?: number;
  /** Requests still unfinished after this long fail with ETIMEDOUT (default 10 s). */
  timeoutMs?: number;
  /** Called as each request finishes, in the order they finish. */
  onResult?: (result: FetchResult) => void;
}

type Phase = 'connecting' | 'sending' | 'receiving';

/** One GET in flight: the selector key's data. */
interface Request {
  path: string;
  socket: TcpSocket;
  phase: Phase;
  request: Uint8Array;
  sent: number;
  sendCalls: number;
  chunks: Uint8Array[];
  recvCalls: number;
  started: number;
}

/** GETs every path from host:port concurrently on one selector; resolves with the results in path order. */
export async function fetchAll(options: FetchOptions): Promise<FetchResult[]> {
  const host = options.host ?? '127.0.0.1';
  const maxSend = options.maxSendBytes && options.maxSendBytes > 0 ? options.maxSendBytes : Infinity;
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  const selector: BaseSelector<Request> = new SELECTORS[options.selector ?? 'epoll']<Request>();
  const results = new Map<Request, FetchResult>();
  const order: Request[] = [];

  const finish = (req: Request, error: string | null): void => {
    selector.unregister(req.socket);
    req.socket.close();
    const result = error === null ? parseResponse(req) : failed(req, error);
    results.set(req, result);
    options.onResult?.(result);
  };

  /** The connection is made (or failed): start sending. */
  const connected = (req: Request): void => {
    const error = req.socket.getError(); // SO_ERROR: how the non-blocking connect ended
    if (error !== null) return finish(req, error);
    req.phase = 'sending';
    send(req);
  };

  const send = (req: Request): void => {
    const n = req.socket.send(req.request.subarray(req.sent, Math.min(req.request.length, req.sent + maxSend)));
    req.sendCalls++;
    req.sent += n;
    if (req.sent < req.request.length) return; // partial: the rest when it is writable again
    // All sent: from now on only the response matters. Still watching EVENT_WRITE would report
    // the socket at every select, since it stays writable.
    req.phase = 'receiving';
    selector.modify(req.socket, EVENT_READ, req);
  };

  const receive = (req: Request): void => {
    // Level-triggered: reading once per event would be enough, but reading what is queued now
    // saves a select per chunk. null means "nothing more for now", an empty array the EOF.
    for (;;) {
      const data = req.socket.recv(64 * 1024);
      if (data === null) return;
      if (data.length === 0) return finish(req, null);
      req.chunks.push(data);
      req.recvCalls++;
    }
  };

  try {
    for (const path of options.paths) {
      // Non-blocking connect: returns at once; the socket shows nothing until the outcome is known.
      const socket = connect({ host, port: options.port });
      const request = new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${options.port}\r\nUser-Agent: wasmux-http-fetcher\r\n` +
        'Accept: */*\r\nConnection: close\r\n\r\n');
      const req: Request = {
        path, socket, phase: 'connecting', request, sent: 0, sendCalls: 0, chunks: [], recvCalls: 0, started: performance.now(),
      };
      order.push(req);
      selector.register(socket, EVENT_WRITE, req); // writable = connected (or failed)
    }

    while (results.size < order.length) {
      const left = deadline - performance.now();
      if (left <= 0) {
        for (const req of order) if (!results.has(req)) finish(req, 'ETIMEDOUT');
        break;
      }
      for (const [key, events] of await selector.select(left)) {
        const req = key.data;
        try {
          if (req.phase === 'connecting' && events & EVENT_WRITE) connected(req);
          else if (req.phase === 'sending' && events & EVENT_WRITE) send(req);
          else if (req.phase === 'receiving' && events & EVENT_READ) receive(req);
        } catch (error) {
          // A reset while sending (EPIPE, ECONNRESET) or receiving ends this request only.
          const code = (error as { code?: unknown }).code;
          if (typeof code !== 'string') throw error;
          finish(req, code);
        }
      }
    }
  } finally {
    for (const req of order) if (!results.has(req)) req.socket.close();
    selector.close();
  }
  return order.map((req) => results.get(req)!);
}

function failed(req: Request, error: string): FetchResult {
  return {
    path: req.path, status: null, reason: '', headers: {}, body: new Uint8Array(0), error,
    ms: performance.now() - req.started, sendCalls: req.sendCalls, recvCalls: req.recvCalls,
  };
}

/** Splits what was received into status line, headers and body; a malformed one becomes an error result. */
function parseResponse(req: Request): FetchResult {
  const data = concat(req.chunks);
  const end = indexOf(data, CRLFCRLF);
  if (end < 0) return failed(req, 'bad response: no end of headers');
  const [statusLine = '', ...headerLines] = new TextDecoder('latin1').decode(data.subarray(0, end)).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (status === null) return failed(req, `bad response: status line ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = data.subarray(end + CRLFCRLF.length);
  const result: FetchResult = {
    path: req.path, status: Number(status[1]), reason: status[2] ?? '', headers, body, error: null,
    ms: performance.now() - req.started, sendCalls: req.sendCalls, recvCalls: req.recvCalls,
  };
  // The body ends at the close; a Content-Length that disagrees means the response was cut short.
  // (This example reads close-delimited bodies and does not decode chunked ones.)
  if (headers['transfer-encoding'] !== undefined) result.error = 'bad response: Transfer-Encoding is not decoded here';
  else if (headers['content-length'] !== undefined && Number(headers['content-length']) !== body.length) {
    result.error = `bad response: Content-Length ${headers['content-length']}, ${body.length} bytes received`;
  }
  return result;
}

const CRLFCRLF = new Uint8Array([13, 10, 13, 10]);

function indexOf(data: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= data.length; i++) {
    for (let j = 0; j < needle.length; j++) if (data[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** "GET /item/3 -> 200 OK, 2,731 bytes in 4 recv calls, 1 send call, 3.2 ms", or the error. */
export function formatResult(r: FetchResult): string {
  const timing = `${r.ms.toFixed(1)} ms`;
  if (r.status === null) return `GET ${r.path} -> failed: ${r.error} (${timing})`;
  const calls = `${r.recvCalls} recv call${r.recvCalls === 1 ? '' : 's'}, ${r.sendCalls} send call${r.sendCalls === 1 ? '' : 's'}`;
  const line = `GET ${r.path} -> ${r.status} ${r.reason}, ${r.body.length.toLocaleString('en-US')} bytes in ${calls}, ${timing}`;
  return r.error === null ? line : `${line} (${r.error})`;
}

// ---------------------------------------------------------------------------------------------

const USAGE = 'usage: http-fetcher [--port 0] [--count 20] [--selector epoll|poll|select] [--max-send 0]';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : process.argv[at + 1] ?? '';
}

function numberFlag(name: string, fallback: number, min: number): number {
  const value = Number(flag(name, String(fallback)));
  if (!Number.isSafeInteger(value) || value < min) {
    console.error(`${USAGE}  (bad ${name})`);
    process.exit(2);
  }
  return value;
}

if (isMainModule(import.meta.url)) {
  const port = numberFlag('--port', 0, 0);
  const count = numberFlag('--count', 20, 1);
  const maxSendBytes = numberFlag('--max-send', 0, 0);
  const selector = flag('--selector', 'epoll');
  if (!(selector in SELECTORS)) {
    console.error(`${USAGE}  (bad --selector)`);
    process.exit(2);
  }
  const server = await startHttpServer(port);
  const paths = Array.from({ length: count }, (_, i) => `/item/${i}`);
  console.log(`fetching ${count} paths at once from the local HTTP server on 127.0.0.1:${server.port} (${selector} selector)`);
  const started = performance.now();
  const results = await fetchAll({
    port: server.port, paths, selector: selector as SelectorName, maxSendBytes,
    onResult: (r) => console.log(formatResult(r)), // in the order they finish
  });
  const ok = results.filter((r) => r.status === 200 && r.error === null && new TextDecoder().decode(r.body) === bodyFor(r.path));
  console.log(`${ok.length}/${count} responses complete and correct in ${(performance.now() - started).toFixed(1)} ms`);
  await server.close();
  process.exitCode = ok.length === count ? 0 : 1;
}

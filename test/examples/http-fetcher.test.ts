// examples/http-fetcher.ts: 20 concurrent GETs on one selector against the example's own
// node:http server, every response checked (status, headers, the distinct body of each path);
// partial sends; and the failures a non-blocking client must report (refused, no answer).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SELECTORS, bodyFor, fetchAll, formatResult, startHttpServer, type FetchResult, type LocalHttpServer,
} from '../../examples/http-fetcher.js';
import { expectTableEmptyAfterEach } from '../helpers.js';
import { closedPort } from '../sources/tcp-helpers.js';
import { killChildrenAfterEach, runExample, within } from './classic-helpers.js';

expectTableEmptyAfterEach();
killChildrenAfterEach();

const paths = Array.from({ length: 20 }, (_, i) => `/item/${i}`);
const decode = (body: Uint8Array): string => new TextDecoder().decode(body);

let server: LocalHttpServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

function expectAllCorrect(results: FetchResult[]): void {
  expect(results.map((r) => r.path)).toEqual(paths);
  for (const r of results) {
    expect(r.error, r.path).toBeNull();
    expect(r.status, r.path).toBe(200);
    expect(r.reason, r.path).toBe('OK');
    expect(r.headers['content-type'], r.path).toBe('text/plain');
    expect(r.headers.connection, r.path).toBe('close');
    expect(decode(r.body) === bodyFor(r.path), `${r.path}: body`).toBe(true);
  }
}

describe('http fetcher', () => {
  it('every path has its own body, some large enough to span many TCP segments', () => {
    const bodies = paths.map(bodyFor);
    expect(new Set(bodies).size).toBe(20);
    expect(Math.max(...bodies.map((b) => b.length))).toBeGreaterThan(40_000);
  });

  it('fetches 20 paths concurrently on the default (epoll) selector: all 200 with the right bodies', async () => {
    server = await startHttpServer();
    const finished: string[] = [];
    const results = await within(fetchAll({ port: server.port, paths, onResult: (r) => finished.push(r.path) }), '20 GETs');
    expectAllCorrect(results);
    expect(server.requests).toBe(20);
    expect(finished.sort()).toEqual([...paths].sort()); // each reported once, as it finished
    expect(formatResult(results[3]!)).toMatch(/^GET \/item\/3 -> 200 OK, 10,138 bytes in \d+ recv calls?, 1 send call, [\d.]+ ms$/);
  });

  for (const selector of Object.keys(SELECTORS) as Array<keyof typeof SELECTORS>) {
    it(`${selector} selector, requests sent 7 bytes per writable event: partial sends resume where they stopped`, async () => {
      server = await startHttpServer();
      const results = await within(fetchAll({ port: server.port, paths, selector, maxSendBytes: 7 }), '20 GETs');
      expectAllCorrect(results);
      for (const r of results) {
        const requestLength = `GET ${r.path} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUser-Agent: wasmux-http-fetcher\r\n`.length +
          'Accept: */*\r\nConnection: close\r\n\r\n'.length;
        expect(r.sendCalls, r.path).toBe(Math.ceil(requestLength / 7));
      }
    });
  }

  it('reports the status of a response that is not 200', async () => {
    server = await startHttpServer();
    const [r] = await within(fetchAll({ port: server.port, paths: ['/nowhere'] }), 'one GET');
    expect(r!.status).toBe(404);
    expect(r!.error).toBeNull();
    expect(decode(r!.body)).toBe('no /nowhere here\n');
  });

  it('a refused connection shows as writable with SO_ERROR set: every request fails with ECONNREFUSED', async () => {
    const port = await closedPort();
    const results = await within(fetchAll({ port, paths: paths.slice(0, 5) }), 'refused GETs');
    for (const r of results) {
      expect(r.status).toBeNull();
      expect(r.error).toBe('ECONNREFUSED');
      expect(r.sendCalls).toBe(0);
    }
    expect(formatResult(results[0]!)).toMatch(/^GET \/item\/0 -> failed: ECONNREFUSED/);
  });

  it('a server that never answers: the requests fail with ETIMEDOUT at the deadline, and all sockets are closed', async () => {
    const accepted = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      accepted.add(socket); // reads the request, never answers
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const results = await within(fetchAll({ port, paths: paths.slice(0, 3), timeoutMs: 300 }), 'GETs to a silent server');
      for (const r of results) {
        expect(r.error).toBe('ETIMEDOUT');
        expect(r.sendCalls).toBe(1); // the request was sent; no reply came
      }
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('runs as a program: one line per request, and a summary that checked every body', async () => {
    const child = runExample('http-fetcher', ['--count', '20', '--selector', 'poll', '--max-send', '16']);
    expect(await child.exited()).toEqual({ code: 0, signal: null });
    const lines = child.stdout().split('\n');
    expect(lines[0]).toMatch(/^fetching 20 paths at once from the local HTTP server on 127\.0\.0\.1:\d+ \(poll selector\)$/);
    const fetched = lines.filter((line) => / -> 200 OK, [\d,]+ bytes in \d+ recv calls?, \d+ send calls, [\d.]+ ms$/.test(line));
    expect(fetched.map((line) => line.split(' ')[1]).sort()).toEqual([...paths].sort());
    expect(child.stdout()).toMatch(/^20\/20 responses complete and correct in [\d.]+ ms$/m);
  });

  it('refuses a bad flag with a usage message and exit code 2', async () => {
    const child = runExample('http-fetcher', ['--selector', 'kqueue']);
    expect(await child.exited()).toEqual({ code: 2, signal: null });
    expect(child.stderr()).toMatch(/usage: http-fetcher/);
  });
});

// examples/epoll-echo-server.ts, the edge-triggered Epoll echo server: a client that half-closes
// at once and reads late (its EOF is read while echo is still pending: every byte must still
// come back before the close), the same at the default pending bound, and the program itself.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { serveEcho, type EchoServer, type EchoServerOptions } from '../../examples/epoll-echo-server.js';
import { listen } from '../../src/index.js';
import { expectTableEmptyAfterEach } from '../helpers.js';
import {
  exchange, killChildrenAfterEach, runExample, sendAllThenReadLate, sha256, signal, within,
} from './classic-helpers.js';

expectTableEmptyAfterEach();
killChildrenAfterEach();

async function withServer(options: EchoServerOptions, body: (server: EchoServer, port: number) => Promise<void>): Promise<void> {
  const listener = await listen({ host: '127.0.0.1', port: 0 });
  const server = serveEcho(listener, options);
  try {
    await body(server, listener.address().port);
  } finally {
    server.stop();
    await within(server.done, 'the server to stop');
  }
}

describe('epoll echo server (edge-triggered)', () => {
  it('a client that half-closes at once and reads only after its EOF was read gets every byte, then the close', async () => {
    let eofSeen!: (pending: number) => void;
    const eof = new Promise<number>((resolve) => (eofSeen = resolve));
    const options: EchoServerOptions = { maxPendingBytes: 64 << 20, onEof: (_, pending) => eofSeen(pending) };
    await withServer(options, async (server, port) => {
      const data = randomBytes(16 << 20); // more than loopback's kernel buffers can absorb
      const back = await sendAllThenReadLate(port, data, eof, 50_000);
      expect(await eof, 'echo bytes pending when the EOF was read').toBeGreaterThan(0);
      expect(back.bytes).toBe(data.length);
      expect(back.sha256).toBe(sha256(data));
      expect(server.stats.bytesEchoed).toBe(data.length);
      expect(server.stats.closed).toBe(1);
    });
  }, 60_000);

  it('the same at the default pending bound: reading pauses, resumes as the client reads, every byte comes back', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const pendingAtEof: number[] = [];
    const options: EchoServerOptions = { onSendBlocked: () => release(), onEof: (_, pending) => pendingAtEof.push(pending) };
    await withServer(options, async (server, port) => {
      const data = randomBytes(6 << 20);
      const back = await sendAllThenReadLate(port, data, released, 50_000);
      expect(pendingAtEof).toHaveLength(1);
      expect(back.bytes).toBe(data.length);
      expect(back.sha256).toBe(sha256(data));
      expect(server.stats.sendsBlocked).toBeGreaterThan(0);
    });
  }, 60_000);

  it('runs as a program: echoes a client, stops on SIGINT with a summary', async () => {
    const child = runExample('epoll-echo-server', ['--port', '0']);
    const [, port] = await child.line(/on 127\.0\.0\.1:(\d+);/);
    expect(await exchange(Number(port), ['ping\n', 'pong\n'])).toBe('ping\npong\n');
    signal(child, 'SIGINT');
    expect(await child.exited()).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toMatch(/served 1 connections, 10 bytes/);
  });
});

// examples/blocking-style-server.ts: one async handler per connection on an EventLoop. Replies
// are checked against node:net clients; a client that sends nothing must not hold up the others
// (its handler waits alone); a slow reader goes through sockSendall's waits; a reset ends one
// handler only; and the program runs and stops on SIGINT.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { SELECTORS, serveBlockingStyle, type BlockingStyleServer } from '../../examples/blocking-style-server.js';
import { upperCase } from '../../examples/upper-case.js';
import { listen } from '../../src/index.js';
import { expectTableEmptyAfterEach } from '../helpers.js';
import {
  exchange, killChildrenAfterEach, runExample, sendAllThenReadLate, sha256, signal, upper, within,
} from './classic-helpers.js';

expectTableEmptyAfterEach();
killChildrenAfterEach();

async function stop(server: BlockingStyleServer): Promise<void> {
  server.stop();
  await within(server.done, 'the server to stop');
}

/** Resolves with the nth value passed to the returned callback. */
function nth<T>(n: number): { callback: (value: T) => void; values: T[]; reached: Promise<T[]> } {
  const values: T[] = [];
  let resolve!: (values: T[]) => void;
  const reached = new Promise<T[]>((r) => (resolve = r));
  return { values, reached, callback: (value) => values.push(value) === n && resolve(values) };
}

describe('blocking-style server', () => {
  it('upper-cases bytes, leaving everything but a-z alone', () => {
    expect(new TextDecoder().decode(upperCase(new TextEncoder().encode('abc xyz ABC é{`}')))).toBe('ABC XYZ ABC é{`}');
  });

  for (const selector of Object.keys(SELECTORS) as Array<keyof typeof SELECTORS>) {
    it(`${selector}: answers 20 concurrent clients, each message upper-cased and in order`, async () => {
      const listener = await listen({ host: '127.0.0.1', port: 0 });
      const server = serveBlockingStyle(listener, { selector });
      const scripts = Array.from({ length: 20 }, (_, c) =>
        Array.from({ length: 10 }, (_, m) => `client ${c} says hello ${m}\n`));
      const replies = await Promise.all(scripts.map((chunks) => exchange(listener.address().port, chunks)));
      for (const [c, chunks] of scripts.entries()) expect(replies[c], `client ${c}`).toBe(upper(chunks.join('')));
      expect(server.stats.accepted).toBe(20);
      expect(server.stats.closed).toBe(20);
      expect(server.stats.bytesEchoed).toBe(scripts.flat().join('').length);
      await stop(server);
    });
  }

  it('a client that sends nothing keeps only its own handler waiting', async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    const server = serveBlockingStyle(listener);
    const port = listener.address().port;
    // The idle client connects first; its handler is suspended in sockRecv the whole time.
    const idle = net.connect({ host: '127.0.0.1', port });
    await within(new Promise((resolve) => idle.once('connect', resolve)), 'the idle client to connect');
    const replies = await Promise.all([0, 1, 2].map((i) => exchange(port, [`busy client ${i}\n`])));
    expect(replies).toEqual(['BUSY CLIENT 0\n', 'BUSY CLIENT 1\n', 'BUSY CLIENT 2\n']);
    expect(server.stats.peakHandlers).toBeGreaterThanOrEqual(2); // the idle one and at least one other
    // The idle client, served last, is still answered.
    const late = new Promise<string>((resolve) => idle.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    idle.write('finally\n');
    expect(await within(late, 'the idle client reply')).toBe('FINALLY\n');
    idle.destroy();
    await stop(server);
  });

  it('4 MiB through a 4 KiB send buffer: sockSendall waits for room, no byte lost', async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0, sendCapacity: 4096 });
    const server = serveBlockingStyle(listener);
    const data = randomBytes(4 * 1024 * 1024).toString('latin1');
    const reply = await exchange(listener.address().port, [data]);
    const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
    expect(reply.length).toBe(data.length);
    expect(sha(reply)).toBe(sha(upper(data)));
    await stop(server);
  });

  it('a client that half-closes at once and reads only after its handler closed the socket gets every byte', async () => {
    // The handler meets the EOF with its replies handed to the socket but not yet read by the
    // client (its window is closed): close() must still deliver them, then the FIN.
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    const ended = nth<string | null>(1);
    const server = serveBlockingStyle(listener, { onHandlerDone: ended.callback });
    const data = randomBytes(200 * 1024); // within the socket's 256 KiB send buffer: sockSendall never waits
    const back = await sendAllThenReadLate(listener.address().port, data, ended.reached);
    expect(ended.values).toEqual([null]); // ended at the EOF, before the client read a byte
    expect(back.bytes).toBe(data.length);
    expect(back.sha256).toBe(sha256(upperCase(data)));
    await stop(server);
  });

  it('a client that resets ends its own handler with ECONNRESET; the others go on', async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    const ended = nth<string | null>(2);
    const server = serveBlockingStyle(listener, { onHandlerDone: ended.callback });
    const port = listener.address().port;
    const rude = net.connect({ host: '127.0.0.1', port });
    rude.on('error', () => {});
    const firstReply = new Promise<string>((resolve) => rude.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    rude.write('hello\n');
    expect(await within(firstReply, 'the first reply')).toBe('HELLO\n');
    rude.resetAndDestroy(); // RST: the handler's next sockRecv rejects
    expect(await exchange(port, ['still here\n'])).toBe('STILL HERE\n');
    expect((await within(ended.reached, 'both handlers to finish')).sort()).toEqual(['ECONNRESET', null].sort());
    await stop(server);
  });

  it('runs as a program: serves a client, stops on SIGINT with a summary', async () => {
    const child = runExample('blocking-style-server', ['--port', '0', '--selector', 'poll']);
    const [, port] = await child.line(/\(one async handler per connection, poll selector\) on 127\.0\.0\.1:(\d+);/);
    expect(await exchange(Number(port), ['ping\n', 'pong\n'])).toBe('PING\nPONG\n');
    signal(child, 'SIGINT');
    expect(await child.exited()).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toMatch(/served 1 connections \(at most 1 at once\), \d+ messages, 10 bytes/);
  });

  it('refuses a bad flag with a usage message and exit code 2', async () => {
    const child = runExample('blocking-style-server', ['--selector', 'threads']);
    expect(await child.exited()).toEqual({ code: 2, signal: null });
    expect(child.stderr()).toMatch(/usage: blocking-style-server/);
  });
});

// Example 3, the select() upper-case server: several clients, each reply upper-cased in full; a
// client whose EOF comes while replies still wait for it (its socket leaves the read list at the
// EOF and is dropped once the replies are out: that second removal must not take another socket
// with it, the stop eventfd least of all); a client that resets with replies waiting.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { upperCase } from '../../examples/upper-case.js';
import { startSelectUpperServer, type SelectUpperOptions, type SelectUpperServer } from '../../examples/select-upper-server.js';
import { expectTableEmptyAfterEach } from '../helpers.js';
import { exchange, killChildrenAfterEach, runExample, sendAllThenReadLate, sha256, signal, upper, within } from './classic-helpers.js';

expectTableEmptyAfterEach();
killChildrenAfterEach();

/** Runs `body` against a server, then checks that stop() still ends its loop. */
async function withServer(options: SelectUpperOptions, body: (server: SelectUpperServer) => Promise<void>): Promise<void> {
  const server = await startSelectUpperServer(0, options);
  try {
    await body(server);
  } finally {
    server.stop();
    await within(server.done, 'stop() to end the loop');
  }
}

/** A connected node:net client, and a promise of its next `n` received bytes as text. */
async function connected(port: number): Promise<{ socket: net.Socket; read(n: number): Promise<string> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  let got = '';
  let wake = (): void => {};
  socket.on('data', (chunk: Buffer) => {
    got += chunk.toString('latin1');
    wake();
  });
  await within(new Promise((resolve) => socket.once('connect', resolve)), 'the client to connect');
  return {
    socket,
    read: (n) => within(new Promise<string>((resolve) => {
      wake = () => {
        if (got.length < n) return;
        resolve(got.slice(0, n));
        got = got.slice(n);
      };
      wake();
    }), `${n} bytes of reply`),
  };
}

describe('select() upper-case server', () => {
  it('answers every client with its text upper-cased, ASCII only', async () => {
    await withServer({}, async (server) => {
      const scripts = Array.from({ length: 6 }, (_, i) => [`hello ${i}\n`, 'élan vital\n', `${'x'.repeat(5000 + i)}\n`]);
      const replies = await Promise.all(scripts.map((chunks) => exchange(server.port, chunks)));
      for (const [i, chunks] of scripts.entries()) expect(replies[i]).toBe(upper(chunks.join('')));
    });
  });

  it('a client whose EOF comes with replies waiting gets them all; stop() still ends the loop after its drop', async () => {
    let eofSeen!: (waiting: number) => void;
    const eof = new Promise<number>((resolve) => (eofSeen = resolve));
    await withServer({ onEof: (waiting) => eofSeen(waiting) }, async (server) => {
      const data = randomBytes(8 << 20); // more than loopback's kernel buffers and the socket's hold
      const back = await sendAllThenReadLate(server.port, data, eof, 50_000);
      expect(await eof, 'reply bytes waiting when the EOF was read').toBeGreaterThan(0);
      expect(back.bytes).toBe(data.length);
      expect(back.sha256).toBe(sha256(upperCase(data)));
    }); // withServer: stop() must wake the loop (the stop eventfd is still in the read list)
  }, 60_000);

  it('dropping such a client leaves every other socket in the read list: a client connected before it is still served', async () => {
    let eofSeen!: (waiting: number) => void;
    const eof = new Promise<number>((resolve) => (eofSeen = resolve));
    await withServer({ onEof: (waiting) => eofSeen(waiting) }, async (server) => {
      const other = await connected(server.port);
      other.socket.write('before\n');
      expect(await other.read(7)).toBe('BEFORE\n');
      // The late reader is accepted after `other`, so it is the last in the read list at its EOF.
      const data = randomBytes(8 << 20);
      const back = await sendAllThenReadLate(server.port, data, eof, 50_000);
      expect(back.sha256).toBe(sha256(upperCase(data)));
      other.socket.write('after\n'); // read only if `other` is still in the read list
      expect(await other.read(6)).toBe('AFTER\n');
      other.socket.destroy();
    });
  }, 60_000);

  it('a client that half-closes, then resets with replies waiting: the failed send drops it; the others and stop() go on', async () => {
    let eofSeen!: (waiting: number) => void;
    const eof = new Promise<number>((resolve) => (eofSeen = resolve));
    await withServer({ onEof: (waiting) => eofSeen(waiting) }, async (server) => {
      const other = await connected(server.port);
      const rude = net.connect({ host: '127.0.0.1', port: server.port });
      rude.on('error', () => {});
      rude.pause(); // never reads: its replies wait in the server
      rude.end(Buffer.alloc(8 << 20, 'a'));
      // Its EOF takes it out of the read list; only the write list holds it now.
      expect(await within(eof, 'the rude client\'s EOF'), 'reply bytes waiting at the EOF').toBeGreaterThan(0);
      rude.resetAndDestroy(); // RST: the server's next send to it fails (EPIPE or ECONNRESET)
      other.socket.write('still here\n');
      expect(await other.read(11)).toBe('STILL HERE\n');
      other.socket.destroy();
    });
  }, 60_000);

  it('runs as a program: answers a client, stops on SIGINT', async () => {
    const child = runExample('select-upper-server', ['--port', '0']);
    const [, port] = await child.line(/on 127\.0\.0\.1:(\d+);/);
    expect(await exchange(Number(port), ['ping\n'])).toBe('PING\n');
    signal(child, 'SIGINT');
    expect(await child.exited()).toEqual({ code: 0, signal: null });
  });
});

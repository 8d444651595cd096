// Example 4, the selectors echo server with callbacks, on every selector: several clients at once,
// a client that stops reading (the server keeps what send did not take and stops reading), a
// client that half-closes at once and reads late (its EOF arrives while echo is still kept: the
// server must send all of it before closing), stop().
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  DefaultSelector, SELECTORS, startSelectorsEchoServer, type SelectorName, type SelectorsEchoOptions,
  type SelectorsEchoServer,
} from '../../src/index.js';
import { expectTableEmptyAfterEach } from '../helpers.js';
import { sendAllThenReadLate, sha256, within } from './classic-helpers.js';

expectTableEmptyAfterEach();

/** Sends `data`, half-closes, and resolves with everything echoed until the server closes. */
function echoThrough(port: number, data: Uint8Array, readAfter?: Promise<void>): Promise<Buffer> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const parts: Buffer[] = [];
  if (readAfter) {
    socket.pause();
    void readAfter.then(() => socket.resume());
  }
  socket.on('data', (chunk: Buffer) => parts.push(chunk));
  socket.end(data); // queued until the connection is up: no 'connect' to miss
  return within(new Promise<Buffer>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(parts)));
  }), `echo of ${data.length} bytes`, 50_000);
}

/** Runs `body` against a server started with `options`, and always stops the server after. */
async function withServer(options: SelectorsEchoOptions, body: (server: SelectorsEchoServer) => Promise<void>): Promise<void> {
  const server = await startSelectorsEchoServer(options);
  try {
    await body(server);
  } finally {
    server.stop();
    await within(server.done, 'the server to stop');
  }
}

it('the example\'s default selector (epoll) is DefaultSelector, so the three below cover all four classes', () => {
  expect(SELECTORS.epoll).toBe(DefaultSelector);
});

it('a recvSize that is not a positive integer up to 2^30 is EINVAL, before anything is opened', async () => {
  for (const recvSize of [0, -1, 1.5, Number.NaN, 2 ** 30 + 1]) {
    await expect(startSelectorsEchoServer({ recvSize }), String(recvSize)).rejects.toMatchObject({ code: 'EINVAL' });
  }
});

describe.each(Object.keys(SELECTORS) as SelectorName[])('selectors echo server (%s)', (selector) => {
  it('echoes several clients at once, byte for byte', async () => {
    await withServer({ selector }, async (server) => {
      const payloads = Array.from({ length: 8 }, (_, i) => randomBytes(1000 + i * 50_000));
      const echoed = await Promise.all(payloads.map((data) => echoThrough(server.port, data)));
      for (const [i, data] of payloads.entries()) expect(sha256(echoed[i]!), `client ${i}`).toBe(sha256(data));
      expect(server.stats.accepted).toBe(8);
      expect(server.stats.open).toBe(0);
    });
  });

  it('reads with a small recvSize into its one buffer: every client still gets its own bytes', async () => {
    // The buffer is shared by every connection and reused at each read: what a send did not take
    // must be kept as a copy, or the next read would change it.
    await withServer({ selector, recvSize: 777 }, async (server) => {
      const payloads = Array.from({ length: 4 }, (_, i) => randomBytes(200_000 + i * 1000));
      const echoed = await Promise.all(payloads.map((data) => echoThrough(server.port, data)));
      for (const [i, data] of payloads.entries()) expect(sha256(echoed[i]!), `client ${i}`).toBe(sha256(data));
    });
  });

  it('keeps what a non-reading client cannot take yet, and delivers it once it reads', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // The client starts reading only once a send of the server's was refused (buffers full).
    await withServer({ selector, onSendBlocked: () => release() }, async (server) => {
      const data = randomBytes(24 << 20); // more than the kernel's and our buffers hold
      const back = await echoThrough(server.port, data, released);
      expect(server.stats.sendsBlocked).toBeGreaterThan(0);
      expect(back.length).toBe(data.length);
      expect(sha256(back)).toBe(sha256(data));
    });
  }, 60_000);

  it('a client that half-closes at once and reads only after its EOF was read gets every byte, then the close', async () => {
    // The server never pauses reading here (the whole payload may be kept), so it reads the EOF
    // while most of the echo is still kept; only then does the client start reading.
    let eofSeen!: (kept: number) => void;
    const eof = new Promise<number>((resolve) => (eofSeen = resolve));
    await withServer({ selector, maxPendingBytes: 64 << 20, onEof: (kept) => eofSeen(kept) }, async (server) => {
      const data = randomBytes(16 << 20); // more than loopback's kernel buffers can absorb
      const back = await sendAllThenReadLate(server.port, data, eof, 50_000);
      expect(await eof, 'echo bytes kept when the EOF was read').toBeGreaterThan(0);
      expect(back.bytes).toBe(data.length);
      expect(back.sha256).toBe(sha256(data));
      expect(server.stats.bytesEchoed).toBe(data.length);
      expect(server.stats.open).toBe(0); // closed once the last byte was out
    });
  }, 60_000);

  it('the same with reading paused at the default bound: the EOF is read only after the client reads', async () => {
    // The client starts reading once the server holds back (a send took less than given); from
    // then on the server alternates between sending and reading, and meets the EOF with echo
    // kept or not, as it happens: every byte must come back either way.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const kept: number[] = [];
    await withServer({ selector, onSendBlocked: () => release(), onEof: (bytes) => kept.push(bytes) }, async (server) => {
      const data = randomBytes(6 << 20);
      const back = await sendAllThenReadLate(server.port, data, released, 50_000);
      expect(kept).toHaveLength(1);
      expect(back.bytes).toBe(data.length);
      expect(back.sha256).toBe(sha256(data));
    });
  }, 60_000);

  it('stop() ends the loop with connections still open, closing everything', async () => {
    const server = await startSelectorsEchoServer({ selector });
    const socket = net.connect({ host: '127.0.0.1', port: server.port });
    socket.on('error', () => {});
    const firstEcho = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    socket.write('still here');
    expect((await within(firstEcho, 'the first echo')).toString()).toBe('still here');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    server.stop();
    await within(server.done, 'the server to stop');
    await within(closed, 'the client to see the close');
  });
});

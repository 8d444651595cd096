// Example 4, the selectors echo server with callbacks, on every selector: several clients at once,
// a client that stops reading (the server keeps what send did not take and stops reading), stop().
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { SELECTORS, startSelectorsEchoServer, type SelectorName } from '../../examples/selectors-echo-server.js';
import { expectTableEmptyAfterEach } from '../helpers.js';

expectTableEmptyAfterEach();

/** Sends `data`, half-closes, and resolves with everything echoed until the server closes. */
async function echoThrough(port: number, data: Uint8Array, readAfter?: Promise<void>): Promise<Buffer> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const parts: Buffer[] = [];
  if (readAfter) {
    socket.pause();
    void readAfter.then(() => socket.resume());
  }
  socket.on('data', (chunk: Buffer) => parts.push(chunk));
  await once(socket, 'connect');
  socket.end(data);
  await once(socket, 'close');
  return Buffer.concat(parts);
}

const digest = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe.each(Object.keys(SELECTORS) as SelectorName[])('selectors echo server (%s)', (selector) => {
  it('echoes several clients at once, byte for byte', async () => {
    const server = await startSelectorsEchoServer({ selector });
    const payloads = Array.from({ length: 8 }, (_, i) => randomBytes(1000 + i * 50_000));
    const echoed = await Promise.all(payloads.map((data) => echoThrough(server.port, data)));
    for (const [i, data] of payloads.entries()) expect(digest(echoed[i]!), `client ${i}`).toBe(digest(data));
    expect(server.stats.accepted).toBe(8);
    expect(server.stats.open).toBe(0);
    server.stop();
    await server.done;
  });

  it('keeps what a non-reading client cannot take yet, and delivers it once it reads', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // The client starts reading only once a send of the server's was refused (buffers full).
    const server = await startSelectorsEchoServer({ selector, onSendBlocked: () => release() });
    const data = randomBytes(24 << 20); // more than the kernel's and our buffers hold
    const back = await echoThrough(server.port, data, released);
    expect(server.stats.sendsBlocked).toBeGreaterThan(0);
    expect(back.length).toBe(data.length);
    expect(digest(back)).toBe(digest(data));
    server.stop();
    await server.done;
  }, 60_000);
});

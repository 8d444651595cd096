/**
 * No byte lost, duplicated or reordered: 64 connections each send 4 MiB of random bytes through the
 * edge-triggered echo server of examples/ (small recvInto buffers), and SHA-256 of what the server
 * received and of what came back both equal SHA-256 of what was sent. One more client reads
 * nothing until the server has seen its send buffer full, so the backpressure path runs too.
 * The clients are plain node:net sockets: an oracle independent of the code under test.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { serveEcho } from '../../examples/epoll-echo-server.js';
import { listen } from '../../src/index.js';

const CONNECTIONS = Number(process.env.WASMUX_INTEGRITY_CONNECTIONS ?? 64);
const BYTES_PER_CONNECTION = 4 * 1024 * 1024;
const SLOW_READER_BYTES = 16 * 1024 * 1024; // more than loopback's kernel buffers can absorb
const WRITE_CHUNK = 64 * 1024;

interface ClientResult {
  localPort: number;
  sent: string;
  received: string;
  receivedBytes: number;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Connects, sends `data` (respecting drain), half-closes, and hashes everything echoed back. */
function runClient(port: number, data: Uint8Array, hooks: { paused?: Promise<void> } = {}): {
  localPort: Promise<number>;
  result: Promise<ClientResult>;
} {
  const socket = net.connect({ host: '127.0.0.1', port });
  const hash = createHash('sha256');
  let receivedBytes = 0;
  const localPort = new Promise<number>((resolve, reject) => {
    socket.once('connect', () => resolve(socket.localPort!));
    socket.once('error', reject);
  });
  if (hooks.paused) {
    socket.pause(); // reads nothing until released; adding 'data' below does not resume it
    void hooks.paused.then(() => socket.resume());
  }
  const result = new Promise<ClientResult>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      receivedBytes += chunk.length;
    });
    socket.once('error', reject);
    socket.once('end', () => {
      socket.end();
      resolve({ localPort: socket.localPort!, sent: sha256(data), received: hash.digest('hex'), receivedBytes });
    });
  });
  let offset = 0;
  const write = (): void => {
    while (offset < data.length) {
      const chunk = data.subarray(offset, offset + WRITE_CHUNK);
      offset += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', write);
        return;
      }
    }
    socket.end(); // FIN: the server echoes the rest, then closes
  };
  socket.once('connect', write);
  return { localPort, result };
}

describe('integrity under load', () => {
  it(`echoes ${CONNECTIONS} × 4 MiB and a slow reader's 16 MiB, byte for byte`, async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    const port = listener.address().port;

    // Server side: hash what each connection received, keyed by the client's port.
    const receivedByPort = new Map<number, ReturnType<typeof createHash>>();
    const portOf = new WeakMap<object, number>();
    let slowPort = -1;
    let releaseSlowReader!: () => void;
    const slowReaderReleased = new Promise<void>((resolve) => (releaseSlowReader = resolve));
    const server = serveEcho(listener, {
      readBufferSize: 1000, // small and odd-sized: chunks never line up with the senders' writes
      onReceive(socket, chunk) {
        let port = portOf.get(socket);
        if (port === undefined) {
          port = socket.remoteAddress().port;
          portOf.set(socket, port);
          receivedByPort.set(port, createHash('sha256'));
        }
        receivedByPort.get(port)!.update(chunk);
      },
      onSendBlocked(socket) {
        if (portOf.get(socket) === slowPort) releaseSlowReader();
      },
    });

    const payloads = Array.from({ length: CONNECTIONS }, () => randomBytes(BYTES_PER_CONNECTION));
    const slowPayload = randomBytes(SLOW_READER_BYTES);
    const slow = runClient(port, slowPayload, { paused: slowReaderReleased });
    slowPort = await slow.localPort;
    const clients = payloads.map((data) => runClient(port, data).result);
    const results = await Promise.all([...clients, slow.result]);

    for (const [i, r] of results.entries()) {
      const size = i < CONNECTIONS ? BYTES_PER_CONNECTION : SLOW_READER_BYTES;
      expect(r.receivedBytes, `client ${i}: bytes echoed`).toBe(size);
      expect(r.received, `client ${i}: what came back`).toBe(r.sent);
      expect(receivedByPort.get(r.localPort)?.digest('hex'), `client ${i}: what the server received`).toBe(r.sent);
    }
    // The slow reader was released by the server's send buffer filling, not by a timer.
    expect(server.stats.sendsBlocked).toBeGreaterThan(0);
    expect(server.stats.accepted).toBe(CONNECTIONS + 1);
    server.stop();
    await server.done;
  }, 180_000);
});

import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** What the demo's clients saw. */
export interface LoadReport {
  connections: number;
  messages: number;
  bytesSent: number;
  bytesReceived: number;
  /** Bytes that did not come back as sent (wrong, missing or extra): 0 for a correct server. */
  bytesLost: number;
  /** Round-trip times of every message, in milliseconds, sorted. */
  latenciesMs: Float64Array;
  errors: string[];
}

export interface LoadOptions {
  port: number;
  host?: string;
  connections: number;
  durationMs: number;
  /** Called about every 100 ms with the counts so far. */
  onProgress?: (messages: number, bytes: number, connected: number) => void;
}

/**
 * `connections` clients doing ping-pong against an echo server for `durationMs`: each sends a
 * message of random length (1 to 4096 random bytes), waits until the same bytes have come back,
 * checks them, and sends the next. Every byte that comes back different, or does not come back,
 * counts as lost.
 */
export async function runLoadClients(options: LoadOptions): Promise<LoadReport> {
  const host = options.host ?? '127.0.0.1';
  const latencies: number[] = [];
  const errors: string[] = [];
  let messages = 0;
  let bytesSent = 0;
  let bytesReceived = 0;
  let bytesLost = 0;
  let connected = 0;
  let stopping = false;
  const pool = randomBytes(1 << 16);

  const client = (id: number): Promise<void> => new Promise((resolve) => {
    const socket = net.connect({ host, port: options.port, noDelay: true });
    let expected: Buffer = Buffer.alloc(0);
    let got = 0;
    let sentAt = 0;
    let finished = false;
    const finish = (error?: Error): void => {
      if (finished) return;
      finished = true;
      if (error) errors.push(`client ${id}: ${(error as { code?: string }).code ?? error.message}`);
      bytesLost += expected.length - got; // what was still owed when it stopped
      socket.destroy();
      resolve();
    };
    const sendNext = (): void => {
      if (stopping) {
        finish();
        return;
      }
      const size = 1 + Math.floor(Math.random() * 4096);
      const start = Math.floor(Math.random() * (pool.length - size));
      expected = pool.subarray(start, start + size);
      got = 0;
      sentAt = performance.now();
      bytesSent += size;
      socket.write(expected);
    };
    socket.once('connect', () => {
      connected++;
      sendNext();
    });
    socket.on('data', (chunk: Buffer) => {
      bytesReceived += chunk.length;
      const fits = Math.min(chunk.length, expected.length - got);
      if (!chunk.subarray(0, fits).equals(expected.subarray(got, got + fits))) {
        finish(new Error('an echoed byte differs from what was sent'));
        return;
      }
      got += fits;
      bytesLost += chunk.length - fits; // extra bytes are as wrong as missing ones
      if (got === expected.length) {
        latencies.push(performance.now() - sentAt);
        messages++;
        sendNext();
      }
    });
    socket.on('error', finish);
    socket.on('close', () => finish(stopping ? undefined : new Error('closed by the server')));
  });

  const progress = options.onProgress
    ? setInterval(() => options.onProgress!(messages, bytesReceived, connected), 100)
    : undefined;
  const stopTimer = setTimeout(() => (stopping = true), options.durationMs);
  await Promise.all(Array.from({ length: options.connections }, (_, i) => client(i)));
  clearTimeout(stopTimer);
  if (progress) clearInterval(progress);
  return {
    connections: connected,
    messages,
    bytesSent,
    bytesReceived,
    bytesLost,
    latenciesMs: Float64Array.from(latencies).sort(),
    errors,
  };
}

/** The q-quantile (0..1) of sorted values, or NaN when there are none. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

// The least a Node echo server can do per message: the runtime's floor for this work, beside
// which the wasmux rows show what readiness, queues and promises cost. Each accepted connection's
// reads land in one shared buffer (withUserBufferReads, src/sources/tcp/net-internals.ts) and go
// straight back with fs.writeSync on the socket's fd, inside the read callback: no queue, no
// readiness, no wait. Where Node has bytes of ours queued (the kernel took part of a write), the
// rest goes through socket.write after them. Needs both internals; exits with a message where the
// runtime lacks one.
//
// --deferred: the least a readiness API must add to that. Node reuses its read buffer, so each
// read is copied out (to the end of one arena); the echo waits until after the I/O phase of the
// host loop's turn (one setImmediate per batch of reads, as wasmux's wakeups do); then one pass
// writes every queued read back. No readiness state, no wait, no promise: what is left between
// this row and a wasmux row is the cost of the API itself.
//   node dist/bench/echo/server-floor.js <port> [--timeout S] [--deferred]
import net from 'node:net';
import { DirectWriter, withUserBufferReads } from '../../src/sources/tcp/net-internals.js';
import { serveNet, serverArgs } from './lifecycle.js';

const args = serverArgs();
const sockets = new Set<net.Socket>();

const deferred = process.argv.includes('--deferred');

/** Writes n bytes of `bytes` back now; what the kernel does not take goes after Node's queue. */
function echo(sock: net.Socket, writer: DirectWriter, bytes: Uint8Array, n: number): void {
  const done = sock.writableLength > 0 ? 0 : writer.write(bytes, n);
  if (done < 0) {
    console.error('server-floor: no direct writes here (the socket has no fd)');
    process.exit(1);
  }
  if (done < n) sock.write(Buffer.from(bytes.subarray(done, n))); // a copy: the bytes are reused
}

// --deferred: the reads of this turn, copied to the arena, and whose they are.
const arena = Buffer.allocUnsafeSlow(4 << 20);
let arenaUsed = 0;
const queued: { sock: net.Socket; writer: DirectWriter; chunk: Uint8Array }[] = [];
const echoQueued = (): void => {
  for (const { sock, writer, chunk } of queued) echo(sock, writer, chunk, chunk.length);
  queued.length = 0;
  arenaUsed = 0;
};
function defer(sock: net.Socket, writer: DirectWriter, buffer: Buffer, n: number): void {
  if (arenaUsed + n > arena.length) echoQueued(); // the arena is full: echo what it holds first
  if (queued.length === 0) setImmediate(echoQueued);
  const chunk = new Uint8Array(arena.buffer, arena.byteOffset + arenaUsed, n);
  chunk.set(n === buffer.length ? buffer : buffer.subarray(0, n));
  arenaUsed += n;
  queued.push({ sock, writer, chunk });
}

const server = net.createServer({ noDelay: true, pauseOnConnect: true, allowHalfOpen: true }, (accepted) => {
  let socket: net.Socket | null = null;
  let writer: DirectWriter | null = null;
  socket = withUserBufferReads(accepted, (n, buffer) => {
    if (deferred) defer(socket!, writer!, buffer, n);
    else echo(socket!, writer!, buffer, n);
  });
  if (socket === null) {
    console.error('server-floor: this runtime cannot move accepted sockets to user-buffer reads');
    process.exit(1);
  }
  writer = new DirectWriter(socket);
  sockets.add(socket);
  socket.setNoDelay(true);
  socket.on('end', () => socket!.end());
  socket.on('error', () => socket!.destroy());
  socket.on('close', () => sockets.delete(socket!));
  socket.resume();
});
serveNet(server, sockets, args);

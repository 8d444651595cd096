import { Socket as NodeSocket } from 'node:net';

/**
 * Every undocumented part of node:net that wasmux touches, in one file. Each use is
 * feature-detected and has a documented fallback; tests switch each one off to run the fallback.
 *
 * 1. `socket._handle.fd`: the file descriptor of a TCP socket (POSIX only), read by
 *    reset-probe.ts to tell a reset from a FIN after Node reported EOF.
 * 2. `new net.Socket({ handle })`: wraps the handle of an accepted connection in a new socket
 *    made with `onread`. Node documents `onread` (reads land in one reused buffer and go to a
 *    callback, without 'data' events or a buffer allocated per read) only for sockets that
 *    connect(); a server's connections can have it only this way. Fallback: 'data' events.
 */

/** A read: n bytes at the start of `buffer`, which the next read overwrites. */
export type ReadCallback = (n: number, buffer: Buffer) => void;

const switches = { fd: true, userBufferReads: true };

/** Turns a use of internals off or on again (tests run the fallbacks with it). */
export function setInternals(which: 'fd' | 'userBufferReads', on: boolean): void {
  switches[which] = on;
}

interface StreamHandle {
  fd?: unknown;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

function handleOf(socket: NodeSocket): StreamHandle | null {
  const handle = (socket as unknown as { _handle?: unknown })._handle;
  return typeof handle === 'object' && handle !== null ? (handle as StreamHandle) : null;
}

/** The fd behind a net.Socket, or -1 when it cannot be had. */
export function socketFd(socket: NodeSocket): number {
  if (!switches.fd || process.platform === 'win32') return -1;
  const fd = handleOf(socket)?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : -1;
}

/** One buffer for every socket's reads: each callback copies out before another read can land. */
const readBuffer = Buffer.allocUnsafeSlow(64 * 1024);

/** The documented `onread` option of a socket that will connect(). */
export function onreadOption(callback: ReadCallback): { buffer: Buffer; callback: (n: number, buffer: Buffer) => boolean } {
  return {
    buffer: readBuffer,
    callback: (n, buffer) => {
      callback(n, buffer);
      return true; // keep reading; pause() stops the handle when we want it to
    },
  };
}

/**
 * An accepted connection (paused by pauseOnConnect, nothing read yet) moved to a new net.Socket
 * whose reads go to `callback`; the old socket is destroyed without its handle, which closes
 * nothing. null when that cannot be done here: the caller keeps the old socket and 'data' events.
 */
export function withUserBufferReads(socket: NodeSocket, callback: ReadCallback): NodeSocket | null {
  if (!switches.userBufferReads || socket.destroyed || socket.readableLength > 0) return null;
  const handle = handleOf(socket);
  if (handle === null || typeof handle.readStart !== 'function' || typeof handle.useUserBuffer !== 'function') return null;
  (socket as unknown as { _handle: unknown })._handle = null;
  socket.destroy();
  const options = { handle, allowHalfOpen: true, onread: onreadOption(callback) };
  return new NodeSocket(options as ConstructorParameters<typeof NodeSocket>[0]);
}

import { writeSync } from 'node:fs';
import { Socket as NodeSocket } from 'node:net';

/**
 * Every undocumented part of node:net that wasmux touches, in one file. Each use is
 * feature-detected and has a documented fallback; tests switch each one off to run the fallback.
 *
 * 1. `socket._handle.fd`: the file descriptor of a TCP socket (POSIX only; Deno has none), read
 *    by reset-probe.ts to tell a reset from a FIN after the runtime reported EOF.
 * 2. The same fd, written with fs.writeSync when Node has nothing queued for the socket: one
 *    write(2) straight from the caller's bytes, without a WriteWrap, a stream callback or a copy
 *    (the kernel copies). What the kernel does not take goes through socket.write as before, so
 *    the order of bytes is kept. Fallback: socket.write for everything.
 * 3. `new net.Socket({ handle })`: wraps the handle of an accepted connection in a new socket
 *    made with `onread`. Node documents `onread` (reads land in one reused buffer and go to a
 *    callback, without 'data' events or a buffer allocated per read) for a socket it makes itself
 *    (`new net.Socket({ onread })`, then connect()); no option gives it to a server's connections
 *    (Node 20 to 26), so they can have it only this way. Fallback: 'data' events. Bun's handles
 *    have no readStart/useUserBuffer: the fallback runs there.
 * 4. `socket._handle.getpeername(out)`: a fresh getpeername(2), for reset-probe.ts when the fd is
 *    not to be had (`socket.remoteAddress` keeps its first answer). Fallback: the documented
 *    `socket.remoteAddress`, which tells only when nobody asked it before the reset.
 *
 * tcpPaths() (paths.ts) reports which of them this runtime offers.
 */

/** A read: n bytes at the start of `buffer`, which the next read overwrites. */
export type ReadCallback = (n: number, buffer: Buffer) => void;

const switches = { fd: true, directWrites: true, userBufferReads: true, peername: true };

/** The uses of internals that can be switched off. */
export type Internal = keyof typeof switches;

/** Turns a use of internals off or on again (tests run the fallbacks with it). */
export function setInternals(which: Internal, on: boolean): void {
  switches[which] = on;
}

/** Whether a use of internals is switched on (it may still be unavailable here). */
export function internalsOn(which: Internal): boolean {
  return switches[which];
}

interface StreamHandle {
  fd?: unknown;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
  getpeername?(out: object): number;
}

function handleOf(socket: NodeSocket): StreamHandle | null {
  const handle = (socket as unknown as { _handle?: unknown })._handle;
  return typeof handle === 'object' && handle !== null ? (handle as StreamHandle) : null;
}

/** The fd behind a net.Socket, or -1 when it cannot be had (`always`: even when switched off). */
export function socketFd(socket: NodeSocket, always = false): number {
  if ((!switches.fd && !always) || process.platform === 'win32') return -1;
  const fd = handleOf(socket)?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : -1;
}

/**
 * Writes the first n bytes of `bytes` to the socket's fd at once, for a socket with nothing queued
 * in Node: the number the kernel took (0 when its buffer is full), or -1 when this cannot be done
 * here or the write failed (the caller then uses socket.write, which reports the error its way).
 */
export function writeDirect(socket: NodeSocket, bytes: Uint8Array, n: number, always = false): number {
  if (!switches.directWrites && !always) return -1;
  return writeToFd(socketFd(socket, always), bytes, n);
}

/**
 * writeDirect() for one socket that writes many times: the fd is read once per handle instead of
 * at every write (`_handle.fd` is a call into C++). The fd is good while that handle is still the
 * socket's: Node closes it in the same synchronous step that takes the handle away, so a changed
 * handle means the number may be closed, or someone else's by now.
 */
export class DirectWriter {
  readonly #socket: NodeSocket;
  /** The handle #fd was read from (a sentinel until the first write). */
  #handle: unknown = DirectWriter;
  #fd = -1;

  constructor(socket: NodeSocket) {
    this.#socket = socket;
  }

  /** As writeDirect(socket, bytes, n). */
  write(bytes: Uint8Array, n: number): number {
    if (!switches.directWrites || !switches.fd) return -1;
    const handle = (this.#socket as unknown as { _handle?: unknown })._handle;
    if (handle !== this.#handle) {
      this.#handle = handle;
      this.#fd = socketFd(this.#socket, true);
    }
    return writeToFd(this.#fd, bytes, n);
  }
}

function writeToFd(fd: number, bytes: Uint8Array, n: number): number {
  if (fd < 0) return -1;
  try {
    return writeSync(fd, bytes, 0, n);
  } catch (error) {
    return (error as { code?: unknown }).code === 'EAGAIN' ? 0 : -1;
  }
}

/**
 * Whether the kernel's socket has no peer any more (getpeername fails: ENOTCONN once the socket
 * is CLOSED, after a reset or once both FINs were exchanged): true or false, or undefined when it
 * cannot be asked here.
 */
export function peerGone(socket: NodeSocket, always = false): boolean | undefined {
  if (!switches.peername && !always) return undefined;
  const handle = handleOf(socket);
  if (handle === null || typeof handle.getpeername !== 'function') return undefined;
  return handle.getpeername({}) !== 0;
}

/** The accepted socket's handle can be moved to user-buffer reads (internal 3), switch aside. */
export function handleReadsIntoUserBuffer(socket: NodeSocket): boolean {
  const handle = handleOf(socket);
  return handle !== null && typeof handle.readStart === 'function' && typeof handle.useUserBuffer === 'function';
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
  if (!handleReadsIntoUserBuffer(socket)) return null;
  const handle = handleOf(socket)!;
  (socket as unknown as { _handle: unknown })._handle = null;
  socket.destroy();
  const options = { handle, allowHalfOpen: true, onread: onreadOption(callback) };
  return new NodeSocket(options as ConstructorParameters<typeof NodeSocket>[0]);
}

export { tcpPaths, type TcpPaths } from './paths.js';

// The awaitable socket helpers of EventLoop (asyncio's sock_recv, sock_recv_into, sock_sendall,
// sock_accept, sock_connect). Each one tries the non-blocking operation first; only if it would
// block does it register a reader or writer, which retries the operation each time the socket is
// ready and removes itself once the operation is done or failed, or once its signal aborts.
import type { FileLike } from '../api/fileobj.js';
import { abortError, readSignal, type WaitOptions } from '../api/wait.js';
import { PosixError } from '../errors.js';
import { connect } from '../sources/tcp/connect.js';
import type { ConnectOptions } from '../sources/tcp/options.js';
import { TcpSocket } from '../sources/tcp/tcp-socket.js';

/** What the helpers need from the loop. */
export interface IoWatcher {
  /**
   * Calls onReady each time fileobj is ready for `direction`, until the returned function is
   * called: with `done` true when the operation completed (the loop may keep the registration
   * for the helper's next wait on the same socket), false when it failed or was aborted. Throws
   * (RuntimeError) if fileobj already has a reader (writer), or the loop is closed.
   */
  watch(fileobj: FileLike, direction: 'read' | 'write', name: string, onReady: () => void): (done: boolean) => void;
}

/** A socket sockRecv can read: socketpair's Socket, TcpSocket. recv returns null for would-block. */
export interface Receiver {
  fileno(): number;
  recv(n: number): Uint8Array | null;
}

/** A socket sockRecvInto can read into a buffer: recvInto returns null for would-block. */
export interface IntoReceiver {
  fileno(): number;
  recvInto(buf: Uint8Array): number | null;
}

/** A socket sockSendall can write: send returns how many bytes it took (0: would block). */
export interface Sender {
  fileno(): number;
  send(data: Uint8Array): number;
}

/** A listening socket: accept returns null for would-block. */
export interface Acceptor<S> {
  fileno(): number;
  accept(): S | null;
}

/**
 * Runs `attempt` now; if it returns null (would block), again each time `sock` is ready for
 * `direction`, until it returns a value (the promise resolves with it), throws (it rejects), or
 * `options.signal` aborts (it rejects with an AbortError, and the reader or writer is removed).
 * An already-aborted signal rejects at once, without an attempt.
 */
function whenReady<T>(
  io: IoWatcher, sock: FileLike, direction: 'read' | 'write', name: string, attempt: () => T | null, options?: WaitOptions,
): Promise<T> {
  let signal: AbortSignal | undefined;
  try {
    signal = readSignal(options, true);
  } catch (error) {
    return Promise.reject(error);
  }
  return whenReadyUntil(io, sock, direction, name, attempt, signal);
}

/** whenReady with the caller's signal already read and checked. */
function whenReadyUntil<T>(
  io: IoWatcher, sock: FileLike, direction: 'read' | 'write', name: string, attempt: () => T | null,
  signal: AbortSignal | undefined,
): Promise<T> {
  let first: T | null;
  try {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    first = attempt();
  } catch (error) {
    return Promise.reject(error);
  }
  if (first !== null) return Promise.resolve(first);
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (completed: boolean): void => {
      done = true;
      unwatch(completed);
      signal?.removeEventListener('abort', onAbort);
    };
    const onReady = (): void => {
      if (done) return;
      let result: T | null;
      try {
        result = attempt();
      } catch (error) {
        finish(false);
        reject(error);
        return;
      }
      if (result === null) return; // not yet after all: keep waiting
      finish(true);
      resolve(result);
    };
    const onAbort = (): void => {
      if (done) return;
      finish(false);
      reject(abortError(signal!));
    };
    // Throwing here (a reader already there, a closed loop) rejects the promise.
    const unwatch = io.watch(sock, direction, name, onReady);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function sockRecv(io: IoWatcher, sock: Receiver, n: number, options?: WaitOptions): Promise<Uint8Array> {
  return whenReady(io, sock, 'read', 'sockRecv', () => sock.recv(n), options);
}

export function sockRecvInto(io: IoWatcher, sock: IntoReceiver, buf: Uint8Array, options?: WaitOptions): Promise<number> {
  return whenReady(io, sock, 'read', 'sockRecvInto', () => sock.recvInto(buf), options);
}

/** An abort after some bytes were sent leaves them sent (as a cancelled asyncio sock_sendall does). */
export function sockSendall(io: IoWatcher, sock: Sender, data: Uint8Array | string, options?: WaitOptions): Promise<void> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let sent = 0;
  // One send even for no bytes, so that a socket that cannot send reports it (EPIPE).
  // Done is undefined (what the promise resolves with), would-block null.
  const attempt = (): undefined | null => {
    do {
      const n = sock.send(sent === 0 ? bytes : bytes.subarray(sent));
      if (n === 0 && bytes.length > 0) return null; // full: wait for room
      sent += n;
    } while (sent < bytes.length);
    return undefined;
  };
  return whenReady(io, sock, 'write', 'sockSendall', attempt, options);
}

export function sockAccept<S>(io: IoWatcher, listener: Acceptor<S>, options?: WaitOptions): Promise<S> {
  return whenReady(io, listener, 'read', 'sockAccept', () => listener.accept(), options);
}

/**
 * The state of a connection in progress: the socket once connected, null while connecting, and
 * the connection's error thrown as a PosixError (read with getError(), like SO_ERROR).
 */
function connected(sock: TcpSocket, ready: boolean): TcpSocket | null {
  const code = sock.getError() ?? sock.error;
  if (code !== null) throw new PosixError(code, 'connect');
  try {
    sock.remoteAddress();
    return sock;
  } catch (error) {
    if (!(error instanceof PosixError) || error.code !== 'ENOTCONN') throw error;
  }
  // Writable without an address or an error: the connection ended without one (Node closed it).
  if (ready) throw new PosixError('ENOTCONN', 'connect: the connection ended before it was established');
  return null;
}

/**
 * Connects `target` (a socket from connect(): waits for its connection) or makes a connection to
 * `{ host, port }`; a socket made here is closed if the connection fails or the signal aborts.
 */
export function sockConnect(io: IoWatcher, target: ConnectOptions | TcpSocket, options?: WaitOptions): Promise<TcpSocket> {
  let signal: AbortSignal | undefined;
  let sock: TcpSocket;
  try {
    signal = readSignal(options, true);
    if (target instanceof TcpSocket) return whenConnected(io, target, signal);
    if (signal?.aborted) return Promise.reject(abortError(signal)); // before any connection is made
    sock = connect(target);
  } catch (error) {
    return Promise.reject(error);
  }
  return whenConnected(io, sock, signal).catch((error: unknown) => {
    sock.close();
    throw error;
  });
}

/** Waits for `sock`'s connection: its first look does not count as a writable wakeup. */
function whenConnected(io: IoWatcher, sock: TcpSocket, signal: AbortSignal | undefined): Promise<TcpSocket> {
  let first = true;
  return whenReadyUntil(io, sock, 'write', 'sockConnect', () => {
    const ready = !first;
    first = false;
    return connected(sock, ready);
  }, signal);
}

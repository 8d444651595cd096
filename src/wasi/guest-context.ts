import type { MessagePort } from 'node:worker_threads';
import { EBADF } from './errno.js';
import { WasiErrno } from './errno.js';
import type { GuestMemory } from './memory.js';
import { RESPONSE, RESULT, WAKE, type GuestMessage, type SharedState } from './shared-state.js';

/** The raw node:wasi import functions, called for everything that is not ours. */
export type RawImports = Record<string, (...args: never[]) => number>;

/** A socket fd as the guest sees it. */
export interface SocketFd {
  slot: number;
  listener: boolean;
  /** fdflags NONBLOCK. */
  nonblock: boolean;
}

/**
 * The guest's side of a run (in the worker): its socket fds, the shared state, its memory, the
 * node:wasi imports behind it, and the two ways to reach the main thread: a message (no wait)
 * and a request (message, then Atomics.wait on the response counter).
 */
export class GuestContext {
  readonly sockets = new Map<number, SocketFd>();

  constructor(
    readonly state: SharedState,
    readonly memory: GuestMemory,
    readonly raw: RawImports,
    readonly port: MessagePort,
  ) {}

  /** Fd 0 read through a mirrored RX ring once poll_oneoff has watched it; null: not possible. */
  #stdin: SocketFd | null | undefined;

  /**
   * The guest's stdin as a readable ring, asking the main thread to start mirroring it the first
   * time: null when it cannot be mirrored (a host stdin other than the process's own).
   */
  mirroredStdin(): SocketFd | null {
    if (this.#stdin === undefined) {
      const slot = this.request({ op: 'stdin' });
      this.#stdin = slot >= 0 ? { slot, listener: false, nonblock: false } : null;
    }
    return this.#stdin;
  }

  /** The stdin ring if mirroring has started (reads then go through it, never to node:wasi). */
  stdinIfMirrored(): SocketFd | undefined {
    return this.#stdin ?? undefined;
  }

  /** The socket behind guest fd `fd`, or undefined for node:wasi's fds. */
  socket(fd: number): SocketFd | undefined {
    return this.sockets.get(fd >>> 0);
  }

  /** The socket behind `fd`, or EBADF. */
  socketOrBadf(fd: number): SocketFd {
    const socket = this.sockets.get(fd >>> 0);
    if (socket === undefined) throw new WasiErrno(EBADF);
    return socket;
  }

  post(message: GuestMessage): void {
    this.port.postMessage(message);
  }

  /** A request the main thread answers: returns its RESULT (a slot, 0, or -errno). */
  request(message: GuestMessage): number {
    const i32 = this.state.i32;
    const seen = Atomics.load(i32, RESPONSE);
    this.port.postMessage(message);
    while (Atomics.load(i32, RESPONSE) === seen) Atomics.wait(i32, RESPONSE, seen);
    return Atomics.load(i32, RESULT);
  }

  /** The wake counter now: take it before checking a condition, then `sleep(seen)` if false. */
  wakeCount(): number {
    return Atomics.load(this.state.i32, WAKE);
  }

  /** Sleeps until the main thread bumps the wake counter past `seen`, or for timeoutMs. */
  sleep(seen: number, timeoutMs = Infinity): void {
    Atomics.wait(this.state.i32, WAKE, seen, timeoutMs);
  }

  /** Waits until `ready()` is true (checked after every wake). */
  waitUntil(ready: () => boolean): void {
    for (;;) {
      const seen = this.wakeCount();
      if (ready()) return;
      this.sleep(seen);
    }
  }
}

/** fd_fdstat_get's record size: probing node:wasi's fds borrows this many guest bytes. */
const FDSTAT_SIZE = 24;

/**
 * Whether node:wasi has `fd` open. node:wasi checks the result pointer before the fd, so the
 * probe lends it the first FDSTAT_SIZE bytes of guest memory and puts them back afterwards
 * (the guest is blocked in this call, so nobody sees them change).
 */
export function nodeFdOpen(ctx: GuestContext, fd: number): boolean {
  let saved: Uint8Array;
  try {
    saved = ctx.memory.bytes(0, FDSTAT_SIZE).slice();
  } catch {
    return false; // no memory to lend: a guest this small has no files either
  }
  const result = ctx.raw['fd_fdstat_get']!(fd as never, 0 as never);
  ctx.memory.bytes(0, FDSTAT_SIZE).set(saved);
  return result === 0;
}

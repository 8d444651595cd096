import type { MessagePort } from 'node:worker_threads';
import { MAX_TIMER_DELAY } from '../api/deadline.js';
import { EBADF, WasiErrno } from './errno.js';
import type { GuestMemory } from './memory.js';
import { RESPONSE, RESULT, STOP, WAKE, type GuestMessage, type SharedState } from './shared-state.js';

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
 * The guest's fds 0, 1 and 2: ours, not node:wasi's (whose stdio differs by runtime). Stdin
 * reads a ring the main thread fills; stdout and stderr post their bytes to the main thread.
 */
export interface StdioFd {
  stream: 0 | 1 | 2;
  /** fdflags NONBLOCK. */
  nonblock: boolean;
  /** fd_close'd: the number stays taken (node:wasi's own stdio fd must never be reached). */
  closed: boolean;
  /** WASI filetype, as the main thread found the host side (tty, file, or unknown). */
  filetype: number;
}

/** Thrown out of the guest's WebAssembly by proc_exit; caught around `_start`. */
export class GuestExit {
  constructor(readonly code: number) {}
}

/** Thrown out of any wait once the run is cancelled (STOP): the guest unwinds and ends. */
export class GuestStopped {}

/**
 * The guest's side of a run (in the worker): its socket fds, the shared state, its memory, the
 * node:wasi imports behind it, and the two ways to reach the main thread: a message (no wait)
 * and a request (message, then Atomics.wait on the response counter).
 */
export class GuestContext {
  readonly sockets = new Map<number, SocketFd>();
  readonly stdio = new Map<number, StdioFd>();
  /** Set by proc_exit: a guest that catches our exception cannot go on calling the host. */
  exitCode: number | undefined;

  constructor(
    readonly state: SharedState,
    readonly memory: GuestMemory,
    readonly raw: RawImports,
    readonly port: MessagePort,
    /** Filetypes of the host sides of fds 0, 1, 2. */
    stdioTypes: readonly number[] = [0, 0, 0],
  ) {
    for (const stream of [0, 1, 2] as const) {
      this.stdio.set(stream, { stream, nonblock: false, closed: false, filetype: stdioTypes[stream] ?? 0 });
    }
  }

  /** Our stdio entry for `fd` (0, 1, 2), or undefined. */
  stdioFd(fd: number): StdioFd | undefined {
    return this.stdio.get(fd >>> 0);
  }

  /** Whether `fd` is ours (a socket or a stdio fd) rather than node:wasi's. */
  owns(fd: number): boolean {
    return this.sockets.has(fd >>> 0) || this.stdio.has(fd >>> 0);
  }

  /** Fd 0's RX ring, once the main thread mirrors stdin into it; null: it could not (-errno). */
  #stdin: SocketFd | number | undefined;

  /**
   * The guest's stdin as a readable ring, asking the main thread to start mirroring it the first
   * time the guest reads or polls fd 0 (so that the host's stdin is not read before that).
   * Returns the ring, or the WASI errno that mirroring failed with (EMFILE: no slot free).
   */
  stdinRing(): SocketFd | number {
    if (this.#stdin === undefined) {
      const slot = this.request({ op: 'stdin' });
      this.#stdin = slot >= 0 ? { slot, listener: false, nonblock: false } : -slot;
    }
    return this.#stdin;
  }

  /** The stdin ring's slot if mirroring has started. */
  stdinSlot(): number | undefined {
    return typeof this.#stdin === 'object' ? this.#stdin.slot : undefined;
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
    while (Atomics.load(i32, RESPONSE) === seen) {
      this.#checkStop();
      Atomics.wait(i32, RESPONSE, seen, MAX_WAIT_MS);
    }
    return Atomics.load(i32, RESULT);
  }

  #checkStop(): void {
    if (Atomics.load(this.state.i32, STOP) !== 0) throw new GuestStopped();
  }

  /** The wake counter now: take it before checking a condition, then `sleep(seen)` if false. */
  wakeCount(): number {
    return Atomics.load(this.state.i32, WAKE);
  }

  /**
   * Sleeps until the main thread bumps the wake counter past `seen`, or for timeoutMs at most
   * (capped at MAX_WAIT_MS: callers re-check their condition and deadline after every sleep).
   * Throws GuestStopped once the run is cancelled.
   */
  sleep(seen: number, timeoutMs = Infinity): void {
    this.#checkStop();
    this.waitWake(seen, Math.min(timeoutMs, MAX_WAIT_MS));
    this.#checkStop();
  }

  /** One Atomics.wait on the wake counter, at most `ms` (a test may stand in for it). */
  waitWake(seen: number, ms: number): void {
    Atomics.wait(this.state.i32, WAKE, seen, ms);
  }

  /** The guest's MONOTONIC clock in ns: poll_oneoff's deadlines and clock_time_get. */
  monotonicNs(): bigint {
    return process.hrtime.bigint();
  }

  /** The guest's REALTIME clock in ns (Date.now()'s milliseconds). */
  realtimeNs(): bigint {
    return BigInt(Date.now()) * 1_000_000n;
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

/**
 * The longest single Atomics.wait: the host timers' bound (MAX_TIMER_DELAY, 2^31 - 1 ms), so the
 * guest's clocks step as the main thread's deadlines do. A longer wait (a u64 clock of years) is
 * a series of these, each followed by a check of the deadline, so it never ends early and never
 * spins.
 */
export const MAX_WAIT_MS = MAX_TIMER_DELAY;

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

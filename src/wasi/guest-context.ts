import type { MessagePort } from 'node:worker_threads';
import { MAX_TIMER_DELAY } from '../api/deadline.js';
import { GuestFdTable, type SocketFd } from './fd-table.js';
import type { GuestMemory } from './memory.js';
import { RESPONSE, RESULT, STOP, WAKE, type GuestMessage, type SharedState } from './shared-state.js';

/** Thrown out of the guest's WebAssembly by proc_exit; caught around `_start`. */
export class GuestExit {
  constructor(readonly code: number) {}
}

/** Thrown out of any wait once the run is cancelled (STOP): the guest unwinds and ends. */
export class GuestStopped {}

/**
 * The guest's side of a run (in the worker): its fd table, the shared state, its memory, and the
 * two ways to reach the main thread: a message (no wait) and a request (message, then
 * Atomics.wait on the response counter).
 */
export class GuestContext {
  readonly fds = new GuestFdTable();
  /** Set by proc_exit: a guest that catches our exception cannot go on calling the host. */
  exitCode: number | undefined;

  constructor(
    readonly state: SharedState,
    readonly memory: GuestMemory,
    readonly port: MessagePort,
  ) {}

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
      this.#stdin = slot >= 0 ? { kind: 'socket', slot, listener: false, fdflags: 0, rightsBase: 0n, rightsInheriting: 0n } : -slot;
    }
    return this.#stdin;
  }

  /** The stdin ring's slot if mirroring has started. */
  stdinSlot(): number | undefined {
    return typeof this.#stdin === 'object' ? this.#stdin.slot : undefined;
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

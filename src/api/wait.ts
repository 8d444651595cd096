// The one wait that Epoll.poll/wait, Poll.poll and select() share (and through them the selectors
// and the EventLoop): the immediate result, the fairness yield to the host's event loop, the
// deadline, the AbortSignal, and the ends that come from outside (an Epoll's close, a selector's
// close). Each primitive supplies a WaitSource: how to take what is ready, and where a blocked
// wait registers for wakeups.
import { PosixError } from '../errors.js';
import { armDeadline } from './deadline.js';

/** The options every wait takes. */
export interface WaitOptions {
  /** Aborting it ends the wait with an AbortError; nothing stays registered or armed. */
  signal?: AbortSignal | undefined;
}

/**
 * What an aborted wait rejects with, shaped like Node's own: `name` 'AbortError', `code`
 * 'ABORT_ERR', and the signal's reason as `cause`.
 */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';

  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** The AbortError for `signal`'s abort. */
export function abortError(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason });
}

/**
 * The signal of an options argument (undefined if none), checked: the options must be an object
 * and the signal AbortSignal-like. `typeError`: a TypeError (the selectors' and the EventLoop's
 * convention for a wrong type) instead of a PosixError EINVAL (the primitives').
 */
export function readSignal(options: WaitOptions | undefined | null, typeError = false): AbortSignal | undefined {
  if (options === undefined || options === null) return undefined;
  const fail = (message: string): Error => (typeError ? new TypeError(message) : new PosixError('EINVAL', message));
  if (typeof options !== 'object') throw fail(`options must be an object, got ${typeof options}`);
  const signal = options.signal;
  if (signal === undefined) return undefined;
  if (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean'
    || typeof signal.addEventListener !== 'function' || typeof signal.removeEventListener !== 'function') {
    throw fail(`options.signal must be an AbortSignal, got ${signal === null ? 'null' : typeof signal}`);
  }
  return signal;
}

// ---- fairness ----

/**
 * The no-starvation rule. A wait that settles without blocking (something was ready, or a
 * timeout of 0) settles in a microtask, and a caller that loops on such waits would never let
 * the host's event loop turn: no socket would receive another byte. So the immediate results are
 * counted in a streak, which a setImmediate marker, scheduled at the streak's first result, ends
 * when the host loop reaches its check phase. A wait that starts while the streak holds
 * FAIRNESS_RESULTS results, or began FAIRNESS_MS ago (the clock is read at every 8th result),
 * first lets the host loop turn (through setImmediate, after the marker) and only then takes its
 * events: what arrived during the turn is included, and no edge-triggered or one-shot event is
 * consumed early.
 *
 * The bound: the marker runs in the first check phase after the streak began. Scheduled from a
 * poll-phase (or timers-phase) callback, that is the same loop iteration, with no I/O poll in
 * between; scheduled from the check phase, the next iteration's, after one I/O poll. Every reset
 * happens in a check phase, at most one per iteration, and a streak never exceeds
 * FAIRNESS_RESULTS (a wait that would exceed it yields instead), so between two I/O polls of the
 * host there are at most 2 × FAIRNESS_RESULTS immediate results (the end of one streak before the
 * check phase, a whole one after it), over all waits of the process together, and each of the two
 * streaks lasts at most FAIRNESS_MS plus the caller's work for up to 8 results.
 *
 * 64 keeps the cost out of sight (two setImmediates per 64 results when a caller does nothing
 * else, one marker per loop turn otherwise) while an unread level-triggered fd delays the others
 * by well under a millisecond of waits; 10 ms bounds the delay when each result is followed by
 * real work. A wait that blocks is not counted: whatever ends it (a wakeup from an I/O callback,
 * a program's own send) is not an immediate result.
 */
export const FAIRNESS_RESULTS = 64;
/** See FAIRNESS_RESULTS. */
export const FAIRNESS_MS = 10;

/** Immediate results since the host loop was last seen turning; 0 when no marker is pending. */
let streak = 0;
let streakStart = 0;
const endStreak = (): void => {
  streak = 0;
};

/**
 * Must the next wait let the host loop turn first? (Only asked while a streak holds.) The clock
 * is read at every 8th result only, to keep the cost of a result low: a streak yields within 8
 * results of FAIRNESS_MS.
 */
function mustYield(): boolean {
  return streak >= FAIRNESS_RESULTS || ((streak & 7) === 0 && performance.now() - streakStart >= FAIRNESS_MS);
}

function countImmediate(): void {
  if (streak++ === 0) {
    streakStart = performance.now();
    setImmediate(endStreak);
  }
}

// ---- the wait ----

/** A wait as its source and its scope see it. */
export interface ParkedWait {
  /** Takes what is ready; if something is, the wait settles. True once the wait has ended. */
  recheck(): boolean;
  /** Ends the wait with `error`. */
  fail(error: unknown): void;
  /** Ends the wait with nothing ready. */
  end(): void;
}

/** How a primitive takes events and registers a blocked wait. `A` is the per-call argument. */
export interface WaitSource<T, A> {
  /** Takes what is ready now: the result, or null when nothing is. Throwing fails the wait. */
  take(arg: A): T | null;
  /** The result of a wait that ends with nothing ready (a timeout, a selector's close). */
  empty(arg: A): T;
  /** The wait blocks: call `wait.recheck()` after wakeups until it returns true. */
  park(wait: ParkedWait): void;
  /** The wait has ended (settled, timed out, aborted, ended from outside): forget it. */
  unpark(wait: ParkedWait): void;
  /**
   * The waits of this source that are yielding for fairness (not parked yet), if the source must
   * be able to end them (an Epoll's close fails them, and its parked ones, with EBADF).
   */
  readonly scope?: WaitScope;
}

/**
 * Waits that end together: a PollSelector's or SelectSelector's selects, which its close() ends
 * at once with nothing ready (passed to the primitives as `options[waitScope]`), or an Epoll's
 * waits, which its close() fails (its WaitSource's scope).
 */
export class WaitScope {
  #ended = false;
  readonly #waits = new Set<ParkedWait>();

  get ended(): boolean {
    return this.#ended;
  }

  /** @internal */
  add(wait: ParkedWait): void {
    this.#waits.add(wait);
  }

  /** @internal */
  delete(wait: ParkedWait): void {
    this.#waits.delete(wait);
  }

  /**
   * Ends every pending wait of the scope: resolving with nothing ready, or rejecting with `error`.
   * A wait given this scope later (in options) resolves with nothing ready at once.
   */
  end(error?: unknown): void {
    this.#ended = true;
    for (const wait of [...this.#waits]) {
      if (error === undefined) wait.end();
      else wait.fail(error);
    }
  }
}

/** The internal option key through which a selector hands its WaitScope to a primitive. */
export const waitScope: unique symbol = Symbol('wasmux wait scope');
interface ScopedOptions extends WaitOptions {
  [waitScope]?: WaitScope;
}

/**
 * Options for a primitive: the caller's signal, already read (readSignal) by the selector, and
 * the selector's scope. The primitive takes the signal as it is.
 */
export function scoped(signal: AbortSignal | undefined, scope: WaitScope): WaitOptions {
  const options: ScopedOptions = { signal, [waitScope]: scope };
  return options;
}

/**
 * One wait: settles at once if something is ready (or `timeout` is 0), else blocks until a
 * recheck finds something, the timeout (ms; negative: none) expires with a last look, the signal
 * aborts, or it is ended from outside. Validation errors of `options` reject.
 */
export function waitFor<T, A>(source: WaitSource<T, A>, arg: A, timeout: number, options?: WaitOptions): Promise<T> {
  let signal: AbortSignal | undefined;
  let scope: WaitScope | undefined;
  let result: T | null;
  try {
    if (options !== undefined) {
      scope = (options as ScopedOptions)[waitScope];
      signal = scope !== undefined ? options.signal : readSignal(options);
      if (signal?.aborted) return Promise.reject(abortError(signal));
      if (scope?.ended) return Promise.resolve(source.empty(arg));
    }
    if (streak > 0 && mustYield()) {
      return new Promise((resolve, reject) => new PendingWait(source, arg, timeout, signal, scope, resolve, reject, true));
    }
    result = source.take(arg);
    if (result === null) {
      if (timeout !== 0) {
        return new Promise((resolve, reject) => new PendingWait(source, arg, timeout, signal, scope, resolve, reject, false));
      }
      result = source.empty(arg);
    }
  } catch (error) {
    return Promise.reject(error);
  }
  countImmediate();
  return Promise.resolve(result);
}

/** A wait in progress: yielding for fairness, or blocked (parked in its source). */
class PendingWait<T, A> implements ParkedWait {
  readonly #source: WaitSource<T, A>;
  readonly #arg: A;
  readonly #timeout: number;
  readonly #signal: AbortSignal | undefined;
  readonly #scope: WaitScope | undefined;
  readonly #resolve: (value: T) => void;
  readonly #reject: (error: unknown) => void;
  #cancelTimer: (() => void) | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #onAbort: (() => void) | undefined;
  #parked = false;
  #done = false;

  /** @internal Made by waitFor. */
  constructor(
    source: WaitSource<T, A>, arg: A, timeout: number, signal: AbortSignal | undefined, scope: WaitScope | undefined,
    resolve: (value: T) => void, reject: (error: unknown) => void, yieldFirst: boolean,
  ) {
    this.#source = source;
    this.#arg = arg;
    this.#timeout = timeout;
    this.#signal = signal;
    this.#scope = scope;
    this.#resolve = resolve;
    this.#reject = reject;
    if (signal !== undefined) {
      this.#onAbort = () => {
        if (this.#finish()) this.#reject(abortError(signal));
      };
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    scope?.add(this);
    if (yieldFirst) {
      source.scope?.add(this);
      this.#immediate = setImmediate(() => this.#afterTurn());
    } else {
      this.#block();
    }
  }

  /**
   * After a wakeup: takes what is ready; if something is, the wait resolves with it (or rejects
   * with what taking threw). Returns true once the wait has ended.
   */
  recheck(): boolean {
    if (this.#done) return true;
    let result: T | null;
    try {
      result = this.#source.take(this.#arg);
    } catch (error) {
      this.fail(error);
      return true;
    }
    if (result === null) return false;
    this.#finish();
    this.#resolve(result);
    return true;
  }

  /** Ends the wait with `error` (an Epoll closed under it). */
  fail(error: unknown): void {
    if (this.#finish()) this.#reject(error);
  }

  /** Ends the wait with nothing ready (its scope has ended). */
  end(): void {
    if (this.#finish()) this.#resolve(this.#source.empty(this.#arg));
  }

  /** The host loop has turned: take now, or yield again if other waits used the new streak up. */
  #afterTurn(): void {
    this.#immediate = undefined;
    if (this.#done) return;
    if (streak > 0 && mustYield()) {
      this.#immediate = setImmediate(() => this.#afterTurn());
      return;
    }
    this.#source.scope?.delete(this); // no longer yielding: parked or settled below
    let result: T | null;
    try {
      result = this.#source.take(this.#arg);
      if (result === null && this.#timeout === 0) result = this.#source.empty(this.#arg);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (result === null) {
      this.#block();
      return;
    }
    this.#finish();
    countImmediate();
    this.#resolve(result);
  }

  #block(): void {
    if (this.#timeout > 0) this.#cancelTimer = armDeadline(this.#timeout, () => this.#expire());
    this.#parked = true;
    this.#source.park(this);
  }

  /** The timeout: like the kernel, one last look when the time is up. */
  #expire(): void {
    this.#cancelTimer = undefined;
    if (!this.#finish()) return;
    let result: T;
    try {
      result = this.#source.take(this.#arg) ?? this.#source.empty(this.#arg);
    } catch (error) {
      this.#reject(error);
      return;
    }
    this.#resolve(result);
  }

  /** Unregisters everything the wait holds; false if it had already ended. */
  #finish(): boolean {
    if (this.#done) return false;
    this.#done = true;
    if (this.#parked) {
      this.#parked = false;
      this.#source.unpark(this);
    }
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
      this.#source.scope?.delete(this);
    }
    if (this.#onAbort !== undefined) {
      this.#signal!.removeEventListener('abort', this.#onAbort);
      this.#onAbort = undefined;
    }
    this.#scope?.delete(this);
    return true;
  }
}

/** What a handle was made for: callSoon, callLater/callAt, addReader, addWriter. */
export type HandleKind = 'callback' | 'timer' | 'reader' | 'writer';

/**
 * What the exception handler receives, like asyncio's context dict: `message` always; `exception`
 * (what was thrown, or what the promise a callback returned rejected with); `handle`, the handle
 * whose callback failed; `fd` for a reader or writer.
 */
export interface ExceptionContext {
  message: string;
  exception?: unknown;
  handle?: Handle;
  fd?: number;
}

/** The loop side of a handle: where failures go, and who counts cancelled timers. */
export interface HandleOwner {
  callExceptionHandler(context: ExceptionContext): void;
  timerCancelled(handle: TimerHandle): void;
}

type AnyCallback = (...args: any[]) => unknown;

/** The name used in messages: the function's name, or '<anonymous>'. */
export function callbackName(callback: AnyCallback): string {
  return callback.name === '' ? '<anonymous>' : callback.name;
}

/** Runs a handle's callback (the loop's private entry point; set in Handle's static block). */
export let runHandle: (handle: Handle) => void;
/** Marks a timer as in (or out of) the loop's heap. */
export let setScheduled: (handle: TimerHandle, scheduled: boolean) => void;

/**
 * A callback scheduled on an EventLoop with its arguments, as asyncio's Handle: returned by
 * callSoon, and (as TimerHandle) by callLater and callAt; readers and writers are handles too.
 * `cancel()` keeps it from running (if it has not run yet); it then drops its callback and
 * arguments so that they can be collected.
 */
export class Handle {
  readonly kind: HandleKind;
  /** The descriptor of a reader or writer; undefined for other handles. */
  readonly fd: number | undefined;
  /** The callback's name, for messages (kept after cancel). */
  readonly callbackName: string;
  #callback: AnyCallback | null;
  #args: readonly unknown[] | null;
  #cancelled = false;
  readonly #owner: HandleOwner;

  /** @internal Made by the EventLoop. */
  constructor(owner: HandleOwner, kind: HandleKind, callback: AnyCallback, args: readonly unknown[], fd?: number, name?: string) {
    this.#owner = owner;
    this.kind = kind;
    this.fd = fd;
    this.#callback = callback;
    this.#args = args;
    this.callbackName = name ?? callbackName(callback);
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Keeps the callback from running. Cancelling twice, or after it ran, does nothing. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#callback = null;
    this.#args = null;
  }

  toString(): string {
    const where = this.fd === undefined ? '' : ` fd=${this.fd}`;
    return `<${this.constructor.name} ${this.kind} ${this.callbackName}${where}${this.#cancelled ? ' cancelled' : ''}>`;
  }

  static {
    runHandle = (handle: Handle): void => handle.#run();
  }

  /**
   * Calls the callback. What it throws goes to the exception handler; so does the rejection of a
   * promise it returns (an async function used as a callback), so neither can stop the loop or
   * become an unhandled rejection.
   */
  #run(): void {
    const callback = this.#callback;
    if (callback === null) return;
    try {
      const result = callback(...this.#args!);
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.#fail(error));
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(exception: unknown): void {
    const fd = this.fd;
    const context: ExceptionContext = {
      message: `Exception in ${this.kind} ${this.callbackName}${fd === undefined ? '' : ` for fd ${fd}`}`,
      exception,
      handle: this,
    };
    if (fd !== undefined) context.fd = fd;
    this.#owner.callExceptionHandler(context);
  }

  /** @internal */
  protected get owner(): HandleOwner {
    return this.#owner;
  }
}

/**
 * A handle with a deadline, from callLater or callAt. `when` is on the loop's clock
 * (`loop.time()`, milliseconds); timers with the same `when` run in the order they were made.
 */
export class TimerHandle extends Handle {
  readonly when: number;
  /** @internal The tie-breaker for equal deadlines: increasing in scheduling order. */
  readonly seq: number;
  #scheduled = false;

  /** @internal Made by the EventLoop. */
  constructor(owner: HandleOwner, when: number, seq: number, callback: AnyCallback, args: readonly unknown[]) {
    super(owner, 'timer', callback, args);
    this.when = when;
    this.seq = seq;
  }

  /** Keeps the timer from running; the loop drops it from its heap lazily. */
  override cancel(): void {
    if (this.cancelled) return;
    super.cancel();
    if (this.#scheduled) this.owner.timerCancelled(this);
  }

  static {
    setScheduled = (handle: TimerHandle, scheduled: boolean): void => {
      handle.#scheduled = scheduled;
    };
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
    && typeof (value as { then?: unknown }).then === 'function';
}

import { rawFd, type FileLike } from '../api/fileobj.js';
import type { WaitOptions } from '../api/wait.js';
import { disposeSymbol } from '../api/selectors/base-selector.js';
import { DefaultSelector, EVENT_READ, EVENT_WRITE, RuntimeError, type SelectorKey } from '../api/selectors/index.js';
import { eventfd, type EventFd } from '../sources/eventfd.js';
import type { ConnectOptions } from '../sources/tcp/options.js';
import type { TcpSocket } from '../sources/tcp/tcp-socket.js';
import {
  Handle, TimerHandle, runHandle, setScheduled, type ExceptionContext, type HandleOwner,
} from './handle.js';
import type { LoopSelector } from './selector.js';
import {
  sockAccept, sockConnect, sockRecv, sockRecvInto, sockSendall,
  type Acceptor, type IntoReceiver, type IoWatcher, type Receiver, type Sender,
} from './socket-helpers.js';
import { TimerHeap } from './timer-heap.js';

/** Called with the context of a callback that threw (see ExceptionContext). */
export type ExceptionHandler = (context: ExceptionContext) => void;

/**
 * asyncio's MAXIMUM_SELECT_TIMEOUT (24 h): the longest single selector wait. A timer further away
 * is reached by several waits (the selectors themselves take any timeout, in timer steps below
 * 2^31 ms), so callLater/callAt accept any delay.
 */
export const MAXIMUM_SELECT_TIMEOUT = 24 * 3600 * 1000;

/** Below this many timers the heap is never compacted (asyncio's _MIN_SCHEDULED_TIMER_HANDLES). */
const MIN_SCHEDULED_TIMERS_TO_COMPACT = 100;

/** The reader and writer of one registered file object: the selector key's data. */
class IoRecord {
  reader: Handle | null = null;
  writer: Handle | null = null;
  /**
   * The registered file object, while a finished socket helper has left its events in the
   * selector until the next select (see #release); null otherwise.
   */
  lingering: FileLike | null = null;
}

/** The key data of the loop's own wakeup eventfd (asyncio's self-pipe). */
const WAKEUP = Symbol('wasmux EventLoop wakeup');

/** Lets Node's event loop run one turn (timers, I/O callbacks) before we go on. */
const yieldToNode = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A callback event loop over a selector, shaped like asyncio's BaseSelectorEventLoop: readers and
 * writers on file objects, callSoon/callLater/callAt, run/stop/runUntilComplete/close, and
 * awaitable socket helpers. See docs/event-loop.md for the phase order of one iteration.
 *
 * It runs on top of Node's own loop: every iteration begins with an await of setImmediate, which
 * lets Node's loop pass its poll phase (and its timers phase at least every second iteration),
 * then waits for I/O in the selector. So Node's timers, sockets and promise callbacks keep
 * running however busy the EventLoop is.
 */
export class EventLoop implements Disposable {
  readonly #selector: LoopSelector;
  readonly #ownsSelector: boolean;
  /** Written to end a blocked select when work is added from outside the loop's callbacks. */
  readonly #wakeFd: EventFd;
  /** Callbacks to run in the next batch, in order. */
  #ready: Handle[] = [];
  readonly #timers = new TimerHeap<TimerHandle>();
  /** Cancelled timers still in the heap. */
  #cancelledTimers = 0;
  #timerSeq = 0;
  #running = false;
  #stopping = false;
  #closed = false;
  /** Inside a select that may block: work added now must wake it. */
  #selecting = false;
  /** Records whose finished socket helper left their events registered (see #release). */
  #lingering: IoRecord[] = [];
  #wakePending = false;
  #exceptionHandler: ExceptionHandler | null = null;
  /** What handles report to: failures, and cancelled timers. */
  readonly #owner: HandleOwner = {
    callExceptionHandler: (context) => this.callExceptionHandler(context),
    timerCancelled: () => this.#timerCancelled(),
  };
  /** What the socket helpers use to wait: one-shot readers and writers. */
  readonly #io: IoWatcher = {
    watch: (fileobj, direction, name, onReady) => this.#watch(fileobj, direction, name, onReady),
  };

  /** Runs on `selector`, or on a DefaultSelector of its own (which close() closes). */
  constructor(selector?: LoopSelector) {
    this.#ownsSelector = selector === undefined;
    this.#selector = selector ?? new DefaultSelector();
    this.#wakeFd = eventfd(0);
    try {
      this.#selector.register(this.#wakeFd, EVENT_READ, WAKEUP);
    } catch (error) {
      this.#wakeFd.close();
      if (this.#ownsSelector) this.#selector.close();
      throw error;
    }
  }

  /** The loop's clock: monotonic milliseconds (performance.now()). Deadlines are on it. */
  time(): number {
    return performance.now();
  }

  isRunning(): boolean {
    return this.#running;
  }

  isClosed(): boolean {
    return this.#closed;
  }

  // ---- callbacks and timers ----

  /** Runs cb(...args) in the next iteration, after the callbacks already queued (FIFO). */
  callSoon<A extends unknown[]>(cb: (...args: A) => unknown, ...args: A): Handle {
    this.#checkClosed();
    checkCallback(cb, 'callSoon');
    const handle = new Handle(this.#owner, 'callback', cb, args);
    this.#ready.push(handle);
    this.#wake();
    return handle;
  }

  /** Runs cb(...args) once time() >= time() + delayMs (never earlier); 0 or less: as soon as possible. */
  callLater<A extends unknown[]>(delayMs: number, cb: (...args: A) => unknown, ...args: A): TimerHandle {
    checkTime(delayMs, 'callLater delay');
    return this.#schedule(this.time() + delayMs, cb, args, 'callLater');
  }

  /** Runs cb(...args) once time() >= when; a `when` in the past runs in the next iteration. */
  callAt<A extends unknown[]>(when: number, cb: (...args: A) => unknown, ...args: A): TimerHandle {
    checkTime(when, 'callAt time');
    return this.#schedule(when, cb, args, 'callAt');
  }

  #schedule(when: number, cb: (...args: never[]) => unknown, args: unknown[], what: string): TimerHandle {
    this.#checkClosed();
    checkCallback(cb, what);
    const timer = new TimerHandle(this.#owner, when, this.#timerSeq++, cb, args);
    this.#timers.push(timer);
    setScheduled(timer, true);
    this.#wake();
    return timer;
  }

  /** A scheduled timer was cancelled: count it, and compact the heap once they dominate. */
  #timerCancelled(): void {
    this.#cancelledTimers++;
    const size = this.#timers.size;
    if (size > MIN_SCHEDULED_TIMERS_TO_COMPACT && 2 * this.#cancelledTimers > size) {
      this.#timers.retain((timer) => {
        if (!timer.cancelled) return true;
        setScheduled(timer, false);
        return false;
      });
      this.#cancelledTimers = 0;
    }
  }

  // ---- readers and writers ----

  /**
   * Calls cb(...args) whenever fileobj (an fd or an object with fileno()) is readable, until
   * removeReader. A second addReader for the same file object replaces the callback.
   */
  addReader<A extends unknown[]>(fileobj: FileLike, cb: (...args: A) => unknown, ...args: A): void {
    this.#checkClosed();
    checkCallback(cb, 'addReader');
    this.#addIo(fileobj, EVENT_READ, cb, args);
  }

  /** Stops watching fileobj for reading: true if it had a reader. */
  removeReader(fileobj: FileLike): boolean {
    return this.#removeIo(fileobj, EVENT_READ);
  }

  /** Calls cb(...args) whenever fileobj is writable, until removeWriter; replaces a previous writer. */
  addWriter<A extends unknown[]>(fileobj: FileLike, cb: (...args: A) => unknown, ...args: A): void {
    this.#checkClosed();
    checkCallback(cb, 'addWriter');
    this.#addIo(fileobj, EVENT_WRITE, cb, args);
  }

  /** Stops watching fileobj for writing: true if it had a writer. */
  removeWriter(fileobj: FileLike): boolean {
    return this.#removeIo(fileobj, EVENT_WRITE);
  }

  /** `name`: the callback's name in messages (a socket helper's), when not the function's own. */
  #addIo(fileobj: FileLike, event: number, cb: (...args: never[]) => unknown, args: unknown[], name?: string): Handle {
    const selector = this.#selector;
    const kind = event === EVENT_READ ? 'reader' : 'writer';
    let key = this.#keyOf(fileobj);
    if (key !== undefined && key.data instanceof IoRecord && key.data.lingering !== null && key.fileobj !== fileobj && movedOn(key)) {
      // A helper's registration left behind by a socket closed since: its fd number is fileobj's now.
      this.#settle(key.data);
      key = this.#keyOf(fileobj);
    }
    let record: IoRecord;
    if (key === undefined) {
      record = new IoRecord();
      key = selector.register(fileobj, event, record);
    } else {
      record = ioRecordOf(key, kind);
      if ((key.events & event) === 0) key = selector.modify(fileobj, key.events | event, record);
    }
    // Only now that the selector agreed: a failed register or modify changes nothing.
    const handle = new Handle(this.#owner, kind, cb, args, key.fd, name);
    const old = event === EVENT_READ ? record.reader : record.writer;
    if (event === EVENT_READ) record.reader = handle;
    else record.writer = handle;
    old?.cancel(); // if it is queued in this batch, it will not run (see #processEvents)
    this.#wake();
    return handle;
  }

  #removeIo(fileobj: FileLike, event: number): boolean {
    if (this.#closed) return false;
    const key = this.#keyOf(fileobj, true);
    if (key === undefined || !(key.data instanceof IoRecord)) return false;
    const record = key.data;
    const handle = event === EVENT_READ ? record.reader : record.writer;
    if (handle === null) return false;
    const events = key.events & ~event;
    if (events === 0) {
      this.#selector.unregister(fileobj);
    } else {
      try {
        this.#selector.modify(fileobj, events, record);
      } catch (error) {
        // A closed fd cannot be modified (EBADF, or ENOENT once its number is reused): the
        // selector has dropped the registration (Python's bpo-30014), so the other handle goes too.
        if (this.#selector.getMap()?.get(key.fd) === key) throw error;
        record.reader?.cancel();
        record.writer?.cancel();
        record.reader = record.writer = null;
        return true;
      }
    }
    if (event === EVENT_READ) record.reader = null;
    else record.writer = null;
    handle.cancel();
    return true;
  }

  /**
   * The selector's key for fileobj, or undefined if it is not registered. `removing`: a closed
   * object (fileno() -1) that is not registered is not an error either, so removing twice is fine.
   */
  #keyOf(fileobj: FileLike, removing = false): SelectorKey | undefined {
    // The common case looks the fd up in the selector's map: no exception, for a KeyError's stack
    // trace cost more than everything else of a sockRecv (its watch asks once per wait).
    const fd = validFd(fileobj);
    const map = fd === undefined ? null : this.#selector.getMap();
    if (map !== null) return map.get(fd!);
    try {
      return this.#selector.getKey(fileobj);
    } catch (error) {
      if (error instanceof Error && error.name === 'KeyError') return undefined;
      if (removing && error instanceof Error && error.name === 'ValueError' && isClosedFileobj(fileobj)) return undefined;
      throw error;
    }
  }

  /** For the socket helpers: a one-shot reader or writer; RuntimeError if there is one already. */
  #watch(fileobj: FileLike, direction: 'read' | 'write', name: string, onReady: () => void): (done: boolean) => void {
    this.#checkClosed();
    const key = this.#keyOf(fileobj);
    if (key !== undefined && key.data instanceof IoRecord) {
      const current = direction === 'read' ? key.data.reader : key.data.writer;
      if (current !== null) {
        throw new RuntimeError(`${name}: fd ${key.fd} already has a ${direction === 'read' ? 'reader' : 'writer'} (${current.callbackName})`);
      }
    }
    const handle = this.#addIo(fileobj, direction === 'read' ? EVENT_READ : EVENT_WRITE, onReady, [], name);
    return (done) => {
      // Remove it only if it is still ours (a replaced handle is cancelled) and the loop is open.
      if (handle.cancelled || this.#closed) return;
      if (done) this.#release(fileobj, direction === 'read' ? EVENT_READ : EVENT_WRITE);
      else if (direction === 'read') this.removeReader(fileobj);
      else this.removeWriter(fileobj);
    };
  }

  /**
   * A socket helper has completed: its reader or writer goes at once (removeReader then finds
   * none), but its events stay in the selector until the start of the next iteration, before the
   * loop selects again (#settleLingering). A helper that waits on the same socket again
   * meanwhile, as a handler that reads, replies and reads again does, finds the registration in
   * place: no unregister and register per message. (libuv defers its epoll_ctl calls to its next
   * poll the same way.) No select can happen in between, so no event is reported for a file
   * object without a reader or writer.
   */
  #release(fileobj: FileLike, event: number): void {
    const key = this.#keyOf(fileobj, true);
    if (key === undefined || !(key.data instanceof IoRecord)) return;
    const record = key.data;
    const handle = event === EVENT_READ ? record.reader : record.writer;
    if (handle === null) return;
    if (event === EVENT_READ) record.reader = null;
    else record.writer = null;
    handle.cancel();
    if (record.lingering === null) {
      record.lingering = key.fileobj;
      this.#lingering.push(record);
    }
  }

  /** Before a select: drops the events that finished helpers left and nobody took up again. */
  #settleLingering(): void {
    if (this.#lingering.length === 0) return;
    const records = this.#lingering;
    this.#lingering = [];
    for (const record of records) {
      try {
        this.#settle(record);
      } catch (error) {
        this.callExceptionHandler({ message: 'Exception while dropping a finished socket helper\'s registration', exception: error });
      }
    }
  }

  /** Drops the events of `record` that have no reader or writer any more (unregistering it if none has). */
  #settle(record: IoRecord): void {
    const fileobj = record.lingering;
    if (fileobj === null) return;
    record.lingering = null;
    const key = this.#keyOf(fileobj, true);
    if (key === undefined || key.data !== record) return; // gone already
    const events = key.events & ~((record.reader === null ? EVENT_READ : 0) | (record.writer === null ? EVENT_WRITE : 0));
    if (events === key.events) return;
    if (events === 0) {
      this.#selector.unregister(key.fileobj);
      return;
    }
    try {
      this.#selector.modify(key.fileobj, events, record);
    } catch (error) {
      // As in #removeIo: a closed fd cannot be modified, and the selector has dropped it.
      if (this.#selector.getMap()?.get(key.fd) === key) throw error;
      record.reader?.cancel();
      record.writer?.cancel();
      record.reader = record.writer = null;
    }
  }

  // ---- exceptions ----

  /**
   * Sets the function that receives the context of every callback that throws (or whose
   * returned promise rejects); null restores the default, which logs with console.error.
   */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== 'function') {
      throw new TypeError(`A callable object or null is expected, got ${String(handler)}`);
    }
    this.#exceptionHandler = handler;
  }

  getExceptionHandler(): ExceptionHandler | null {
    return this.#exceptionHandler;
  }

  /** The default handler: logs the message (which names the callback, and the fd of a reader or writer) and the exception. */
  defaultExceptionHandler(context: ExceptionContext): void {
    const lines = [context.message];
    if (context.handle !== undefined) lines.push(`handle: ${String(context.handle)}`);
    if ('exception' in context) console.error(lines.join('\n'), context.exception);
    else console.error(lines.join('\n'));
  }

  /** Hands `context` to the exception handler. Never throws: a failing handler is logged instead. */
  callExceptionHandler(context: ExceptionContext): void {
    const handler = this.#exceptionHandler;
    if (handler === null) {
      try {
        this.defaultExceptionHandler(context);
      } catch {
        // Nothing left to report it to (console.error itself failed).
      }
      return;
    }
    try {
      handler(context);
    } catch (exception) {
      try {
        this.defaultExceptionHandler({ message: `Unhandled error in exception handler (while handling: ${context.message})`, exception });
      } catch {
        // As above.
      }
    }
  }

  // ---- running ----

  /**
   * Runs iterations until stop() is called; resolves after the iteration in which it was. Rejects
   * with RuntimeError if the loop is closed or already running, and with whatever the selector
   * throws (callbacks' exceptions never end it).
   */
  async run(): Promise<void> {
    this.#checkClosed();
    if (this.#running) throw new RuntimeError('This event loop is already running');
    this.#running = true;
    try {
      for (;;) {
        await this.#runOnce();
        if (this.#stopping) break;
      }
    } finally {
      this.#stopping = false;
      this.#running = false;
    }
  }

  /**
   * Runs the loop until `promise` settles, then resolves with its value or rejects with its error.
   * If the loop is stopped before it settles: RuntimeError('Event loop stopped before Future
   * completed.'), as asyncio.
   */
  async runUntilComplete<T>(promise: PromiseLike<T> | T): Promise<T> {
    this.#checkClosed();
    if (this.#running) throw new RuntimeError('This event loop is already running');
    let active = true;
    let outcome: { value: T } | { error: unknown } | undefined;
    Promise.resolve(promise).then(
      (value) => {
        outcome = { value };
        if (active) this.stop();
      },
      (error: unknown) => {
        outcome = { error };
        if (active) this.stop();
      },
    );
    try {
      await this.run();
    } finally {
      active = false;
    }
    if (outcome === undefined) throw new RuntimeError('Event loop stopped before Future completed.');
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /**
   * Stops the loop after the current iteration (its batch of callbacks runs to the end). Called
   * while the loop is not running, the next run() does one iteration (I/O polled without
   * waiting, the callbacks that were due) and returns, as asyncio's.
   */
  stop(): void {
    this.#stopping = true;
    this.#wake();
  }

  /**
   * Closes the loop: pending callbacks and timers are dropped, readers and writers are removed,
   * and the selector is closed if the loop made it (a selector passed in stays open, without the
   * loop's registrations). RuntimeError while the loop is running; closing twice does nothing.
   */
  close(): void {
    if (this.#running) throw new RuntimeError('Cannot close a running event loop');
    if (this.#closed) return;
    this.#closed = true;
    for (const handle of this.#ready) handle.cancel();
    this.#ready = [];
    for (const timer of this.#timers.clear()) {
      setScheduled(timer, false);
      timer.cancel();
    }
    this.#cancelledTimers = 0;
    for (const record of this.#lingering) record.lingering = null;
    this.#lingering = [];
    const selector = this.#selector;
    const map = selector.getMap();
    if (map !== null) {
      for (const key of [...map.values()]) {
        if (key.data === WAKEUP || key.data instanceof IoRecord) {
          if (key.data instanceof IoRecord) {
            key.data.reader?.cancel();
            key.data.writer?.cancel();
          }
          if (!this.#ownsSelector) selector.unregister(key.fileobj);
        }
      }
    }
    this.#wakeFd.close();
    if (this.#ownsSelector) selector.close();
  }

  [disposeSymbol](): void {
    this.close();
  }

  /**
   * One iteration (asyncio's _run_once), in this order:
   * 1. await setImmediate, so that Node's loop runs (I/O callbacks, timers, promise continuations);
   * 2. drop the registrations that completed socket helpers left (#settleLingering), and the
   *    cancelled timers at the top of the heap (or compact it);
   * 3. compute the I/O timeout: 0 if callbacks are ready or the loop is stopping, else until the
   *    next deadline (rounded up), else none;
   * 4. wait in the selector;
   * 5. queue the reader and writer callbacks of the reported events (looked up now);
   * 6. queue the timers that are due (time() >= when), earliest first, FIFO on ties;
   * 7. run the callbacks queued so far, skipping cancelled ones; callbacks they add wait for the
   *    next iteration.
   */
  async #runOnce(): Promise<void> {
    await yieldToNode();
    this.#settleLingering();
    this.#dropCancelledTimers();
    const timeout = this.#timeout();
    let events: Array<[SelectorKey, number]>;
    if (timeout === 0) {
      events = await this.#selector.select(0);
    } else {
      this.#selecting = true;
      try {
        events = await this.#selector.select(timeout);
      } finally {
        this.#selecting = false;
      }
    }
    if (this.#wakePending) {
      this.#wakeFd.read();
      this.#wakePending = false;
    }
    this.#processEvents(events);
    this.#queueDueTimers();
    const batch = this.#ready;
    this.#ready = [];
    for (let i = 0; i < batch.length; i++) runHandle(batch[i]!);
  }

  #dropCancelledTimers(): void {
    const timers = this.#timers;
    for (let top = timers.peek(); top !== undefined && top.cancelled; top = timers.peek()) {
      timers.pop();
      setScheduled(top, false);
      this.#cancelledTimers--;
    }
  }

  /** The select timeout: 0, a whole number of ms up to MAXIMUM_SELECT_TIMEOUT, or undefined (block). */
  #timeout(): number | undefined {
    if (this.#ready.length > 0 || this.#stopping) return 0;
    const next = this.#timers.peek();
    if (next === undefined) return undefined;
    // Rounded up: the selector never returns before its timeout, so after it time() >= next.when.
    const ms = Math.ceil(next.when - this.time());
    return ms <= 0 ? 0 : Math.min(ms, MAXIMUM_SELECT_TIMEOUT);
  }

  /**
   * Queues the reader and writer of each reported key. The handles are read from the key now,
   * and each one is checked again just before it runs: a reader removed or replaced by an
   * earlier callback of the batch has been cancelled, so it does not run (asyncio's rule).
   */
  #processEvents(events: Array<[SelectorKey, number]>): void {
    const ready = this.#ready;
    for (let i = 0; i < events.length; i++) {
      const [key, mask] = events[i]!;
      const record = key.data;
      if (!(record instanceof IoRecord)) continue; // the wakeup fd (already drained)
      const { reader, writer } = record;
      if ((mask & EVENT_READ) !== 0 && reader !== null) {
        if (reader.cancelled) this.removeReader(key.fileobj);
        else ready.push(reader);
      }
      if ((mask & EVENT_WRITE) !== 0 && writer !== null) {
        if (writer.cancelled) this.removeWriter(key.fileobj);
        else ready.push(writer);
      }
    }
  }

  #queueDueTimers(): void {
    const timers = this.#timers;
    const now = this.time();
    for (let top = timers.peek(); top !== undefined && top.when <= now; top = timers.peek()) {
      timers.pop();
      setScheduled(top, false);
      if (top.cancelled) this.#cancelledTimers--;
      else this.#ready.push(top);
    }
  }

  /** Work was added: if the loop is blocked in select, end the wait (asyncio's _write_to_self). */
  #wake(): void {
    if (!this.#selecting || this.#wakePending) return;
    this.#wakePending = true;
    this.#wakeFd.write(1);
  }

  #checkClosed(): void {
    if (this.#closed) throw new RuntimeError('Event loop is closed');
  }

  // ---- socket helpers ----
  //
  // Each takes an optional `{ signal }` last: aborting it rejects the pending helper with an
  // AbortError (name 'AbortError', code 'ABORT_ERR', cause: the signal's reason) and removes its
  // reader or writer; an already-aborted signal rejects at once, without trying the operation.

  /**
   * Receives up to n bytes: at once if some are buffered, else when the socket becomes readable.
   * Resolves with an empty array at EOF; rejects with the socket's error (ECONNRESET...).
   */
  sockRecv(sock: Receiver, n: number, options?: WaitOptions): Promise<Uint8Array> {
    return sockRecv(this.#io, sock, n, options);
  }

  /** Like sockRecv, into buf: resolves with the number of bytes read, 0 at EOF. */
  sockRecvInto(sock: IntoReceiver, buf: Uint8Array, options?: WaitOptions): Promise<number> {
    return sockRecvInto(this.#io, sock, buf, options);
  }

  /**
   * Sends all of data, waiting for room as often as needed; resolves once the socket took the
   * last byte. Aborted midway, the bytes already taken stay sent.
   */
  sockSendall(sock: Sender, data: Uint8Array | string, options?: WaitOptions): Promise<void> {
    return sockSendall(this.#io, sock, data, options);
  }

  /** Accepts a connection: at once if one is queued, else when the listener becomes readable. */
  sockAccept<S>(listener: Acceptor<S>, options?: WaitOptions): Promise<S> {
    return sockAccept(this.#io, listener, options);
  }

  /**
   * Connects: `sockConnect({ host, port })` starts a connection and resolves with the socket once
   * it is established; `sockConnect(sock)` waits for a connection started by connect(). Rejects
   * with the connection's error (ECONNREFUSED...); a socket made here is closed then (and when
   * the signal aborts).
   */
  sockConnect(target: ConnectOptions | TcpSocket, options?: WaitOptions): Promise<TcpSocket> {
    return sockConnect(this.#io, target, options);
  }
}

function checkCallback(cb: unknown, what: string): void {
  if (typeof cb !== 'function') throw new TypeError(`${what}: a callback function is expected, got ${String(cb)}`);
}

function checkTime(value: unknown, what: string): void {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${what} must be a number of milliseconds, got ${String(value)}`);
  }
}

/** The reader/writer record of a key the loop registered; RuntimeError for a key that is not the loop's. */
function ioRecordOf(key: SelectorKey, kind: string): IoRecord {
  if (key.data instanceof IoRecord) return key.data;
  throw new RuntimeError(`cannot add a ${kind} for fd ${key.fd}: it is registered in the selector by someone else`);
}

/** The key's file object no longer has the key's fd (closed: fileno() is -1, or it throws). */
function movedOn(key: SelectorKey): boolean {
  return typeof key.fileobj !== 'number' && validFd(key.fileobj) !== key.fd;
}

/** An object whose fileno() says it is closed (-1), as a closed socket's does. */
function isClosedFileobj(fileobj: FileLike): boolean {
  if (typeof fileobj !== 'object' || fileobj === null || typeof fileobj.fileno !== 'function') return false;
  try {
    return fileobj.fileno() === -1;
  } catch {
    return false;
  }
}

/** fileobj's descriptor if it has a valid one (a number, or fileno() >= 0); undefined otherwise. */
function validFd(fileobj: FileLike): number | undefined {
  let fd: number;
  try {
    fd = rawFd(fileobj);
  } catch {
    return undefined; // the selector's own lookup says what is wrong with it
  }
  return Number.isInteger(fd) && fd >= 0 ? fd : undefined;
}

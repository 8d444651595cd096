import { PosixError } from '../../errors.js';
import type { FileLike } from '../fileobj.js';
import { readSignal, scoped, WaitScope, type WaitOptions } from '../wait.js';
import { checkEvents, describe, fileobjToFd, KeyError, RuntimeError, toSelectTimeout, ValueError } from './errors.js';
import { SelectorKey, SelectorMap } from './keys.js';

/**
 * The key of the disposal method that `using` calls. Node 20.4 and later define Symbol.dispose
 * (as Symbol.for('nodejs.dispose') until V8 has its own); on earlier Node 20 releases it is
 * missing, and the registered symbol is the one Node and the usual polyfills install. The global
 * is never modified here.
 */
export const disposeSymbol: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for('nodejs.dispose') as typeof Symbol.dispose);

/**
 * register's and modify's optional `data`: optional while `D` admits undefined (the default,
 * `unknown`, does), required when a selector is typed with data that cannot be undefined.
 */
export type DataArg<D> = undefined extends D ? [data?: D] : [data: D];

/** What select() resolves with: each ready key with its ready events (a subset of key.events). */
export type SelectResult<D = unknown> = Array<[SelectorKey<D>, number]>;

/**
 * The logic every selector shares, Python's `BaseSelector` and `_BaseSelectorImpl`: the fd -> key
 * map, file object lookup, argument checks, transactional register/modify/unregister, and the
 * options of every wait (the caller's signal, and the scope that close() ends). A backend
 * implements the protected hooks; each is called only once the arguments are valid.
 */
export abstract class BaseSelector<D = unknown> implements Disposable {
  /** fd -> key, in registration order. */
  readonly #keys = new Map<number, SelectorKey<D>>();
  /** The view getMap() returns; null once closed. */
  #map: SelectorMap<D> | null = new SelectorMap(this.#keys, (fileobj) => this.#lookup(fileobj));
  /** The pending selects, which close() ends: each resolves [] at once. */
  readonly #scope = new WaitScope();
  /** The wait options of a select without a signal (made once). */
  readonly #unsignalled = scoped(undefined, this.#scope);

  /**
   * Watches `fileobj` (an fd or an object with fileno()) for `events` (EVENT_READ, EVENT_WRITE or
   * both), with `data` attached. ValueError for invalid events (checked first) or an invalid file
   * object or fd; KeyError if its fd is registered already (by the same object or another). If the
   * backend refuses the fd (an Epoll: EBADF for an fd that is not open), its error is thrown and
   * nothing is registered.
   */
  register(fileobj: FileLike, events: number, ...[data]: DataArg<D>): SelectorKey<D> {
    this.#checkOpen();
    checkEvents(events);
    const fd = this.#lookup(fileobj);
    if (this.#keys.has(fd)) throw new KeyError(`${describe(fileobj)} (FD ${fd}) is already registered`);
    const key = new SelectorKey(fileobj, fd, events, data as D);
    this.addFd(fd, events);
    this.#keys.set(fd, key);
    return key;
  }

  /**
   * Stops watching `fileobj` and returns its key. KeyError if it is not registered, ValueError if
   * it is not a valid file object. A registered object that has been closed since (fileno() is -1)
   * is found by identity, and the backend's complaint about the closed fd is ignored.
   */
  unregister(fileobj: FileLike): SelectorKey<D> {
    this.#checkOpen();
    const fd = this.#lookup(fileobj);
    const key = this.#keys.get(fd);
    if (key === undefined) throw new KeyError(`${describe(fileobj)} is not registered`);
    this.#keys.delete(fd);
    this.#removeFromBackend(fd);
    return key;
  }

  /**
   * Changes the events and data of a registered file object; returns the new key (the same key
   * if nothing changed). The key keeps the file object it was registered with. KeyError if it is
   * not registered, ValueError for invalid events; both leave the registration as it was. A
   * data-only change does not touch the backend. If the backend fails to change the events (an
   * Epoll whose fd has been closed), the registration is dropped and the error thrown, as Python
   * does (bpo-30014).
   *
   * As in Python, `data` defaults to undefined: `modify(f, EVENT_WRITE)` drops the data.
   */
  modify(fileobj: FileLike, events: number, ...[data]: DataArg<D>): SelectorKey<D> {
    this.#checkOpen();
    const fd = this.#lookup(fileobj);
    const key = this.#keys.get(fd);
    if (key === undefined) throw new KeyError(`${describe(fileobj)} is not registered`);
    checkEvents(events);
    if (events !== key.events) {
      try {
        this.modifyFd(fd, events);
      } catch (error) {
        this.#keys.delete(fd);
        this.#removeFromBackend(fd);
        throw error;
      }
    } else if (Object.is(data, key.data)) {
      return key;
    }
    const next = new SelectorKey(key.fileobj, fd, events, data as D);
    this.#keys.set(fd, next);
    return next;
  }

  /**
   * Waits until a registered file object is ready or the timeout passes; resolves with
   * [key, events] for each ready one, events being the ready EVENT_READ/EVENT_WRITE bits that
   * the key asked for. timeoutMs: undefined or null (or Infinity) waits until something is
   * ready; 0 or negative does not wait; a positive one (however large) waits at least that long,
   * fractions of a millisecond rounded up. With nothing registered it waits for the timeout and
   * resolves []. A select still waiting when the selector is closed resolves [] at once.
   * `options.signal` aborts the wait: it rejects with an AbortError (at once if already aborted).
   * Results found without waiting follow the no-starvation rule of the backend's wait (after a
   * long streak of them, a select first lets the host's event loop turn).
   */
  select(timeoutMs?: number | null, options?: WaitOptions): Promise<SelectResult<D>> {
    let timeout: number;
    let waitOptions: WaitOptions;
    try {
      this.#checkOpen();
      timeout = toSelectTimeout(timeoutMs);
      // Read once, here, for the selectors' TypeError; the primitive takes it as it is (scoped).
      const signal = readSignal(options, true);
      waitOptions = signal === undefined ? this.#unsignalled : scoped(signal, this.#scope);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.selectFds(timeout, waitOptions);
  }

  /** The key of a registered file object or fd. KeyError if not registered; RuntimeError once closed. */
  getKey(fileobj: FileLike): SelectorKey<D> {
    const map = this.#map;
    if (map === null) throw new RuntimeError('Selector is closed');
    const key = map.get(fileobj);
    if (key === undefined) throw new KeyError(`${describe(fileobj)} is not registered`);
    return key;
  }

  /** A live read-only view of the registrations by fd; null once the selector is closed. */
  getMap(): SelectorMap<D> | null {
    return this.#map;
  }

  /** True once close() has been called. */
  get closed(): boolean {
    return this.#map === null;
  }

  /**
   * Forgets every registration and frees the backend (an EpollSelector closes its Epoll). The
   * file objects themselves stay open. Closing twice does nothing.
   */
  close(): void {
    if (this.#map === null) return;
    this.#map = null;
    this.#keys.clear();
    this.#scope.end();
    this.closeBackend();
  }

  /** close(), for `using selector = new DefaultSelector()`. */
  [disposeSymbol](): void {
    this.close();
  }

  /** The number of registrations (backends size their buffers by it). */
  protected get registered(): number {
    return this.#keys.size;
  }

  /** The key registered for fd, or undefined (a backend may report an fd the map no longer has). */
  protected keyOf(fd: number): SelectorKey<D> | undefined {
    return this.#keys.get(fd);
  }

  /** Adds a valid, unregistered fd with valid events to the backend; throws to refuse it. */
  protected abstract addFd(fd: number, events: number): void;
  /** Changes a registered fd's events in the backend. */
  protected abstract modifyFd(fd: number, events: number): void;
  /** Removes a registered fd from the backend; may throw a PosixError if the fd is closed. */
  protected abstract removeFd(fd: number): void;
  /**
   * Waits (timeout: -1 blocks, 0 polls, else whole ms) and resolves with the ready keys. `options`
   * go to the backend's wait as they are: the caller's signal (aborting rejects with an
   * AbortError) and the selector's scope (close() resolves the wait with nothing ready).
   */
  protected abstract selectFds(timeout: number, options: WaitOptions): Promise<SelectResult<D>>;
  /** Frees what the backend holds, after the registrations are forgotten and the selects ended. */
  protected closeBackend(): void {}

  /** The fd of a file object, or of a registered object that is closed now (Python's _fileobj_lookup). */
  #lookup(fileobj: FileLike): number {
    try {
      return fileobjToFd(fileobj);
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      for (const key of this.#keys.values()) if (key.fileobj === fileobj) return key.fd;
      throw error;
    }
  }

  /** Python ignores OSError here: the fd may have been closed since it was registered. */
  #removeFromBackend(fd: number): void {
    try {
      this.removeFd(fd);
    } catch (error) {
      if (!(error instanceof PosixError)) throw error;
    }
  }

  #checkOpen(): void {
    if (this.#map === null) throw new RuntimeError('Selector is closed');
  }
}

// What a selector records of each registration: its events, its key, and the map of keys by fd.
import type { FileLike } from '../fileobj.js';

/** The file object is ready for reading (a selector event, not a poll/epoll bit). */
export const EVENT_READ = 1;
/** The file object is ready for writing. */
export const EVENT_WRITE = 2;

/**
 * What a selector knows about one registration, like Python's `SelectorKey` namedtuple: the
 * file object as registered, its fd, the selector events (EVENT_READ | EVENT_WRITE) and the
 * caller's data. Frozen: register and modify return a new key instead of changing one.
 */
export class SelectorKey<D = unknown> {
  readonly fileobj: FileLike;
  readonly fd: number;
  readonly events: number;
  readonly data: D;

  constructor(fileobj: FileLike, fd: number, events: number, data: D) {
    this.fileobj = fileobj;
    this.fd = fd;
    this.events = events;
    this.data = data;
    Object.freeze(this);
  }
}

/**
 * The live, read-only view of a selector's registrations that `getMap()` returns, like Python's
 * `_SelectorMapping`: iteration is by fd (entries are [fd, key], keys() are fds, in registration
 * order), and get/has take a file object or an fd, looked up as unregister does (a registered
 * object whose fileno() is now -1 is still found by identity). An invalid file object throws
 * ValueError there, as in Python. After the selector is closed the view is empty.
 */
export class SelectorMap<D = unknown> implements ReadonlyMap<number, SelectorKey<D>> {
  readonly #keys: ReadonlyMap<number, SelectorKey<D>>;
  readonly #lookup: (fileobj: FileLike) => number;

  /** @internal Made by the selector, over its own fd -> key map. */
  constructor(keys: ReadonlyMap<number, SelectorKey<D>>, lookup: (fileobj: FileLike) => number) {
    this.#keys = keys;
    this.#lookup = lookup;
  }

  get size(): number {
    return this.#keys.size;
  }

  /** The key of a file object or fd, or undefined if it is not registered. */
  get(fileobj: FileLike): SelectorKey<D> | undefined {
    return this.#keys.get(this.#lookup(fileobj));
  }

  has(fileobj: FileLike): boolean {
    return this.#keys.has(this.#lookup(fileobj));
  }

  keys(): MapIterator<number> {
    return this.#keys.keys();
  }

  values(): MapIterator<SelectorKey<D>> {
    return this.#keys.values();
  }

  entries(): MapIterator<[number, SelectorKey<D>]> {
    return this.#keys.entries();
  }

  [Symbol.iterator](): MapIterator<[number, SelectorKey<D>]> {
    return this.#keys.entries();
  }

  forEach(callback: (key: SelectorKey<D>, fd: number, map: ReadonlyMap<number, SelectorKey<D>>) => void, thisArg?: unknown): void {
    for (const [fd, key] of this.#keys) callback.call(thisArg, key, fd, this);
  }

  get [Symbol.toStringTag](): string {
    return 'SelectorMap';
  }
}

import type { FileLike } from '../api/fileobj.js';
import type { SelectorKey } from '../api/selectors/index.js';

/**
 * What the EventLoop needs of a selector: the `selectors` API (DefaultSelector, EpollSelector,
 * PollSelector, SelectSelector all have it). Any object with these methods will do, which is how
 * the tests watch the timeouts the loop asks for.
 */
export interface LoopSelector {
  register(fileobj: FileLike, events: number, data?: unknown): SelectorKey;
  unregister(fileobj: FileLike): SelectorKey;
  modify(fileobj: FileLike, events: number, data?: unknown): SelectorKey;
  /** undefined or null blocks; <= 0 does not block; otherwise waits at least timeoutMs. */
  select(timeoutMs?: number | null): Promise<Array<[SelectorKey, number]>>;
  /** Throws an error named 'KeyError' when fileobj is not registered. */
  getKey(fileobj: FileLike): SelectorKey;
  /** fd -> key; null once the selector is closed. */
  getMap(): ReadonlyMap<number, SelectorKey> | null;
  close(): void;
}

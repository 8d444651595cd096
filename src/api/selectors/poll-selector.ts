import { POLLIN, POLLOUT } from '../../core/constants.js';
import { defaultTable, type DescriptorTable } from '../../fd/table.js';
import { Poll } from '../poll.js';
import { scoped, WaitScope } from '../wait.js';
import { BaseSelector, type SelectResult } from './base-selector.js';
import { fromPollEvents, toPollEvents } from './events.js';

/**
 * A selector on a `Poll` (POLLIN for EVENT_READ, POLLOUT for EVENT_WRITE), like Python's
 * `PollSelector`. Each select() scans every registration (O(n)). An fd closed while registered
 * reports POLLNVAL, which counts as both readable and writable (masked by the key's events).
 */
export class PollSelector<D = unknown> extends BaseSelector<D> {
  readonly #poll: Poll;
  /** The pending selects, which close() ends. */
  readonly #scope = new WaitScope();
  /** The options of a select without a signal (made once). */
  readonly #options = scoped(undefined, this.#scope);
  readonly #collect = (ready: Array<[number, number]>): SelectResult<D> => this.#results(ready);

  constructor(table: DescriptorTable = defaultTable) {
    super();
    this.#poll = new Poll(table);
  }

  protected addFd(fd: number, events: number): void {
    this.#poll.register(fd, toPollEvents(events, POLLIN, POLLOUT));
    this.#seenByWait();
  }

  protected modifyFd(fd: number, events: number): void {
    this.#poll.modify(fd, toPollEvents(events, POLLIN, POLLOUT));
    this.#seenByWait();
  }

  protected removeFd(fd: number): void {
    this.#poll.unregister(fd);
  }

  /** A select() still waiting when the selector closes resolves [] at once (its scope ends it). */
  protected selectFds(timeout: number, signal: AbortSignal | undefined): Promise<SelectResult<D>> {
    return this.#poll.poll(timeout, signal === undefined ? this.#options : scoped(signal, this.#scope)).then(this.#collect);
  }

  protected closeBackend(): void {
    this.#scope.end();
  }

  /**
   * A select() already waiting rescans soon, so an fd registered (or modified) while it waits and
   * already ready ends the wait, as it would with an Epoll (whose ctl does the same).
   */
  #seenByWait(): void {
    this.#poll.table.scheduleIfWaiting();
  }

  #results(ready: Array<[number, number]>): SelectResult<D> {
    const out: SelectResult<D> = []; // after close() no fd has a key: a late wait resolves []
    for (let i = 0; i < ready.length; i++) {
      const [fd, revents] = ready[i]!;
      const key = this.keyOf(fd);
      if (key === undefined) continue;
      const events = fromPollEvents(revents, POLLIN, POLLOUT) & key.events;
      if (events !== 0) out.push([key, events]);
    }
    return out;
  }
}

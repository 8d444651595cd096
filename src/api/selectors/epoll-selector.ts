import { EPOLLIN, EPOLLOUT } from '../../core/constants.js';
import { defaultTable, type DescriptorTable } from '../../fd/table.js';
import { Epoll } from '../epoll.js';
import { Events } from '../events.js';
import { BaseSelector, type SelectResult } from './base-selector.js';
import { fromPollEvents, toPollEvents } from './events.js';

/** The smallest event buffer; it grows with the number of registrations. */
const MIN_EVENTS = 64;

/**
 * A selector on an `Epoll` (level-triggered, EPOLLIN for EVENT_READ and EPOLLOUT for
 * EVENT_WRITE), like Python's `EpollSelector`. Its Epoll is a descriptor: it takes an fd number
 * (`fileno()`) until close(). select() waits with `Epoll.wait` into one reused event buffer, sized
 * to the number of registrations so that one call reports everything ready (Python passes
 * maxevents = the number of registrations for the same reason). A select() called while another
 * one waits gets a buffer of its own.
 */
export class EpollSelector<D = unknown> extends BaseSelector<D> {
  readonly #epoll: Epoll;
  /** The event buffer select() reuses; never replaced while a wait holds it. */
  #events = new Events(MIN_EVENTS);
  /** An Epoll.wait is filling #events (or has, and #collect has not read it yet). */
  #waiting = false;
  readonly #collect = (n: number): SelectResult<D> => {
    this.#waiting = false;
    return this.#results(this.#events, n);
  };
  readonly #failed = (error: unknown): SelectResult<D> => {
    this.#waiting = false;
    return this.#closedDuringWait(error);
  };

  constructor(table: DescriptorTable = defaultTable) {
    super();
    this.#epoll = new Epoll(table);
  }

  /** The Epoll's descriptor number (-1 once closed). */
  fileno(): number {
    return this.#epoll.fileno();
  }

  protected addFd(fd: number, events: number): void {
    this.#epoll.register(fd, toPollEvents(events, EPOLLIN, EPOLLOUT));
  }

  protected modifyFd(fd: number, events: number): void {
    this.#epoll.modify(fd, toPollEvents(events, EPOLLIN, EPOLLOUT));
  }

  protected removeFd(fd: number): void {
    this.#epoll.unregister(fd);
  }

  protected selectFds(timeout: number, signal: AbortSignal | undefined): Promise<SelectResult<D>> {
    if (this.#waiting) return this.#selectConcurrently(timeout, signal);
    if (this.registered > this.#events.capacity) {
      this.#events = new Events(Math.max(this.registered, 2 * this.#events.capacity));
    }
    // Through Epoll.wait even when something is ready now, for its no-starvation rule. The buffer
    // is ours until #collect has read it, which happens in a later microtask even for a result
    // taken at once: a select() called meanwhile gets a buffer of its own.
    this.#waiting = true;
    return this.#epoll.wait(this.#events, timeout, signal === undefined ? undefined : { signal }).then(this.#collect, this.#failed);
  }

  /** A select() while another one waits: like threads in one epoll_wait, each has its own buffer. */
  #selectConcurrently(timeout: number, signal: AbortSignal | undefined): Promise<SelectResult<D>> {
    const events = new Events(Math.max(this.registered, 1));
    return this.#epoll.wait(events, timeout, signal === undefined ? undefined : { signal })
      .then((n) => this.#results(events, n), (error) => this.#closedDuringWait(error));
  }

  protected closeBackend(): void {
    this.#epoll.close();
  }

  /** A wait ended by close() (the Epoll rejects it with EBADF, at once) resolves []. */
  #closedDuringWait(error: unknown): SelectResult<D> {
    if (this.closed) return [];
    throw error;
  }

  /** The first n events of `events` as [key, events]; fds no longer registered are skipped. */
  #results(events: Events, n: number): SelectResult<D> {
    const out: SelectResult<D> = []; // after close() no fd has a key: a late wait resolves []
    const data = events.data;
    for (let i = 0; i < n; i++) {
      const key = this.keyOf(data[2 * i]!);
      if (key === undefined) continue;
      const ready = fromPollEvents(data[2 * i + 1]!, EPOLLIN, EPOLLOUT) & key.events;
      if (ready !== 0) out.push([key, ready]);
    }
    return out;
  }
}

/** The best selector wasmux has: the EpollSelector (as in Python on Linux). */
export const DefaultSelector = EpollSelector;
export type DefaultSelector<D = unknown> = EpollSelector<D>;

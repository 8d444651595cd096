import { EPOLLIN, EPOLLOUT, POLLIN, POLLOUT } from '../../core/constants.js';
import { defaultTable, type DescriptorTable } from '../../fd/table.js';
import { Epoll } from '../epoll.js';
import { Events } from '../events.js';
import { Poll } from '../poll.js';
import type { WaitOptions } from '../wait.js';
import { BaseSelector, type SelectResult } from './base-selector.js';
import { EVENT_READ, EVENT_WRITE } from './keys.js';

/** What the poll-like selectors need of Epoll and Poll: registration by fd, in their own bits. */
interface PollLikeBackend {
  readonly table: DescriptorTable;
  register(fd: number, mask: number): void;
  modify(fd: number, mask: number): void;
  unregister(fd: number): void;
}

/**
 * The selectors on a backend with poll(2)'s shape, Python's `_PollLikeSelector`: selector events
 * become the backend's "readable" and "writable" bits on the way in, and its results become
 * selector events on the way out. A subclass names the backend and its two bits, and waits.
 */
export abstract class PollLikeSelector<D, B extends PollLikeBackend> extends BaseSelector<D> {
  /** The Epoll or Poll that holds the registrations. */
  protected readonly backend: B;
  readonly #readBit: number;
  readonly #writeBit: number;

  protected constructor(backend: B, readBit: number, writeBit: number) {
    super();
    this.backend = backend;
    this.#readBit = readBit;
    this.#writeBit = writeBit;
  }

  protected addFd(fd: number, events: number): void {
    this.backend.register(fd, this.#toMask(events));
    this.#seenByWait();
  }

  protected modifyFd(fd: number, events: number): void {
    this.backend.modify(fd, this.#toMask(events));
    this.#seenByWait();
  }

  protected removeFd(fd: number): void {
    this.backend.unregister(fd);
  }

  /**
   * Appends one backend result to `out` as [key, events], the way Python maps it: any bit other
   * than the writable one counts as EVENT_READ and any bit other than the readable one as
   * EVENT_WRITE, so ERR, HUP (and POLLNVAL) mean both; then the key's events mask them. An fd
   * no longer registered (or any, after close()) is skipped, and so is an empty mask.
   */
  protected addReady(out: SelectResult<D>, fd: number, revents: number): void {
    const key = this.keyOf(fd);
    if (key === undefined) return;
    const read = (revents & ~this.#writeBit) !== 0 ? EVENT_READ : 0;
    const write = (revents & ~this.#readBit) !== 0 ? EVENT_WRITE : 0;
    const events = (read | write) & key.events;
    if (events !== 0) out.push([key, events]);
  }

  #toMask(events: number): number {
    return (events & EVENT_READ ? this.#readBit : 0) | (events & EVENT_WRITE ? this.#writeBit : 0);
  }

  /**
   * A select() already waiting rescans soon, so an fd registered (or modified) while it waits and
   * ready already ends the wait. An Epoll's ctl does this itself (scheduling is once per turn);
   * a Poll, like poll(2), would keep waiting on what it had.
   */
  #seenByWait(): void {
    this.backend.table.scheduleIfWaiting();
  }
}

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
export class EpollSelector<D = unknown> extends PollLikeSelector<D, Epoll> {
  /** The event buffer select() reuses; never replaced while a wait holds it. */
  #events = new Events(MIN_EVENTS);
  /** An Epoll.wait is filling #events (or has, and #collect has not read it yet). */
  #waiting = false;
  readonly #collect = (n: number): SelectResult<D> => {
    this.#waiting = false;
    return this.#results(this.#events, n);
  };
  readonly #failed = (error: unknown): never => {
    this.#waiting = false;
    throw error;
  };

  constructor(table: DescriptorTable = defaultTable) {
    super(new Epoll(table), EPOLLIN, EPOLLOUT);
  }

  /** The Epoll's descriptor number (-1 once closed). */
  fileno(): number {
    return this.backend.fileno();
  }

  protected selectFds(timeout: number, options: WaitOptions): Promise<SelectResult<D>> {
    if (this.#waiting) {
      // Like threads in one epoll_wait, a select() while another one waits has its own buffer.
      const events = new Events(Math.max(this.registered, 1));
      return this.backend.wait(events, timeout, options).then((n) => this.#results(events, n));
    }
    if (this.registered > this.#events.capacity) {
      this.#events = new Events(Math.max(this.registered, 2 * this.#events.capacity));
    }
    // Through Epoll.wait even when something is ready now, for its no-starvation rule. The buffer
    // is ours until #collect has read it, which happens in a later microtask even for a result
    // taken at once: a select() called meanwhile gets a buffer of its own.
    this.#waiting = true;
    return this.backend.wait(this.#events, timeout, options).then(this.#collect, this.#failed);
  }

  protected override closeBackend(): void {
    this.backend.close();
  }

  /** The first n events of `events` as [key, events]. */
  #results(events: Events, n: number): SelectResult<D> {
    const out: SelectResult<D> = [];
    const data = events.data;
    for (let i = 0; i < n; i++) this.addReady(out, data[2 * i]!, data[2 * i + 1]!);
    return out;
  }
}

/** The best selector wasmux has: the EpollSelector (as in Python on Linux). */
export const DefaultSelector = EpollSelector;
export type DefaultSelector<D = unknown> = EpollSelector<D>;

/**
 * A selector on a `Poll` (POLLIN for EVENT_READ, POLLOUT for EVENT_WRITE), like Python's
 * `PollSelector`. Each select() scans every registration (O(n)). An fd closed while registered
 * reports POLLNVAL, which counts as both readable and writable (masked by the key's events).
 */
export class PollSelector<D = unknown> extends PollLikeSelector<D, Poll> {
  readonly #collect = (ready: Array<[number, number]>): SelectResult<D> => {
    const out: SelectResult<D> = [];
    for (const [fd, revents] of ready) this.addReady(out, fd, revents);
    return out;
  };

  constructor(table: DescriptorTable = defaultTable) {
    super(new Poll(table), POLLIN, POLLOUT);
  }

  protected selectFds(timeout: number, options: WaitOptions): Promise<SelectResult<D>> {
    return this.backend.poll(timeout, options).then(this.#collect);
  }
}

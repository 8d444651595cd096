import {
  EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLET, EPOLLEXCLUSIVE, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLPRI, EPOLLWAKEUP, FD_SETSIZE, LEVEL_BITS,
} from '../core/constants.js';
import { check, PosixError } from '../errors.js';
import { Descriptor } from '../fd/descriptor.js';
import { defaultTable, type DescriptorTable, type Waiter } from '../fd/table.js';
import { toTimeout } from './deadline.js';
import type { Events } from './events.js';
import { toFd, toMask, type FileLike } from './fileobj.js';
import { WaitScope, waitFor, type ParkedWait, type WaitOptions, type WaitSource } from './wait.js';

/** A row of `Epoll.inspect()`, like a `tfd:` line of /proc/PID/fdinfo for an epoll fd. */
export interface EpollItemInfo {
  fd: number;
  /** Interest mask without the input flags (ERR and HUP are always part of it). */
  events: number;
  flags: Array<'ET' | 'ONESHOT' | 'EXCLUSIVE' | 'WAKEUP'>;
  armed: boolean;
  queued: boolean;
  /** The fd's current readiness level. */
  level: number;
}

/**
 * An epoll instance, shaped like Python's `select.epoll` (timeouts in milliseconds). It is a
 * descriptor itself: readable while it has events to report, and it can be registered in another
 * Epoll (nesting) or watched by Poll and select().
 *
 * Several concurrent poll() calls behave like threads blocked in epoll_wait on one epfd: they
 * queue in call order; a level-triggered event is reported to every one of them, an
 * edge-triggered event to the first only.
 */
export class Epoll extends Descriptor {
  readonly kind = 'epoll';
  /** The blocked poll() and wait() calls, in call order. */
  readonly #blocked: Array<ParkedWait> = [];
  readonly #waiter: Waiter = { recheck: () => this.#recheck() };
  /** The poll() and wait() calls yielding for fairness (not in #blocked yet): close() fails them too. */
  readonly #waits = new WaitScope();
  /** Inside #recheck: the waiter count is published once at its end. */
  #rechecking = false;
  /** poll(): the argument is maxEvents, the result the [fd, events] pairs. */
  readonly #pollSource: WaitSource<Array<[number, number]>, number> = {
    take: (max) => {
      const n = this.#take(max);
      return n > 0 ? this.#collect(n) : null;
    },
    empty: () => [],
    park: (wait) => this.#park(wait),
    unpark: (wait) => this.#unpark(wait),
    scope: this.#waits,
  };
  /** wait(): the argument is the caller's Events buffer, the result the count. */
  readonly #waitSource: WaitSource<number, Events> = {
    take: (events) => {
      const n = this.#take(events.capacity);
      if (n === 0) return null;
      this.#copyInto(events, n);
      return n;
    },
    empty: (events) => {
      events.length = 0;
      return 0;
    },
    park: (wait) => this.#park(wait),
    unpark: (wait) => this.#unpark(wait),
    scope: this.#waits,
  };

  constructor(table: DescriptorTable = defaultTable) {
    super(table, { epoll: true });
  }

  /** Adds fd to the interest list (EPOLL_CTL_ADD). Default mask: IN | PRI | OUT, as in Python. */
  register(file: FileLike, events: number = EPOLLIN | EPOLLPRI | EPOLLOUT): void {
    this.#ctl(EPOLL_CTL_ADD, file, toMask(events), 'register');
  }

  /** Changes fd's mask (EPOLL_CTL_MOD): re-arms ONESHOT and re-evaluates readiness. */
  modify(file: FileLike, events: number): void {
    this.#ctl(EPOLL_CTL_MOD, file, toMask(events), 'modify');
  }

  /** Removes fd from the interest list (EPOLL_CTL_DEL). */
  unregister(file: FileLike): void {
    this.#ctl(EPOLL_CTL_DEL, file, 0, 'unregister');
  }

  #ctl(op: number, file: FileLike, events: number, what: string): void {
    const epfd = this.openFd(what);
    const fd = toFd(file);
    check(this.table.core.ctl(epfd, op, fd, events), `epoll ${what} fd ${fd}`);
    // ADD and MOD may have made something ready for a blocked caller, here or in an outer epoll.
    if (op !== EPOLL_CTL_DEL) this.table.scheduleIfWaiting();
  }

  /**
   * Waits for events: resolves with [fd, events] pairs (events unsigned, never an input flag).
   * timeoutMs: negative waits forever, 0 returns at once, any positive number (however large)
   * waits at least that long. maxEvents: -1 means FD_SETSIZE - 1 (Python's default); 0 or below
   * -1 is EINVAL. `signal` aborts the wait (AbortError). A result found without waiting follows
   * the no-starvation rule (see FAIRNESS_RESULTS in wait.ts): after a long streak of them, the
   * wait first lets the host's event loop turn.
   */
  poll(timeoutMs: number = -1, maxEvents: number = -1, options?: WaitOptions): Promise<Array<[number, number]>> {
    let max: number;
    let timeout: number;
    try {
      this.openFd('poll');
      max = toMaxEvents(maxEvents);
      timeout = toTimeout(timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return waitFor(this.#pollSource, max, timeout, options);
  }

  /**
   * Non-blocking and allocation-free: fills `events` with what is ready now; returns the count.
   * Being synchronous it cannot let the host's event loop turn: a loop that calls only pollInto
   * never sees new bytes on TCP sockets (Node delivers them between turns). Wait with poll() or
   * wait() when pollInto finds nothing, or yield yourself (setImmediate) between calls.
   */
  pollInto(events: Events): number {
    const n = this.#take(events.capacity);
    this.#copyInto(events, n);
    return n;
  }

  /** Like poll(), into a reused Events buffer: resolves with the count. */
  wait(events: Events, timeoutMs: number = -1, options?: WaitOptions): Promise<number> {
    let timeout: number;
    try {
      this.openFd('wait');
      timeout = toTimeout(timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return waitFor(this.#waitSource, events, timeout, options);
  }

  /** One non-blocking epoll_wait in the core; the results stay readable until the next one. */
  #take(max: number): number {
    return check(this.table.core.wait(this.openFd('poll'), max), 'epoll wait');
  }

  #collect(n: number): Array<[number, number]> {
    const core = this.table.core;
    const out = new Array<[number, number]>(n);
    for (let i = 0; i < n; i++) out[i] = [core.eventFd(i), core.eventMask(i)];
    return out;
  }

  #copyInto(events: Events, n: number): void {
    const core = this.table.core;
    const data = events.data;
    for (let i = 0; i < n; i++) {
      data[2 * i] = core.eventFd(i);
      data[2 * i + 1] = core.eventMask(i);
    }
    events.length = n;
  }

  #park(wait: ParkedWait): void {
    this.#blocked.push(wait);
    this.#publishWaiters();
  }

  #unpark(wait: ParkedWait): void {
    const index = this.#blocked.indexOf(wait);
    if (index >= 0) this.#blocked.splice(index, 1);
    if (!this.#rechecking) this.#publishWaiters();
  }

  /** Tells the core how many callers are blocked (EXCLUSIVE prefers instances with waiters). */
  #publishWaiters(): void {
    const epfd = this.fileno();
    if (epfd < 0) return;
    this.table.core.setWaiters(epfd, this.#blocked.length);
    this.table.setEpollWaiter(epfd, this.#blocked.length > 0 ? this.#waiter : undefined);
  }

  /** After a wakeup: blocked callers take events in call order until one finds none. */
  #recheck(): void {
    this.#rechecking = true;
    try {
      while (this.#blocked.length > 0 && !this.closed) {
        if (!this.#blocked[0]!.recheck()) break;
      }
    } finally {
      this.#rechecking = false;
    }
    this.#publishWaiters();
  }

  /** The interest list and ready list, like /proc/PID/fdinfo of an epoll fd. */
  inspect(): { fd: number; interest: EpollItemInfo[]; ready: number[]; waiters: number } {
    const epfd = this.openFd('inspect');
    const core = this.table.core;
    const entries = core.interest(epfd);
    const ready = core.readyList(epfd);
    if (typeof entries === 'number') check(entries, 'inspect');
    if (typeof ready === 'number') check(ready, 'inspect');
    const interest = (entries as Exclude<typeof entries, number>).map((entry) => ({
      fd: entry.fd,
      events: entry.events & LEVEL_BITS,
      flags: flagNames(entry.events),
      armed: entry.armed,
      queued: entry.queued,
      level: core.level(entry.fd),
    }));
    return { fd: epfd, interest, ready: ready as number[], waiters: this.#blocked.length };
  }

  protected override onClose(): void {
    const error = new PosixError('EBADF', 'epoll instance closed during poll');
    this.#waits.end(error);
    for (const wait of [...this.#blocked]) wait.fail(error);
  }
}

function toMaxEvents(maxEvents: number): number {
  if (maxEvents === -1) return FD_SETSIZE - 1;
  if (!Number.isInteger(maxEvents) || maxEvents <= 0 || maxEvents > 0x7fffffff) {
    throw new PosixError('EINVAL', `maxEvents must be positive or -1, got ${String(maxEvents)}`);
  }
  return maxEvents;
}

function flagNames(events: number): EpollItemInfo['flags'] {
  const flags: EpollItemInfo['flags'] = [];
  if (events & EPOLLET) flags.push('ET');
  if (events & EPOLLONESHOT) flags.push('ONESHOT');
  if (events & EPOLLEXCLUSIVE) flags.push('EXCLUSIVE');
  if (events & EPOLLWAKEUP) flags.push('WAKEUP');
  return flags;
}

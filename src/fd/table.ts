import { check, PosixError } from '../errors.js';
import { createWasmCore } from '../core/wasm-core.js';
import type { ReadinessCore } from '../core/readiness-core.js';
import type { Descriptor } from './descriptor.js';
import { MinHeap } from './min-heap.js';

/** allocate() hands out numbers from here up; the ones below are stdio's, taken by claim(). */
const FIRST_ALLOCATED = 3;

/** Something blocked in a wait that a wakeup may end (a pending Epoll/Poll/select call). */
export interface Waiter {
  /** Re-checks the waiter's condition; runs in a microtask after wakeups. */
  recheck(): void;
}

/**
 * The process's descriptor table: numbers allocated lowest-free from 3 (0, 1 and 2 are stdio),
 * the JavaScript object behind each number, and the core that holds their readiness.
 * Wakeups are batched: sources update the core synchronously, and blocked waiters are rechecked
 * once, in a microtask, after the code that caused the wakeups has run.
 */
export class DescriptorTable {
  readonly core: ReadinessCore;
  readonly #objects: (Descriptor | undefined)[] = [];
  /** Free numbers below #next, lowest first. */
  readonly #free = new MinHeap<number>((a, b) => a < b);
  #next = FIRST_ALLOCATED;
  /** Epoll instances with blocked callers, by fd: notified by the core. */
  readonly #epollWaiters = new Map<number, Waiter>();
  /** Poll and select calls in progress: any wakeup may concern them. */
  readonly #scanWaiters = new Set<Waiter>();
  /** A recheck is queued as a microtask / as an immediate (after this turn's I/O callbacks). */
  #scheduled = false;
  #scheduledAfterIo = false;

  constructor(core: ReadinessCore = createWasmCore()) {
    this.core = core;
  }

  /** Takes the lowest free number for `object` and opens it in the core (as an instance if `epoll`). */
  allocate(object: Descriptor, options?: { epoll?: boolean }): number {
    const fd = this.#free.pop() ?? this.#next++;
    const result = options?.epoll === true ? this.core.epollCreate(fd) : this.core.open(fd);
    if (result < 0) {
      this.#free.push(fd);
      check(result, 'open descriptor');
    }
    this.#objects[fd] = object;
    return fd;
  }

  /**
   * Opens one of the numbers below 3 that allocate() never hands out (stdio's 0, 1 and 2) for
   * `object`: EINVAL for any other number, EEXIST if it is open.
   */
  claim(object: Descriptor, fd: number): number {
    if (!Number.isInteger(fd) || fd < 0 || fd >= FIRST_ALLOCATED) {
      throw new PosixError('EINVAL', `only fds 0 to ${FIRST_ALLOCATED - 1} can be claimed, got ${String(fd)}`);
    }
    if (this.#objects[fd] !== undefined) throw new PosixError('EEXIST', `fd ${fd} is open`);
    check(this.core.open(fd), 'open descriptor');
    this.#objects[fd] = object;
    return fd;
  }

  /** Closes `fd` in the core (it leaves every interest list) and frees its number. */
  release(fd: number): void {
    check(this.core.close(fd), 'close');
    this.#objects[fd] = undefined;
    this.#epollWaiters.delete(fd);
    // A claimed number goes back to claim(), never to allocate(): 0-2 stay stdio's.
    if (fd >= FIRST_ALLOCATED) this.#free.push(fd);
    // poll() reports POLLNVAL for a closed fd and select() fails with EBADF: both must look again.
    if (this.#scanWaiters.size > 0) this.schedule();
  }

  /** The object behind `fd`, or undefined. */
  get(fd: number): Descriptor | undefined {
    return this.#objects[fd];
  }

  /** The object behind `fd`, or EBADF. */
  lookup(fd: number): Descriptor {
    const object = Number.isInteger(fd) && fd >= 0 ? this.#objects[fd] : undefined;
    if (object === undefined) throw new PosixError('EBADF', `fd ${fd} is not open`);
    return object;
  }

  /**
   * A source's new level and optional wakeup, caused by the program (a send on a socketpair):
   * the waiters are rechecked in a microtask, right after the code that caused it.
   */
  update(fd: number, level: number, edge: number): void {
    if (this.#set(fd, level, edge)) this.schedule();
  }

  /**
   * update() from a Node I/O callback: the waiters are rechecked once after the I/O phase of this
   * event-loop turn (setImmediate). libuv delivers a whole batch of socket reads in one turn, each
   * as its own callback followed by the microtask queue, and a microtask per wakeup would end a
   * wait with one event each time instead of the batch.
   */
  updateFromIo(fd: number, level: number, edge: number): void {
    if (this.#set(fd, level, edge)) this.#scheduleAfterIo();
  }

  /** Sets the level and delivers the wakeup in the core; true if some waiter must look again. */
  #set(fd: number, level: number, edge: number): boolean {
    const pending = this.core.set(fd, level, edge);
    return pending > 0 || (edge !== 0 && this.#scanWaiters.size > 0);
  }

  /** The current readiness level of `fd` (EBADF if closed). */
  level(fd: number): number {
    return check(this.core.level(fd), 'level');
  }

  setEpollWaiter(epfd: number, waiter: Waiter | undefined): void {
    if (waiter) this.#epollWaiters.set(epfd, waiter);
    else this.#epollWaiters.delete(epfd);
  }

  addScanWaiter(waiter: Waiter): void {
    this.#scanWaiters.add(waiter);
  }

  deleteScanWaiter(waiter: Waiter): void {
    this.#scanWaiters.delete(waiter);
  }

  /** After a change that may have made something ready (ctl ADD/MOD): recheck if anyone waits. */
  scheduleIfWaiting(): void {
    if (this.#epollWaiters.size > 0 || this.#scanWaiters.size > 0) this.schedule();
  }

  /** Arranges one recheck of the waiters after the current synchronous code. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#dispatch);
  }

  #scheduleAfterIo(): void {
    if (this.#scheduled || this.#scheduledAfterIo) return;
    this.#scheduledAfterIo = true;
    setImmediate(this.#dispatch);
  }

  /** Rechecks the notified epoll instances and every poll/select call, once for all wakeups so far. */
  readonly #dispatch = (): void => {
    this.#scheduled = false;
    this.#scheduledAfterIo = false;
    for (const epfd of this.core.takeNotified()) this.#epollWaiters.get(epfd)?.recheck();
    if (this.#scanWaiters.size > 0) for (const waiter of [...this.#scanWaiters]) waiter.recheck();
  };

  /**
   * How many waits are registered for wakeups: Epoll instances with blocked callers, and
   * Poll/select calls. Both are 0 when nothing waits (a finished, aborted or timed-out wait
   * leaves nothing behind).
   */
  waiters(): { epoll: number; scan: number } {
    return { epoll: this.#epollWaiters.size, scan: this.#scanWaiters.size };
  }

  /** Every open descriptor: fd, kind and level, like `ls -l /proc/self/fd`. */
  inspect(): Array<{ fd: number; kind: string; level: number }> {
    const rows: Array<{ fd: number; kind: string; level: number }> = [];
    this.#objects.forEach((object, fd) => {
      if (object) rows.push({ fd, kind: object.kind, level: this.core.level(fd) });
    });
    return rows;
  }
}

/** The table that descriptors use unless given another. */
export const defaultTable = new DescriptorTable();

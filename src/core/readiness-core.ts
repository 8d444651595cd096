/**
 * The contract every readiness core fulfils: the WebAssembly core (wasm-core.ts), the
 * typed-array TypeScript port used as a benchmark baseline (test/model/typed-core.ts) and the
 * reference model of the tests (test/model/model.ts). docs/core-abi.md is the specification;
 * the methods mirror the core's exports one for one, and return negative errno values instead
 * of throwing.
 */
export interface InterestEntry {
  /** The watched descriptor. */
  fd: number;
  /** The interest mask as stored: the caller's bits, ERR|HUP, and the input flags (unsigned). */
  events: number;
  /** False after a ONESHOT item was reported, until MOD re-arms it. */
  armed: boolean;
  /** True while the item sits on the instance's ready list. */
  queued: boolean;
}

export interface ReadinessCore {
  readonly name: string;
  /** Opens a plain source at `fd` with level 0. 0, or -EEXIST / -EINVAL / -EMFILE / -ENOMEM. */
  open(fd: number): number;
  /** Opens an epoll instance at `fd`. Same results as `open`. */
  epollCreate(fd: number): number;
  /** Closes any descriptor; it leaves every interest list. 0 or -EBADF. */
  close(fd: number): number;
  /**
   * Sets a plain source's level, then signals a wakeup (an edge) with `edge` if it is not 0.
   * Returns how many epoll instances wait to be notified (>= 0), or -EBADF / -EINVAL.
   */
  set(fd: number, level: number, edge: number): number;
  /** The current level (for an epoll fd: IN|RDNORM while it has something to report), or -EBADF. */
  level(fd: number): number;
  /** The descriptor's generation, bumped on every open of its number, or -EBADF. */
  generation(fd: number): number;
  /** epoll_ctl. 0 or -errno. */
  ctl(epfd: number, op: number, fd: number, events: number): number;
  /** Non-blocking epoll_wait: the number of events now readable with eventFd/eventMask, or -errno. */
  wait(epfd: number, maxEvents: number): number;
  eventFd(i: number): number;
  eventMask(i: number): number;
  /** Tells the core how many callers are blocked on the instance (EXCLUSIVE and notifications use it). */
  setWaiters(epfd: number, n: number): number;
  /** The epoll fds notified since the last call, in FIFO order; clears the list. */
  takeNotified(): number[];
  /**
   * poll(2) over `n` entries: writes revents[i] for each (fds[i], events[i]); returns how many are
   * non-zero. A negative fd gets 0; a closed one POLLNVAL.
   */
  scanPoll(fds: Int32Array, events: Int32Array, revents: Int32Array, n: number): number;
  /**
   * select(2) over fds = [read set (nr), write set (nw), except set (nx)]: ready[i] = 1 or 0.
   * Returns how many are ready, or -EBADF when one of them is not open.
   */
  scanSelect(fds: Int32Array, nr: number, nw: number, nx: number, ready: Uint8Array): number;
  /** The interest list in insertion order, or -errno. */
  interest(epfd: number): InterestEntry[] | number;
  /** The ready list in queue order (fds), or -errno. */
  readyList(epfd: number): number[] | number;
}

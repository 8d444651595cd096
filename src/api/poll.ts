import { POLLIN, POLLOUT, POLLPRI } from '../core/constants.js';
import { check, PosixError } from '../errors.js';
import { defaultTable, type DescriptorTable } from '../fd/table.js';
import { toTimeout } from './deadline.js';
import { toFd, toMask, type FileLike } from './fileobj.js';
import { waitFor, type WaitOptions, type WaitSource } from './wait.js';

/** A row of `Poll.inspect()`. */
export interface PollEntryInfo {
  fd: number;
  events: number;
  /** What poll() would report for it now (POLLNVAL when the fd is closed). */
  revents: number;
}

/**
 * poll(2) over a set of descriptors, shaped like Python's `select.poll` (timeouts in ms).
 * The level check of every entry runs inside the core (`scan_poll`), so its O(n) cost is the
 * core's. Registration order is report order. A closed fd reports POLLNVAL.
 */
export class Poll {
  readonly table: DescriptorTable;
  /** fd -> mask, in registration order. */
  readonly #masks = new Map<number, number>();
  // Packed arrays for the scan, rebuilt after a change.
  #fds = new Int32Array(0);
  #events = new Int32Array(0);
  #revents = new Int32Array(0);
  #dirty = false;
  /** How poll() takes: a scan; a blocked poll() is rechecked after every wakeup of the table. */
  readonly #source: WaitSource<Array<[number, number]>, undefined> = {
    take: () => {
      const ready = this.#scan();
      return ready.length > 0 ? ready : null;
    },
    empty: () => [],
    park: (wait) => this.table.addScanWaiter(wait),
    unpark: (wait) => this.table.deleteScanWaiter(wait),
  };

  constructor(table: DescriptorTable = defaultTable) {
    this.table = table;
  }

  /** Adds fd, or changes its mask if it is already registered (Python's behaviour). */
  register(file: FileLike, mask: number = POLLIN | POLLPRI | POLLOUT): void {
    this.#masks.set(toFd(file), toPollMask(mask));
    this.#dirty = true;
  }

  /** Changes the mask of a registered fd; ENOENT if it is not registered. */
  modify(file: FileLike, mask: number): void {
    const fd = toFd(file);
    if (!this.#masks.has(fd)) throw new PosixError('ENOENT', `fd ${fd} is not registered`);
    this.#masks.set(fd, toPollMask(mask));
    this.#dirty = true;
  }

  /** Removes fd; ENOENT (Python: KeyError) if it is not registered. */
  unregister(file: FileLike): void {
    const fd = toFd(file);
    if (!this.#masks.delete(fd)) throw new PosixError('ENOENT', `fd ${fd} is not registered`);
    this.#dirty = true;
  }

  /**
   * Resolves with [fd, revents] for every entry with something to report. timeoutMs: negative
   * (or Infinity) waits forever, 0 returns at once, any positive number (however large) waits at
   * least that long. `signal` aborts the wait (AbortError). Results found without waiting follow
   * the no-starvation rule (see FAIRNESS_RESULTS in wait.ts).
   */
  poll(timeoutMs: number = -1, options?: WaitOptions): Promise<Array<[number, number]>> {
    let timeout: number;
    try {
      timeout = toTimeout(timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return waitFor(this.#source, undefined, timeout, options);
  }

  #scan(): Array<[number, number]> {
    if (this.#dirty) this.#pack();
    const n = this.#fds.length;
    const count = check(this.table.core.scanPoll(this.#fds, this.#events, this.#revents, n), 'poll');
    const out: Array<[number, number]> = [];
    for (let k = 0; k < n && out.length < count; k++) {
      const revents = this.#revents[k]!;
      if (revents !== 0) out.push([this.#fds[k]!, revents]);
    }
    return out;
  }

  #pack(): void {
    const n = this.#masks.size;
    this.#fds = new Int32Array(n);
    this.#events = new Int32Array(n);
    this.#revents = new Int32Array(n);
    let k = 0;
    for (const [fd, mask] of this.#masks) {
      this.#fds[k] = fd;
      this.#events[k++] = mask;
    }
    this.#dirty = false;
  }

  /** Every entry with its mask and what it would report now. */
  inspect(): PollEntryInfo[] {
    if (this.#dirty) this.#pack();
    this.table.core.scanPoll(this.#fds, this.#events, this.#revents, this.#fds.length);
    return Array.from(this.#fds, (fd, k) => ({ fd, events: this.#events[k]!, revents: this.#revents[k]! }));
  }
}

/** poll's events field is a C short: 16 bits. */
function toPollMask(mask: number): number {
  const value = toMask(mask, 'poll mask');
  if (value > 0xffff) throw new PosixError('EINVAL', `poll mask must fit in 16 bits, got ${mask}`);
  return value;
}

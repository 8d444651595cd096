import { EPOLLIN, EPOLLOUT } from '../core/constants.js';
import { PosixError } from '../errors.js';
import { Descriptor } from '../fd/descriptor.js';
import { defaultTable, type DescriptorTable } from '../fd/table.js';
import { toBytes } from './byte-queue.js';

/**
 * The largest value the counter holds. Linux's is 2^64 - 2 (a u64, ULLONG_MAX - 1); ours is
 * Number.MAX_SAFE_INTEGER (2^53 - 1), the largest integer a JavaScript number holds exactly.
 */
export const EVENTFD_MAX = Number.MAX_SAFE_INTEGER;

/** eventfd(2)'s initval is an unsigned int. */
const INITVAL_MAX = 0xffffffff;

export interface EventFdOptions {
  /** EFD_SEMAPHORE: each read returns 1 and decrements the counter. */
  semaphore?: boolean;
  /** The descriptor table it is numbered in; default the process's table. */
  table?: DescriptorTable;
}

/**
 * An eventfd (EFD_NONBLOCK): a counter. Level, as Linux's eventfd_poll: IN while the counter is
 * above 0, OUT while it is below EVENTFD_MAX. Linux sets only EPOLLIN and EPOLLOUT here (no
 * RDNORM/WRNORM), and so do we. Every write is a wakeup with IN (even of 0, even when the counter
 * was already above 0), every read a wakeup with OUT, as eventfd_write/eventfd_read do.
 *
 * Two forms of read and write, told apart by their arguments:
 * - `read()` returns the counter as a number (or 1 in semaphore mode) and `write(n)` adds the
 *   number n, returning true, or false if it would block.
 * - `read(n)` and `write(bytes)` are read(2)/write(2), the form Descriptor and the fd-level
 *   `read`/`write` use: 8 bytes, the counter as a little-endian u64. read(n) needs n >= 8 and
 *   returns 8 bytes or null; write needs at least 8 bytes and returns 8, or 0 if it would block.
 */
export class EventFd extends Descriptor {
  readonly kind = 'eventfd';
  readonly semaphore: boolean;
  #count: number;

  /** Use `eventfd()`. */
  private constructor(initval: number, semaphore: boolean, table: DescriptorTable) {
    super(table);
    this.#count = initval;
    this.semaphore = semaphore;
    this.#publish(0);
  }

  /** Makes an eventfd; exposed as `eventfd()`. */
  static create(initval = 0, options: EventFdOptions = {}): EventFd {
    if (!Number.isInteger(initval) || initval < 0 || initval > INITVAL_MAX) {
      throw new PosixError('EINVAL', `initval must be an unsigned 32-bit integer, got ${String(initval)}`);
    }
    return new EventFd(initval, options.semaphore ?? false, options.table ?? defaultTable);
  }

  /** The counter, without reading it (like the `eventfd-count` line of /proc/PID/fdinfo). */
  get count(): number {
    this.openFd('count');
    return this.#count;
  }

  /** Takes the counter (resetting it to 0), or 1 in semaphore mode; null when it is 0 (would block). */
  override read(): number | null;
  /** read(2): the counter as 8 little-endian bytes, or null; EINVAL if n < 8. */
  override read(n: number): Uint8Array | null;
  override read(n?: number): number | Uint8Array | null {
    this.openFd('read');
    if (n === undefined) return this.#take();
    if (!Number.isInteger(n) || n < 8) throw new PosixError('EINVAL', `an eventfd read needs at least 8 bytes, got ${String(n)}`);
    const value = this.#take();
    if (value === null) return null;
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
    return out;
  }

  /** Adds n: true, or false if the counter would exceed EVENTFD_MAX (would block). */
  override write(n: number): boolean;
  /** write(2): adds the little-endian u64 in the first 8 bytes; returns 8, or 0 if it would block. */
  override write(data: Uint8Array | string): number;
  override write(value: number | Uint8Array | string): boolean | number {
    this.openFd('write');
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new PosixError('EINVAL', `an eventfd write needs a non-negative safe integer, got ${String(value)}`);
      }
      return this.#add(value);
    }
    const bytes = toBytes(value);
    if (bytes.length < 8) throw new PosixError('EINVAL', `an eventfd write needs at least 8 bytes, got ${bytes.length}`);
    const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    // Linux rejects 2^64 - 1. Values we cannot hold exactly are EINVAL too (Linux would add them).
    if (n > BigInt(EVENTFD_MAX)) throw new PosixError('EINVAL', `eventfd value ${n} is above ${EVENTFD_MAX}`);
    return this.#add(Number(n)) ? 8 : 0;
  }

  #take(): number | null {
    if (this.#count === 0) return null;
    const value = this.semaphore ? 1 : this.#count;
    this.#count -= value;
    this.#publish(EPOLLOUT);
    return value;
  }

  #add(n: number): boolean {
    // eventfd_write blocks while count + n would pass the maximum.
    if (n > EVENTFD_MAX - this.#count) return false;
    this.#count += n;
    this.#publish(EPOLLIN);
    return true;
  }

  #publish(edge: number): void {
    let level = 0;
    if (this.#count > 0) level |= EPOLLIN;
    if (this.#count < EVENTFD_MAX) level |= EPOLLOUT;
    this.setReadiness(level, edge);
  }
}

/**
 * eventfd(initval, EFD_NONBLOCK [| EFD_SEMAPHORE]). initval is an unsigned 32-bit integer, as in
 * eventfd(2); the counter then goes up to EVENTFD_MAX (2^53 - 1).
 */
export function eventfd(initval = 0, options?: EventFdOptions): EventFd {
  return EventFd.create(initval, options);
}

import { PosixError } from '../errors.js';

/**
 * A reusable buffer of epoll events for hot loops: `Epoll.pollInto` and `Epoll.wait` fill it
 * without allocating, and the caller reads `fd(i)` and `events(i)` for i < length.
 */
export class Events {
  readonly capacity: number;
  /** Pairs of (fd, events) as int32. */
  readonly data: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new PosixError('EINVAL', `Events capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.data = new Int32Array(2 * capacity);
  }

  fd(i: number): number {
    return this.data[2 * i]!;
  }

  /** The reported mask, as an unsigned number. */
  events(i: number): number {
    return this.data[2 * i + 1]! >>> 0;
  }

  /** Allocating convenience: the events as [fd, events] pairs. */
  toArray(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.length; i++) out.push([this.fd(i), this.events(i)]);
    return out;
  }
}

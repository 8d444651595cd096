import { describe, expect, it } from 'vitest';
import { Epoll } from '../../src/api/epoll.js';
import { EPOLLET, EPOLLIN, EPOLLOUT } from '../../src/core/constants.js';
import { read, write } from '../../src/fd/syscalls.js';
import { defaultTable } from '../../src/fd/table.js';
import { EVENTFD_MAX, eventfd } from '../../src/sources/eventfd.js';
import { code, expectTableEmptyAfterEach, level } from '../helpers.js';

// Linux's eventfd_poll sets EPOLLIN and EPOLLOUT only (no RDNORM/WRNORM).
const IN = EPOLLIN;
const OUT = EPOLLOUT;

/** A u64 as 8 little-endian bytes. */
function u64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

expectTableEmptyAfterEach();

describe('eventfd: counter and readiness', () => {
  it('starts at initval; write adds, read takes it all and resets to 0', () => {
    const e = eventfd();
    expect(e.fileno()).toBe(3);
    expect(e.kind).toBe('eventfd');
    expect(level(e)).toBe(OUT);
    expect(e.read()).toBeNull();
    expect(e.write(3)).toBe(true);
    expect(level(e)).toBe(IN | OUT);
    expect(e.write(4)).toBe(true);
    expect(e.count).toBe(7);
    expect(e.read()).toBe(7);
    expect(level(e)).toBe(OUT);
    expect(e.read()).toBeNull();
    e.close();

    const f = eventfd(5);
    expect(level(f)).toBe(IN | OUT);
    expect(f.read()).toBe(5);
    f.close();
  });

  it('semaphore mode: each read returns 1 and decrements', () => {
    const e = eventfd(2, { semaphore: true });
    expect(e.semaphore).toBe(true);
    expect(e.read()).toBe(1);
    expect(level(e)).toBe(IN | OUT);
    expect(e.read()).toBe(1);
    expect(level(e)).toBe(OUT);
    expect(e.read()).toBeNull();
    e.write(1);
    expect(e.read()).toBe(1);
    e.close();
  });

  it('the counter stops at EVENTFD_MAX (2^53 - 1): OUT goes away, a write past it would block', () => {
    expect(EVENTFD_MAX).toBe(Number.MAX_SAFE_INTEGER);
    const e = eventfd(10);
    expect(e.write(EVENTFD_MAX - 11)).toBe(true);
    expect(level(e)).toBe(IN | OUT);
    expect(e.write(2)).toBe(false);
    expect(e.count).toBe(EVENTFD_MAX - 1);
    expect(e.write(1)).toBe(true);
    expect(level(e)).toBe(IN);
    expect(e.write(1)).toBe(false);
    expect(e.write(0)).toBe(true);
    expect(e.read()).toBe(EVENTFD_MAX);
    expect(level(e)).toBe(OUT);
    e.close();
  });

  it('read(n) and write(bytes) use the 8-byte little-endian form of read(2)/write(2)', () => {
    const e = eventfd(0);
    expect(e.read(8)).toBeNull();
    expect(e.write(u64(0x1_0000_0002n))).toBe(8);
    expect(level(e)).toBe(IN | OUT);
    expect(e.read(16)).toEqual(u64(0x1_0000_0002n));
    // Extra bytes after the first 8 are ignored, as on Linux.
    expect(e.write(new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0, 99]))).toBe(8);
    expect(read(e.fileno(), 8)).toEqual(u64(5n));
    expect(write(e.fileno(), u64(BigInt(EVENTFD_MAX)))).toBe(8);
    expect(write(e.fileno(), u64(1n))).toBe(0); // would block
    expect(e.read()).toBe(EVENTFD_MAX);
    e.close();
  });
});

describe('eventfd: errors', () => {
  it('EINVAL: bad numbers, short buffers, 2^64 - 1 and values above EVENTFD_MAX', () => {
    const e = eventfd(1);
    for (const n of [-1, 1.5, NaN, Infinity, 2 ** 53]) expect(code(() => e.write(n))).toBe('EINVAL');
    expect(code(() => e.read(7))).toBe('EINVAL');
    expect(code(() => e.read(0))).toBe('EINVAL');
    expect(code(() => e.write(new Uint8Array(7)))).toBe('EINVAL');
    expect(code(() => e.write(new Uint8Array(8).fill(0xff)))).toBe('EINVAL');
    expect(code(() => e.write(u64(BigInt(EVENTFD_MAX) + 1n)))).toBe('EINVAL');
    // Nothing changed.
    expect(e.count).toBe(1);
    for (const initval of [-1, 0.5, 2 ** 32]) expect(code(() => eventfd(initval))).toBe('EINVAL');
    const big = eventfd(2 ** 32 - 1);
    expect(big.read()).toBe(2 ** 32 - 1);
    big.close();
    e.close();
  });

  it('EBADF after close; numbers are reused lowest-first', () => {
    const [a, b, c] = [eventfd(), eventfd(), eventfd()];
    expect([a.fileno(), b.fileno(), c.fileno()]).toEqual([3, 4, 5]);
    b.close();
    expect(b.fileno()).toBe(-1);
    expect(code(() => b.read())).toBe('EBADF');
    expect(code(() => b.read(8))).toBe('EBADF');
    expect(code(() => b.write(1))).toBe('EBADF');
    expect(code(() => b.write(u64(1n)))).toBe('EBADF');
    expect(code(() => b.count)).toBe('EBADF');
    expect(code(() => defaultTable.level(4))).toBe('EBADF');
    const d = eventfd(1);
    expect(d.fileno()).toBe(4);
    expect(level(d)).toBe(IN | OUT);
    for (const e of [a, c, d]) e.close();
  });
});

describe('eventfd: wakeups seen through Epoll', () => {
  it('ET: every write is reported, even when the counter was already above 0, even a write of 0', async () => {
    const ep = new Epoll();
    const e = eventfd(0);
    ep.register(e, EPOLLIN | EPOLLET);
    expect(await ep.poll(0)).toEqual([]);
    e.write(1);
    expect(await ep.poll(0)).toEqual([[e.fileno(), IN]]);
    expect(await ep.poll(0)).toEqual([]);
    e.write(1);
    expect(await ep.poll(0)).toEqual([[e.fileno(), IN]]);
    // eventfd_write wakes with EPOLLIN whatever it added.
    e.write(0);
    expect(await ep.poll(0)).toEqual([[e.fileno(), IN]]);
    const pending = ep.poll(1000);
    e.write(5);
    expect(await pending).toEqual([[e.fileno(), IN]]);
    expect(e.read()).toBe(7);
    // A write that would block is no event.
    e.write(EVENTFD_MAX);
    await ep.poll(0);
    expect(e.write(1)).toBe(false);
    expect(await ep.poll(0)).toEqual([]);
    ep.close();
    e.close();
  });

  it('ET: every read is an OUT wakeup; a write is not', async () => {
    const ep = new Epoll();
    const e = eventfd(3, { semaphore: true });
    ep.register(e, EPOLLOUT | EPOLLET);
    expect(await ep.poll(0)).toEqual([[e.fileno(), OUT]]);
    e.write(1);
    expect(await ep.poll(0)).toEqual([]);
    e.read();
    expect(await ep.poll(0)).toEqual([[e.fileno(), OUT]]);
    e.read();
    expect(await ep.poll(0)).toEqual([[e.fileno(), OUT]]);
    ep.close();
    e.close();
  });
});

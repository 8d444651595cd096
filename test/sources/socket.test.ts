import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Epoll } from '../../src/api/epoll.js';
import {
  EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRBAND, EPOLLWRNORM,
} from '../../src/core/constants.js';
import { read, write } from '../../src/fd/syscalls.js';
import { defaultTable } from '../../src/fd/table.js';
import { ByteQueue } from '../../src/sources/byte-queue.js';
import { socketpair } from '../../src/sources/socket.js';
import { SHUT_RD, SHUT_RDWR, SHUT_WR } from '../../src/sources/wakeup-keys.js';
import { bytes, code, expectTableEmptyAfterEach, level, random, text } from '../helpers.js';

const R = EPOLLIN | EPOLLRDNORM;
const W = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
/** The receive side is shut: readable (for the EOF) and RDHUP. */
const RSHUT = R | EPOLLRDHUP;

expectTableEmptyAfterEach();

describe('ByteQueue', () => {
  it('is a bounded FIFO: push copies what fits, reads and peeks in order', () => {
    const q = new ByteQueue(10);
    const src = bytes('abcdef');
    expect(q.push(src)).toBe(6);
    src.fill(0); // push copied
    expect(q.push(bytes('ghijkl'))).toBe(4);
    expect([q.size, q.free]).toEqual([10, 0]);
    expect(q.push(bytes('z'))).toBe(0);
    expect(text(q.peek(3))).toBe('abc');
    expect(text(q.take(4))).toBe('abcd');
    const buf = new Uint8Array(4);
    expect(q.readInto(buf)).toBe(4);
    expect(text(buf)).toBe('efgh');
    expect(q.push(bytes('mnop'))).toBe(4);
    expect(text(q.take(100))).toBe('ijmnop');
    expect(q.take(5)).toEqual(new Uint8Array(0));
    expect(q.readInto(buf)).toBe(0);
    expect(code(() => new ByteQueue(0))).toBe('EINVAL');
  });

  it('keeps every byte through many small and large pushes', () => {
    const rand = random(7);
    const q = new ByteQueue(5000);
    const sent: number[] = [];
    const got: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const size = rand() < 0.9 ? Math.floor(rand() * 20) : Math.floor(rand() * 3000);
      const chunk = Uint8Array.from({ length: size }, () => Math.floor(rand() * 256));
      const n = q.push(chunk);
      sent.push(...chunk.subarray(0, n));
      got.push(...q.take(Math.floor(rand() * 40)));
    }
    got.push(...q.take(q.size));
    expect(got).toEqual(sent);
  });

  it('what a read returned never changes when the queue writes its memory again', () => {
    // An emptied queue keeps its last chunk for the next push (up to 16 KiB): reads must copy.
    for (const size of [3, 1000, 16 * 1024, 16 * 1024 + 1]) {
      const q = new ByteQueue(1 << 20);
      q.push(new Uint8Array(size).fill(1));
      const taken = q.take(size);
      q.push(new Uint8Array(size).fill(2));
      const peeked = q.peek(size);
      const into = new Uint8Array(size);
      q.readInto(into);
      q.push(new Uint8Array(size).fill(3));
      expect([taken.every((b) => b === 1), peeked.every((b) => b === 2), into.every((b) => b === 2)], `size ${size}`).toEqual([true, true, true]);
      expect(q.take(size).every((b) => b === 3)).toBe(true);
    }
  });

  it('matches a plain array of bytes under any sequence of pushes, takes, peeks, readIntos and clears (property)', () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: 0, max: 20_000 }) }),
      fc.record({ take: fc.integer({ min: 0, max: 20_000 }) }),
      fc.record({ peek: fc.integer({ min: 0, max: 20_000 }) }),
      fc.record({ readInto: fc.integer({ min: 1, max: 20_000 }) }),
      fc.constant({ clear: true }),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 40_000 }), fc.array(op, { maxLength: 40 }), (capacity, ops) => {
      const q = new ByteQueue(capacity);
      let model: number[] = [];
      let next = 0;
      const returned: [Uint8Array, number[]][] = [];
      for (const o of ops) {
        if ('push' in o) {
          const data = Uint8Array.from({ length: o.push }, () => next++ & 0xff);
          const n = q.push(data);
          expect(n).toBe(Math.min(o.push, capacity - model.length));
          model.push(...data.subarray(0, n));
        } else if ('take' in o || 'peek' in o) {
          const n = 'take' in o ? o.take : o.peek;
          const got = 'take' in o ? q.take(n) : q.peek(n);
          const want = model.slice(0, Math.min(n, model.length));
          expect([...got]).toEqual(want);
          if ('take' in o) model = model.slice(want.length);
          returned.push([got, want]);
        } else if ('readInto' in o) {
          const buf = new Uint8Array(o.readInto);
          const n = q.readInto(buf);
          expect([...buf.subarray(0, n)]).toEqual(model.slice(0, n));
          model = model.slice(n);
          returned.push([buf.subarray(0, n), [...buf.subarray(0, n)]]);
        } else {
          q.clear();
          model = [];
        }
        expect([q.size, q.free]).toEqual([model.length, capacity - model.length]);
      }
      // No later push wrote over what an earlier read handed out.
      for (const [got, want] of returned) expect([...got]).toEqual(want);
    }), { numRuns: 300 });
  });
});

describe('socketpair: data and readiness', () => {
  it('numbers the ends lowest-free; both start writable and not readable', () => {
    const [a, b] = socketpair();
    expect([a.fileno(), b.fileno()]).toEqual([3, 4]);
    expect([a.kind, b.kind]).toEqual(['socket', 'socket']);
    expect(a.capacity).toBe(65536);
    expect([level(a), level(b)]).toEqual([W, W]);
    a.close();
    b.close();
  });

  it('send makes the peer readable until it is drained; recv of an empty socket is null', () => {
    const [a, b] = socketpair();
    expect(b.recv(10)).toBeNull();
    expect(b.recvInto(new Uint8Array(4))).toBeNull();
    expect(a.send('hello')).toBe(5);
    expect([level(a), level(b)]).toEqual([W, R | W]);
    expect(text(b.recv(2))).toBe('he');
    expect(level(b)).toBe(R | W);
    const buf = new Uint8Array(10);
    expect(b.recvInto(buf)).toBe(3);
    expect(text(buf.subarray(0, 3))).toBe('llo');
    expect(level(b)).toBe(W);
    expect(b.recv(1)).toBeNull();
    // Both directions are independent.
    expect(b.send(new Uint8Array([1, 2, 3]))).toBe(3);
    expect(level(a)).toBe(R | W);
    expect(a.recv(3)).toEqual(new Uint8Array([1, 2, 3]));
    a.close();
    b.close();
  });

  it('sends strings as UTF-8', () => {
    const [a, b] = socketpair();
    expect(a.send('héllo €')).toBe(10);
    expect(text(b.recv(100))).toBe('héllo €');
    a.close();
    b.close();
  });

  it('partial sends when the peer buffer is nearly full, 0 when full; reads make room', () => {
    const [a, b] = socketpair({ capacity: 10 });
    expect(a.send('abcdefgh')).toBe(8);
    expect(level(a)).toBe(W);
    expect(a.send('xyz')).toBe(2);
    // Full: not writable any more, and a send would block.
    expect([level(a), level(b)]).toEqual([0, R | W]);
    expect(a.send('x')).toBe(0);
    expect(a.send(new Uint8Array(0))).toBe(0);
    expect(text(b.recv(3))).toBe('abc');
    expect(level(a)).toBe(W);
    expect(a.send('0123456')).toBe(3);
    expect(level(a)).toBe(0);
    expect(text(b.recv(100))).toBe('defghxy012');
    expect([level(a), level(b)]).toEqual([W, W]);
    a.close();
    b.close();
  });

  it('read and write are recv and send; so are the fd-level read() and write()', () => {
    const [a, b] = socketpair();
    expect(a.write('ping')).toBe(4);
    expect(text(b.read(10))).toBe('ping');
    expect(write(b.fileno(), 'pong')).toBe(4);
    expect(text(read(a.fileno(), 2))).toBe('po');
    expect(text(read(a.fileno(), 2))).toBe('ng');
    expect(read(a.fileno(), 2)).toBeNull();
    a.close();
    b.close();
  });
});

describe('socketpair: shutdown', () => {
  it('SHUT_WR: the peer reads the rest, then EOF, with IN|RDHUP; our sends fail with EPIPE', () => {
    const [a, b] = socketpair();
    a.send('bye');
    a.shutdown(SHUT_WR);
    // Linux's unix_poll: we stay writable (a send fails at once instead of blocking); no HUP yet.
    expect([level(a), level(b)]).toEqual([W, RSHUT | W]);
    expect(code(() => a.send('more'))).toBe('EPIPE');
    expect(code(() => a.send(''))).toBe('EPIPE');
    // Our own shutdown is no error: no ERR (only a send to a closed peer raises it).
    expect(level(a)).toBe(W);
    expect(text(b.recv(10))).toBe('bye');
    expect(b.recv(10)).toEqual(new Uint8Array(0));
    expect(b.recvInto(new Uint8Array(4))).toBe(0);
    expect(level(b)).toBe(RSHUT | W);
    // The other direction still works.
    expect(b.send('ok')).toBe(2);
    expect(text(a.recv(10))).toBe('ok');
    a.close();
    b.close();
  });

  it('SHUT_RD: buffered data stays readable, then EOF; the peer can no longer send', () => {
    const [a, b] = socketpair();
    b.send('hi');
    a.shutdown(SHUT_RD);
    expect([level(a), level(b)]).toEqual([RSHUT | W, W]);
    expect(code(() => b.send('x'))).toBe('EPIPE');
    expect(level(b)).toBe(W);
    expect(text(a.recv(10))).toBe('hi');
    expect(a.recv(10)).toEqual(new Uint8Array(0));
    // We can still send; the peer reads it.
    expect(a.send('yo')).toBe(2);
    expect(text(b.recv(10))).toBe('yo');
    a.close();
    b.close();
  });

  it('HUP once both directions are shut for an end', () => {
    const [a, b] = socketpair();
    a.shutdown(SHUT_RDWR);
    expect([level(a), level(b)]).toEqual([RSHUT | EPOLLHUP | W, RSHUT | EPOLLHUP | W]);
    expect(code(() => a.send('x'))).toBe('EPIPE');
    expect(code(() => b.send('x'))).toBe('EPIPE');
    expect(a.recv(1)).toEqual(new Uint8Array(0));
    expect(b.recv(1)).toEqual(new Uint8Array(0));
    a.close();
    b.close();

    // The same in two steps, from both ends: a's SHUT_RD shuts b's sending, b's SHUT_RD a's.
    const [c, d] = socketpair();
    c.shutdown(SHUT_RD);
    expect([level(c), level(d)]).toEqual([RSHUT | W, W]);
    d.shutdown(SHUT_RD);
    expect([level(c), level(d)]).toEqual([RSHUT | EPOLLHUP | W, RSHUT | EPOLLHUP | W]);
    c.shutdown(SHUT_RD); // again: no change
    expect(level(c)).toBe(RSHUT | EPOLLHUP | W);
    c.close();
    d.close();
  });

  it('rejects a bad how with EINVAL', () => {
    const [a, b] = socketpair();
    for (const how of [-1, 3, 1.5, NaN]) expect(code(() => a.shutdown(how))).toBe('EINVAL');
    expect([level(a), level(b)]).toEqual([W, W]);
    a.close();
    b.close();
  });
});

describe('socketpair: close', () => {
  it('the peer sees IN|RDHUP|HUP and stays writable; its sends fail with EPIPE and raise ERR', () => {
    const [a, b] = socketpair();
    a.send('last words');
    a.close();
    expect(level(b)).toBe(RSHUT | EPOLLHUP | W);
    expect(code(() => b.send('x'))).toBe('EPIPE');
    // wasmux's rule (the issue's, and TCP's once the peer resets): ERR from then on.
    expect(level(b)).toBe(EPOLLERR | RSHUT | EPOLLHUP | W);
    expect(text(b.recv(100))).toBe('last words');
    expect(b.recv(100)).toEqual(new Uint8Array(0));
    expect(code(() => b.send('x'))).toBe('EPIPE');
    expect(level(b)).toBe(EPOLLERR | RSHUT | EPOLLHUP | W);
    b.close();
  });

  it('an ET watcher is woken by the ERR of a failed send to a closed peer', async () => {
    const ep = new Epoll();
    const [a, b] = socketpair();
    ep.register(b, EPOLLOUT | EPOLLET);
    a.close();
    expect(await ep.poll(0)).toEqual([[b.fileno(), EPOLLOUT | EPOLLHUP]]);
    expect(await ep.poll(0)).toEqual([]);
    expect(code(() => b.send('x'))).toBe('EPIPE');
    expect(await ep.poll(0)).toEqual([[b.fileno(), EPOLLOUT | EPOLLERR | EPOLLHUP]]);
    ep.close();
    b.close();
  });

  it('closing with unread data resets the peer: ERR, then ECONNRESET once from recv', () => {
    const [a, b] = socketpair();
    b.send('never read');
    a.send('data');
    a.close();
    // unix_release_sock: sk_err = ECONNRESET on the peer. Its sends still fail with EPIPE.
    expect(level(b)).toBe(EPOLLERR | RSHUT | EPOLLHUP | W);
    expect(code(() => b.send('x'))).toBe('EPIPE');
    expect(level(b)).toBe(EPOLLERR | RSHUT | EPOLLHUP | W);
    // What b received is read first, then the error (which clears it), then EOF. The failed
    // send keeps ERR raised (see the test above).
    expect(text(b.recv(100))).toBe('data');
    expect(code(() => b.recv(100))).toBe('ECONNRESET');
    expect(level(b)).toBe(EPOLLERR | RSHUT | EPOLLHUP | W);
    expect(b.recv(100)).toEqual(new Uint8Array(0));
    b.close();
  });

  it('a full sender becomes writable when the peer closes (its buffer is gone)', () => {
    const [a, b] = socketpair({ capacity: 4 });
    expect(a.send('abcdef')).toBe(4);
    expect(level(a)).toBe(0);
    b.close();
    // b died with our 4 bytes unread, so a is also reset (ERR).
    expect(level(a)).toBe(EPOLLERR | RSHUT | EPOLLHUP | W);
    expect(code(() => a.send('x'))).toBe('EPIPE');
    a.close();
  });

  it('every operation on a closed socket is EBADF; close twice is harmless', () => {
    const [a, b] = socketpair();
    const fd = a.fileno();
    a.close();
    a.close();
    expect(a.fileno()).toBe(-1);
    expect(a.closed).toBe(true);
    expect(code(() => a.recv(1))).toBe('EBADF');
    expect(code(() => a.recvInto(new Uint8Array(1)))).toBe('EBADF');
    expect(code(() => a.send('x'))).toBe('EBADF');
    expect(code(() => a.shutdown(SHUT_RD))).toBe('EBADF');
    expect(code(() => a.read(1))).toBe('EBADF');
    expect(code(() => a.write('x'))).toBe('EBADF');
    expect(code(() => defaultTable.level(fd))).toBe('EBADF');
    expect(code(() => read(fd, 1))).toBe('EBADF');
    // EBADF is checked before the arguments.
    expect(code(() => a.recv(0))).toBe('EBADF');
    b.close();
  });

  it('numbers are reused lowest-first after close', () => {
    const [a, b] = socketpair();
    const [c, d] = socketpair();
    expect([a.fileno(), b.fileno(), c.fileno(), d.fileno()]).toEqual([3, 4, 5, 6]);
    b.close();
    a.close();
    const [e, f] = socketpair();
    expect([e.fileno(), f.fileno()]).toEqual([3, 4]);
    const [g, h] = socketpair();
    expect([g.fileno(), h.fileno()]).toEqual([7, 8]);
    // The new sockets start fresh, whatever the old ones did.
    expect([level(e), level(f)]).toEqual([W, W]);
    for (const s of [c, d, e, f, g, h]) s.close();
  });
});

describe('socketpair: bad arguments', () => {
  it('EINVAL for a bad recv size, an empty recvInto buffer, a bad capacity or bad data', () => {
    const [a, b] = socketpair();
    a.send('x');
    for (const n of [0, -1, 1.5, NaN, Infinity]) expect(code(() => b.recv(n))).toBe('EINVAL');
    expect(code(() => b.recvInto(new Uint8Array(0)))).toBe('EINVAL');
    expect(code(() => a.send(42 as unknown as string))).toBe('EINVAL');
    expect(text(b.recv(1))).toBe('x');
    for (const capacity of [0, -5, 2.5]) expect(code(() => socketpair({ capacity }))).toBe('EINVAL');
    a.close();
    b.close();
  });
});

describe('socketpair: wakeups seen through Epoll', () => {
  it('ET: every new chunk is reported, even when earlier data was never read', async () => {
    const ep = new Epoll();
    const [a, b] = socketpair();
    ep.register(b, EPOLLIN | EPOLLET);
    expect(await ep.poll(0)).toEqual([]);
    for (const chunk of ['one', 'two', 'three']) {
      a.send(chunk);
      expect(await ep.poll(0)).toEqual([[b.fileno(), EPOLLIN]]);
      expect(await ep.poll(0)).toEqual([]);
    }
    // Reading part of it is not an edge for the reader.
    b.recv(3);
    expect(await ep.poll(0)).toEqual([]);
    expect(text(b.recv(100))).toBe('twothree');
    ep.close();
    a.close();
    b.close();
  });

  it('ET: a blocked wait is woken by a chunk arriving on undrained data', async () => {
    const ep = new Epoll();
    const [a, b] = socketpair();
    ep.register(b, EPOLLIN | EPOLLET);
    a.send('first');
    expect(await ep.poll(0)).toEqual([[b.fileno(), EPOLLIN]]);
    const pending = ep.poll(1000);
    a.send('second');
    expect(await pending).toEqual([[b.fileno(), EPOLLIN]]);
    ep.close();
    a.close();
    b.close();
  });

  it('ET: each read by the peer is an OUT edge for the writer; its own send is not', async () => {
    const ep = new Epoll();
    const [a, b] = socketpair({ capacity: 8 });
    ep.register(a, EPOLLOUT | EPOLLET);
    expect(await ep.poll(0)).toEqual([[a.fileno(), EPOLLOUT]]);
    a.send('abc');
    expect(await ep.poll(0)).toEqual([]);
    // Linux's unix_write_space wakes the writer on each consumed chunk while it is writable.
    b.recv(1);
    expect(await ep.poll(0)).toEqual([[a.fileno(), EPOLLOUT]]);
    b.recv(1);
    expect(await ep.poll(0)).toEqual([[a.fileno(), EPOLLOUT]]);
    // Full, then a read: OUT again.
    a.send('0123456789');
    expect(level(a)).toBe(0);
    expect(await ep.poll(0)).toEqual([]);
    b.recv(2);
    expect(await ep.poll(0)).toEqual([[a.fileno(), EPOLLOUT]]);
    ep.close();
    a.close();
    b.close();
  });

  it('ET: shutdown and close wake every waiter, even for bits that were already set', async () => {
    const ep = new Epoll();
    const [a, b] = socketpair();
    ep.register(a, EPOLLOUT | EPOLLET);
    ep.register(b, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
    expect(await ep.poll(0)).toEqual([[a.fileno(), EPOLLOUT], [b.fileno(), EPOLLOUT]]);
    // sk_state_change has no wakeup key: a's OUT-only item is reported again, as on Linux.
    a.shutdown(SHUT_WR);
    expect(await ep.poll(0)).toEqual([
      [a.fileno(), EPOLLOUT],
      [b.fileno(), EPOLLIN | EPOLLOUT | EPOLLRDHUP],
    ]);
    a.shutdown(SHUT_WR);
    expect(await ep.poll(0)).toHaveLength(2);
    a.close();
    // HUP is reported unasked.
    expect(await ep.poll(0)).toEqual([[b.fileno(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP]]);
    expect(await ep.poll(0)).toEqual([]);
    ep.close();
    b.close();
  });

  it('LT: a reset peer reports ERR until recv takes the error', async () => {
    const ep = new Epoll();
    const [a, b] = socketpair();
    ep.register(b, EPOLLIN);
    b.send('unread');
    a.close();
    expect(await ep.poll(0)).toEqual([[b.fileno(), EPOLLIN | EPOLLERR | EPOLLHUP]]);
    expect(code(() => b.recv(1))).toBe('ECONNRESET');
    expect(await ep.poll(0)).toEqual([[b.fileno(), EPOLLIN | EPOLLHUP]]);
    ep.close();
    b.close();
  });
});

import { describe, expect, it } from 'vitest';
import { Epoll } from '../../src/api/epoll.js';
import { EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM } from '../../src/core/constants.js';
import { read, write } from '../../src/fd/syscalls.js';
import { defaultTable } from '../../src/fd/table.js';
import { PIPE_BUF, pipe } from '../../src/sources/pipe.js';
import { code, expectTableEmptyAfterEach, level, text } from '../helpers.js';

const R = EPOLLIN | EPOLLRDNORM;
const W = EPOLLOUT | EPOLLWRNORM;

expectTableEmptyAfterEach();

describe('pipe: data and readiness', () => {
  it('numbers reader then writer lowest-free; the writer starts writable, the reader not readable', () => {
    const [r, w] = pipe();
    expect([r.fileno(), w.fileno()]).toEqual([3, 4]);
    expect([r.kind, w.kind]).toEqual(['pipe-reader', 'pipe-writer']);
    expect([level(r), level(w)]).toEqual([0, W]);
    r.close();
    w.close();
  });

  it('a write makes the reader readable until drained; an empty pipe reads null', () => {
    const [r, w] = pipe();
    expect(r.read(10)).toBeNull();
    expect(r.readInto(new Uint8Array(4))).toBeNull();
    expect(w.write('hello')).toBe(5);
    expect([level(r), level(w)]).toEqual([R, W]);
    expect(text(r.read(2))).toBe('he');
    expect(level(r)).toBe(R);
    const buf = new Uint8Array(10);
    expect(r.readInto(buf)).toBe(3);
    expect(text(buf.subarray(0, 3))).toBe('llo');
    expect(level(r)).toBe(0);
    expect(r.read(1)).toBeNull();
    // The fd-level read() and write() reach the same methods.
    expect(write(w.fileno(), new Uint8Array([7, 8]))).toBe(2);
    expect(read(r.fileno(), 5)).toEqual(new Uint8Array([7, 8]));
    r.close();
    w.close();
  });

  it('PIPE_BUF: small writes are all-or-nothing, large ones partial; OUT needs PIPE_BUF free', () => {
    const [r, w] = pipe({ capacity: 2 * PIPE_BUF });
    expect(w.write(new Uint8Array(5000))).toBe(5000);
    // 3192 bytes free: less than PIPE_BUF, so not writable...
    expect(level(w)).toBe(0);
    // ...and a 4000-byte write (atomic) does not go in at all,
    expect(w.write(new Uint8Array(4000))).toBe(0);
    // while one that fits entirely does,
    expect(w.write(new Uint8Array(3000))).toBe(3000);
    // and a large one takes what fits.
    expect(w.write(new Uint8Array(5000))).toBe(192);
    expect(w.write(new Uint8Array(1))).toBe(0);
    expect(w.write(new Uint8Array(PIPE_BUF + 1))).toBe(0);
    expect(level(r)).toBe(R);
    r.read(PIPE_BUF - 1);
    expect(level(w)).toBe(0);
    r.read(1);
    expect(level(w)).toBe(W);
    expect(w.write(new Uint8Array(PIPE_BUF))).toBe(PIPE_BUF);
    expect(level(w)).toBe(0);
    r.close();
    w.close();
  });

  it('writes strings as UTF-8; an empty write is 0', () => {
    const [r, w] = pipe();
    expect(w.write('€uro')).toBe(6);
    expect(w.write('')).toBe(0);
    expect(text(r.read(100))).toBe('€uro');
    r.close();
    w.close();
  });
});

describe('pipe: closing one end', () => {
  it('writer closed: the reader reads the rest with IN|HUP, then EOF with HUP alone', () => {
    const [r, w] = pipe();
    w.write('tail');
    w.close();
    expect(level(r)).toBe(R | EPOLLHUP);
    expect(text(r.read(2))).toBe('ta');
    expect(text(r.read(100))).toBe('il');
    // Linux's pipe_poll: empty and no writer is HUP without IN; read() returns EOF.
    expect(level(r)).toBe(EPOLLHUP);
    expect(r.read(100)).toEqual(new Uint8Array(0));
    expect(r.readInto(new Uint8Array(8))).toBe(0);
    r.close();
  });

  it('reader closed: the writer gets ERR (OUT stays while there is room) and EPIPE', () => {
    const [r, w] = pipe();
    r.close();
    expect(level(w)).toBe(EPOLLERR | W);
    expect(code(() => w.write('x'))).toBe('EPIPE');
    expect(level(w)).toBe(EPOLLERR | W);
    // pipe_write returns 0 for an empty write before it checks for readers.
    expect(w.write('')).toBe(0);
    w.close();

    const [r2, w2] = pipe({ capacity: PIPE_BUF });
    expect(w2.write(new Uint8Array(PIPE_BUF))).toBe(PIPE_BUF);
    r2.close();
    expect(level(w2)).toBe(EPOLLERR);
    expect(code(() => w2.write(new Uint8Array(1)))).toBe('EPIPE');
    w2.close();
  });

  it('EBADF: writing to the reader, reading from the writer, and anything after close', () => {
    const [r, w] = pipe();
    expect(code(() => r.write('x'))).toBe('EBADF');
    expect(code(() => w.read(1))).toBe('EBADF');
    expect(code(() => write(r.fileno(), 'x'))).toBe('EBADF');
    expect(code(() => read(w.fileno(), 1))).toBe('EBADF');
    const [rfd, wfd] = [r.fileno(), w.fileno()];
    r.close();
    w.close();
    r.close();
    expect([r.fileno(), w.fileno()]).toEqual([-1, -1]);
    expect(code(() => r.read(1))).toBe('EBADF');
    expect(code(() => r.readInto(new Uint8Array(1)))).toBe('EBADF');
    expect(code(() => w.write('x'))).toBe('EBADF');
    expect(code(() => w.write(''))).toBe('EBADF');
    expect(code(() => defaultTable.level(rfd))).toBe('EBADF');
    expect(code(() => defaultTable.level(wfd))).toBe('EBADF');
  });

  it('numbers are reused lowest-first after close', () => {
    const [r, w] = pipe();
    const [r2, w2] = pipe();
    expect([r.fileno(), w.fileno(), r2.fileno(), w2.fileno()]).toEqual([3, 4, 5, 6]);
    w.close();
    r2.close();
    const [r3, w3] = pipe();
    expect([r3.fileno(), w3.fileno()]).toEqual([4, 5]);
    expect([level(r3), level(w3)]).toEqual([0, W]);
    for (const d of [r, w2, r3, w3]) d.close();
  });
});

describe('pipe: bad arguments', () => {
  it('EINVAL for a bad read size, an empty readInto buffer, a bad capacity or bad data', () => {
    const [r, w] = pipe();
    w.write('x');
    for (const n of [0, -1, 1.5, NaN]) expect(code(() => r.read(n))).toBe('EINVAL');
    expect(code(() => r.readInto(new Uint8Array(0)))).toBe('EINVAL');
    expect(code(() => w.write({} as unknown as string))).toBe('EINVAL');
    for (const capacity of [0, PIPE_BUF - 1, PIPE_BUF + 0.5]) expect(code(() => pipe({ capacity }))).toBe('EINVAL');
    r.close();
    w.close();
  });
});

describe('pipe: wakeups seen through Epoll', () => {
  it('ET: every write is reported to the reader, even when earlier data was never read', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    ep.register(r, EPOLLIN | EPOLLET);
    expect(await ep.poll(0)).toEqual([]);
    for (const chunk of ['a', 'bb', 'ccc']) {
      w.write(chunk);
      expect(await ep.poll(0)).toEqual([[r.fileno(), EPOLLIN]]);
      expect(await ep.poll(0)).toEqual([]);
    }
    const pending = ep.poll(1000);
    w.write('d');
    expect(await pending).toEqual([[r.fileno(), EPOLLIN]]);
    expect(text(r.read(100))).toBe('abbcccd');
    ep.close();
    r.close();
    w.close();
  });

  it('ET: a read wakes the writer only if the pipe was full (Linux pipe_read)', async () => {
    const ep = new Epoll();
    const [r, w] = pipe({ capacity: 2 * PIPE_BUF });
    ep.register(w, EPOLLOUT | EPOLLET);
    expect(await ep.poll(0)).toEqual([[w.fileno(), EPOLLOUT]]);
    w.write('abc');
    r.read(1);
    expect(await ep.poll(0)).toEqual([]);
    expect(w.write(new Uint8Array(2 * PIPE_BUF))).toBe(2 * PIPE_BUF - 2);
    expect(level(w)).toBe(0);
    r.read(10); // still not writable: no event
    expect(await ep.poll(0)).toEqual([]);
    r.read(PIPE_BUF);
    expect(await ep.poll(0)).toEqual([[w.fileno(), EPOLLOUT]]);
    r.read(100); // was writable already: no edge
    expect(await ep.poll(0)).toEqual([]);
    ep.close();
    r.close();
    w.close();
  });

  it('ET: closing one end wakes the other with its whole level', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    const [r2, w2] = pipe();
    ep.register(w, EPOLLOUT | EPOLLET);
    ep.register(r2, EPOLLIN | EPOLLET);
    w2.write('x');
    expect(await ep.poll(0)).toEqual([[w.fileno(), EPOLLOUT], [r2.fileno(), EPOLLIN]]);
    r.close();
    w2.close();
    expect(await ep.poll(0)).toEqual([[w.fileno(), EPOLLOUT | EPOLLERR], [r2.fileno(), EPOLLIN | EPOLLHUP]]);
    expect(await ep.poll(0)).toEqual([]);
    ep.close();
    w.close();
    r2.close();
  });
});

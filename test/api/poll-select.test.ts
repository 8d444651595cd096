import { describe, expect, it } from 'vitest';
import {
  Epoll, EPOLLIN, FD_SETSIZE, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, Poll, PosixError,
  eventfd, pipe, select, socketpair,
} from '../../src/index.js';

async function rejection(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as PosixError).code;
  }
  return undefined;
}

describe('Poll', () => {
  it('reports revents in registration order; a closed fd reports POLLNVAL', async () => {
    const p = new Poll();
    const [a, b] = socketpair();
    const efd = eventfd(0);
    p.register(b, POLLIN);
    p.register(efd);
    p.register(a, POLLOUT);
    expect(await p.poll(0)).toEqual([[efd.fileno(), POLLOUT], [a.fileno(), POLLOUT]]);
    a.send('hi');
    p.modify(a, POLLIN);
    expect(await p.poll(0)).toEqual([[b.fileno(), POLLIN], [efd.fileno(), POLLOUT]]);
    const closed = efd.fileno();
    efd.close();
    expect(await p.poll(0)).toEqual([[b.fileno(), POLLIN], [closed, POLLNVAL]]);
    expect(p.inspect().map((row) => row.fd)).toEqual([b.fileno(), closed, a.fileno()]);
    a.close();
    b.close();
  });

  it('always reports ERR and HUP; registering again changes the mask', async () => {
    const p = new Poll();
    const [r, w] = pipe();
    p.register(w, POLLIN);
    p.register(r, POLLPRI);
    const wfd = w.fileno();
    w.close();
    // The writer's number was registered and is now closed: POLLNVAL. The reader sees HUP unasked.
    expect(await p.poll(0)).toEqual([[wfd, POLLNVAL], [r.fileno(), POLLHUP]]);
    // Linux's pipe_poll: an empty pipe without writers is HUP, not IN (read() then returns EOF).
    p.register(r, POLLIN);
    expect(await p.poll(0)).toEqual([[wfd, POLLNVAL], [r.fileno(), POLLHUP]]);
    r.close();
  });

  it('ERR on a pipe whose reader closed', async () => {
    const p = new Poll();
    const [r, w] = pipe();
    p.register(w, 0);
    r.close();
    expect(await p.poll(0)).toEqual([[w.fileno(), POLLERR]]);
    w.close();
  });

  it('errors: ENOENT for unknown fds, EINVAL for bad masks, EBADF for negative fds', async () => {
    const p = new Poll();
    expect(() => p.modify(7, POLLIN)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => p.unregister(7)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => p.register(7, 0x10000)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => p.register(-3)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(await rejection(p.poll(Number.NaN))).toBe('EINVAL');
  });

  it('blocks until a wakeup, and times out with [] no earlier than asked', async () => {
    const p = new Poll();
    const [a, b] = socketpair();
    p.register(b, POLLIN);
    const pending = p.poll();
    a.send('x');
    expect(await pending).toEqual([[b.fileno(), POLLIN]]);
    b.recv(10);
    const start = performance.now();
    expect(await p.poll(25)).toEqual([]);
    expect(performance.now() - start).toBeGreaterThanOrEqual(25);
    a.close();
    b.close();
  });

  it('a blocked poll ends with POLLNVAL when a registered fd is closed', async () => {
    const p = new Poll();
    const efd = eventfd(0);
    const fd = efd.fileno();
    p.register(efd, POLLIN);
    const pending = p.poll();
    efd.close();
    expect(await pending).toEqual([[fd, POLLNVAL]]);
  });

  it('sees an epoll fd as readable while it has events', async () => {
    const ep = new Epoll();
    const efd = eventfd(0);
    ep.register(efd, EPOLLIN);
    const p = new Poll();
    p.register(ep, POLLIN);
    const pending = p.poll();
    efd.write(1);
    expect(await pending).toEqual([[ep.fileno(), POLLIN]]);
    ep.close();
    efd.close();
  });
});

describe('select', () => {
  it('returns the same objects that were passed in', async () => {
    const [a, b] = socketpair();
    const efd = eventfd(0);
    a.send('x');
    const [r, w, x] = await select([a, b, efd], [a, efd.fileno()], [b], 0);
    expect(r).toEqual([b]);
    expect(r[0]).toBe(b);
    expect(w).toEqual([a, efd.fileno()]);
    expect(x).toEqual([]);
    for (const d of [a, b, efd]) d.close();
  });

  it('blocks until ready, with undefined or null as "forever"', async () => {
    const [a, b] = socketpair();
    const pending = select([b], [], [], null);
    a.send('x');
    expect(await pending).toEqual([[b], [], []]);
    b.recv(1);
    const forever = select([b], [], []);
    a.close();
    expect(await forever).toEqual([[b], [], []]);
    b.close();
  });

  it('times out with three empty lists, never early', async () => {
    const [a, b] = socketpair();
    const start = performance.now();
    expect(await select([b], [], [], 20)).toEqual([[], [], []]);
    expect(performance.now() - start).toBeGreaterThanOrEqual(20);
    a.close();
    b.close();
  });

  it('errors: fd >= FD_SETSIZE, closed fds, negative timeouts', async () => {
    expect(await rejection(select([FD_SETSIZE], [], [], 0))).toBe('EINVAL');
    const efd = eventfd(0);
    const fd = efd.fileno();
    efd.close();
    expect(await rejection(select([fd], [], [], 0))).toBe('EBADF');
    expect(await rejection(select([], [], [], -1))).toBe('EINVAL');
    const message = await select([FD_SETSIZE], [], []).catch((e: Error) => e.message);
    expect(message).toContain('filedescriptor out of range in select()');
  });

  it('a blocked select fails with EBADF when one of its fds is closed', async () => {
    const efd = eventfd(0);
    const pending = select([efd], [], []);
    efd.close();
    expect(await rejection(pending)).toBe('EBADF');
  });
});

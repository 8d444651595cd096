import { describe, expect, it } from 'vitest';
import {
  EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLPRI, EPOLLRDHUP,
  Epoll, Events, FD_SETSIZE, PosixError, eventfd, pipe, socketpair,
} from '../../src/index.js';
import { code } from '../helpers.js';

// An item registered for EPOLLIN reports EPOLLIN only: revents = level & interest.
const IN = EPOLLIN;

async function rejection(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return (error as PosixError).code;
  }
  return undefined;
}

describe('Epoll: registration and errors', () => {
  it('registers numbers and objects with fileno(), with Python\'s default mask', () => {
    using_(new Epoll(), (ep) => {
      const [a, b] = socketpair();
      ep.register(a);
      ep.register(b.fileno(), EPOLLIN);
      const rows = ep.inspect().interest;
      expect(rows.map((r) => r.fd)).toEqual([a.fileno(), b.fileno()]);
      // Linux adds ERR|HUP at ADD, so they are always reported.
      expect(rows[0]!.events).toBe(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP);
      a.close();
      b.close();
    });
  });

  it('gives Linux\'s errno for each misuse', () => {
    const ep = new Epoll();
    const [a, b] = socketpair();
    ep.register(a, EPOLLIN);
    expect(code(() => ep.register(a, EPOLLIN))).toBe('EEXIST');
    expect(code(() => ep.modify(b, EPOLLIN))).toBe('ENOENT');
    expect(code(() => ep.unregister(b))).toBe('ENOENT');
    expect(code(() => ep.register(ep))).toBe('EINVAL');
    expect(code(() => ep.register(-1))).toBe('EBADF');
    expect(code(() => ep.register(999_999))).toBe('EBADF');
    expect(code(() => ep.register(1.5))).toBe('EINVAL');
    expect(code(() => ep.register(b, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT))).toBe('EINVAL');
    expect(code(() => ep.modify(a, EPOLLIN | EPOLLEXCLUSIVE))).toBe('EINVAL');
    expect(code(() => ep.register(b, 2 ** 33))).toBe('EINVAL');
    const closed = b.fileno();
    b.close();
    expect(code(() => ep.register(closed))).toBe('EBADF');
    ep.close();
    expect(code(() => ep.register(a))).toBe('EBADF');
    a.close();
  });

  it('errors carry code and errno', () => {
    const ep = new Epoll();
    try {
      ep.unregister(ep.fileno() + 1000);
    } catch (error) {
      expect((error as PosixError).code).toBe('EBADF');
      expect((error as PosixError).errno).toBe(9);
    }
    ep.close();
  });

  it('rejects bad maxEvents and timeouts, and polls on a closed instance', async () => {
    const ep = new Epoll();
    expect(await rejection(ep.poll(0, 0))).toBe('EINVAL');
    expect(await rejection(ep.poll(0, -2))).toBe('EINVAL');
    expect(await rejection(ep.poll(Number.NaN))).toBe('EINVAL');
    expect(await ep.poll(0, -1)).toEqual([]);
    ep.close();
    expect(ep.closed).toBe(true);
    expect(ep.fileno()).toBe(-1);
    expect(await rejection(ep.poll(0))).toBe('EBADF');
  });
});

describe('Epoll: trigger modes', () => {
  it('level-triggered: reported by every wait while ready', async () => {
    const ep = new Epoll();
    const [a, b] = socketpair();
    ep.register(b, EPOLLIN);
    expect(await ep.poll(0)).toEqual([]);
    a.send('hello');
    expect(await ep.poll(0)).toEqual([[b.fileno(), IN]]);
    expect(await ep.poll(0)).toEqual([[b.fileno(), IN]]);
    b.recv(5);
    expect(await ep.poll(0)).toEqual([]);
    ep.close();
    a.close();
    b.close();
  });

  it('edge-triggered: once per chunk, again on a new chunk even if undrained', async () => {
    const ep = new Epoll();
    const [a, b] = socketpair();
    ep.register(b, EPOLLIN | EPOLLET);
    a.send('one');
    expect(await ep.poll(0)).toEqual([[b.fileno(), IN]]);
    expect(await ep.poll(0)).toEqual([]);
    a.send('two');
    // epoll(7): "an event will be generated upon each receipt of a chunk of data".
    expect(await ep.poll(0)).toEqual([[b.fileno(), IN]]);
    expect(b.recv(100)).toEqual(new TextEncoder().encode('onetwo'));
    ep.close();
    a.close();
    b.close();
  });

  it('several wakeups between two waits coalesce into one entry', async () => {
    const ep = new Epoll();
    const [a, b] = socketpair();
    ep.register(b, (EPOLLIN | EPOLLOUT | EPOLLET) | 0);
    expect(await ep.poll(0)).toEqual([[b.fileno(), EPOLLOUT]]);
    a.send('x');
    a.send('y');
    a.shutdown(1);
    const events = await ep.poll(0);
    expect(events).toHaveLength(1);
    expect(events[0]![1] & (EPOLLIN | EPOLLRDHUP)).toBe(EPOLLIN);
    ep.close();
    a.close();
    b.close();
  });

  it('ONESHOT disarms after one report, keeps the registration, MOD re-arms', async () => {
    const ep = new Epoll();
    const efd = eventfd(1);
    ep.register(efd, EPOLLIN | EPOLLONESHOT);
    expect(await ep.poll(0)).toEqual([[efd.fileno(), IN]]);
    efd.write(1);
    expect(await ep.poll(0)).toEqual([]);
    expect(ep.inspect().interest[0]).toMatchObject({ armed: false, flags: ['ONESHOT'] });
    expect(code(() => ep.register(efd, EPOLLIN))).toBe('EEXIST');
    ep.modify(efd, EPOLLIN | EPOLLONESHOT);
    expect(await ep.poll(0)).toEqual([[efd.fileno(), IN]]);
    ep.close();
    efd.close();
  });

  it('MOD re-evaluates: an ET item still ready is reported again', async () => {
    const ep = new Epoll();
    const efd = eventfd(3);
    ep.register(efd, EPOLLIN | EPOLLET);
    expect(await ep.poll(0)).toHaveLength(1);
    expect(await ep.poll(0)).toHaveLength(0);
    ep.modify(efd, EPOLLIN | EPOLLET);
    expect(await ep.poll(0)).toEqual([[efd.fileno(), IN]]);
    ep.close();
    efd.close();
  });

  it('reports ERR and HUP unasked, and never an input flag; masks come back non-negative', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    ep.register(w, EPOLLET | EPOLLONESHOT | EPOLLOUT);
    r.close();
    const [[fd, mask]] = (await ep.poll(0)) as [[number, number]];
    expect(fd).toBe(w.fileno());
    expect(mask & EPOLLERR).toBe(EPOLLERR);
    expect(mask & (EPOLLET | EPOLLONESHOT)).toBe(0);
    expect(mask).toBeGreaterThanOrEqual(0);
    ep.close();
    w.close();
  });

  it('goes round-robin when more are ready than maxEvents', async () => {
    const ep = new Epoll();
    const efds = [eventfd(1), eventfd(1), eventfd(1)];
    for (const efd of efds) ep.register(efd, EPOLLIN);
    const fds = efds.map((e) => e.fileno());
    expect((await ep.poll(0, 2)).map(([fd]) => fd)).toEqual([fds[0], fds[1]]);
    expect((await ep.poll(0, 2)).map(([fd]) => fd)).toEqual([fds[2], fds[0]]);
    expect((await ep.poll(0, 2)).map(([fd]) => fd)).toEqual([fds[1], fds[2]]);
    ep.close();
    for (const efd of efds) efd.close();
  });
});

describe('Epoll: close and reuse', () => {
  it('close removes the fd from every instance, and a reused number sees no old event', async () => {
    const ep1 = new Epoll();
    const ep2 = new Epoll();
    const [a, b] = socketpair();
    ep1.register(b, EPOLLIN);
    ep2.register(b, EPOLLIN | EPOLLET);
    a.send('data');
    const old = b.fileno();
    b.close();
    expect(ep1.inspect().interest).toEqual([]);
    expect(ep2.inspect().interest).toEqual([]);
    const efd = eventfd(0);
    expect(efd.fileno()).toBe(old);
    expect(await ep1.poll(0)).toEqual([]);
    expect(await ep2.poll(0)).toEqual([]);
    for (const d of [ep1, ep2, a, efd]) d.close();
  });
});

describe('Epoll: blocking waits', () => {
  it('a blocked poll wakes on data, and a timeout resolves [] no earlier than asked', async () => {
    const ep = new Epoll();
    const [a, b] = socketpair();
    ep.register(b, EPOLLIN);
    const pending = ep.poll(-1);
    a.send('x');
    expect(await pending).toEqual([[b.fileno(), IN]]);
    b.recv(1);
    const start = performance.now();
    expect(await ep.poll(30)).toEqual([]);
    expect(performance.now() - start).toBeGreaterThanOrEqual(30);
    ep.close();
    a.close();
    b.close();
  });

  it('an ADD of a ready fd wakes a blocked poll', async () => {
    const ep = new Epoll();
    const efd = eventfd(1);
    const pending = ep.poll();
    ep.register(efd, EPOLLIN);
    expect(await pending).toEqual([[efd.fileno(), IN]]);
    ep.close();
    efd.close();
  });

  it('concurrent polls: LT wakes every waiter, ET wakes exactly one', async () => {
    const ep = new Epoll();
    const lt = eventfd(0);
    ep.register(lt, EPOLLIN);
    const first = ep.poll();
    const second = ep.poll();
    lt.write(1);
    expect(await first).toEqual([[lt.fileno(), IN]]);
    expect(await second).toEqual([[lt.fileno(), IN]]);
    ep.unregister(lt);

    const et = eventfd(0);
    ep.register(et, EPOLLIN | EPOLLET);
    const one = ep.poll(-1);
    const other = ep.poll(40);
    et.write(1);
    expect(await one).toEqual([[et.fileno(), IN]]);
    expect(await other).toEqual([]);
    ep.close();
    lt.close();
    et.close();
  });

  it('closing the instance rejects blocked polls with EBADF', async () => {
    const ep = new Epoll();
    const pending = ep.poll();
    ep.close();
    expect(await rejection(pending)).toBe('EBADF');
  });

  it('EXCLUSIVE: a wakeup reaches one of the exclusive instances, all of the others', async () => {
    const efd = eventfd(0);
    const exclusive = [new Epoll(), new Epoll()];
    const plain = new Epoll();
    for (const ep of exclusive) ep.register(efd, EPOLLIN | EPOLLET | EPOLLEXCLUSIVE);
    plain.register(efd, EPOLLIN | EPOLLET);
    // Only the second exclusive instance has a blocked caller: it is the one woken.
    const blocked = exclusive[1]!.poll();
    efd.write(1);
    expect(await blocked).toEqual([[efd.fileno(), IN]]);
    expect(await exclusive[0]!.poll(0)).toEqual([]);
    expect(await plain.poll(0)).toEqual([[efd.fileno(), IN]]);
    for (const ep of [...exclusive, plain, efd]) ep.close();
  });
});

describe('Epoll: nesting', () => {
  it('an inner instance is readable in an outer one; looking does not consume ET events', async () => {
    const inner = new Epoll();
    const outer = new Epoll();
    const efd = eventfd(0);
    inner.register(efd, EPOLLIN | EPOLLET);
    outer.register(inner, EPOLLIN);
    expect(await outer.poll(0)).toEqual([]);
    efd.write(1);
    expect(await outer.poll(0)).toEqual([[inner.fileno(), IN]]);
    expect(await outer.poll(0)).toEqual([[inner.fileno(), IN]]);
    // Linux's epoll6: checking the inner epoll fd did not eat the inner ET event.
    expect(await inner.poll(0)).toEqual([[efd.fileno(), IN]]);
    expect(await outer.poll(0)).toEqual([]);
    for (const d of [outer, inner, efd]) d.close();
  });

  it('a blocked outer poll wakes through an inner instance', async () => {
    const inner = new Epoll();
    const outer = new Epoll();
    const [a, b] = socketpair();
    inner.register(b, EPOLLIN);
    outer.register(inner, EPOLLIN | EPOLLET);
    const pending = outer.poll();
    a.send('wake');
    expect(await pending).toEqual([[inner.fileno(), IN]]);
    for (const d of [outer, inner, a, b]) d.close();
  });

  it('ELOOP for cycles and for chains longer than 5 instances', () => {
    const chain = Array.from({ length: 6 }, () => new Epoll());
    for (let k = 0; k < 4; k++) chain[k + 1]!.register(chain[k]!, EPOLLIN);
    expect(code(() => chain[0]!.register(chain[4]!, EPOLLIN))).toBe('ELOOP');
    expect(code(() => chain[5]!.register(chain[4]!, EPOLLIN))).toBe('ELOOP');
    for (const ep of chain) ep.close();
  });
});

describe('Epoll: the allocation-free path', () => {
  it('pollInto and wait fill a reused Events buffer', async () => {
    const ep = new Epoll();
    const efds = [eventfd(1), eventfd(1)];
    for (const efd of efds) ep.register(efd, EPOLLIN | EPOLLET);
    const events = new Events(1);
    expect(ep.pollInto(events)).toBe(1);
    expect([events.fd(0), events.events(0)]).toEqual([efds[0]!.fileno(), IN]);
    expect(ep.pollInto(events)).toBe(1);
    expect(events.fd(0)).toBe(efds[1]!.fileno());
    expect(ep.pollInto(events)).toBe(0);
    const pending = ep.wait(events);
    efds[0]!.write(1);
    expect(await pending).toBe(1);
    expect(events.toArray()).toEqual([[efds[0]!.fileno(), IN]]);
    expect(() => new Events(0)).toThrow(PosixError);
    ep.close();
    for (const efd of efds) efd.close();
  });

  it('handles more than FD_SETSIZE registrations', async () => {
    const ep = new Epoll();
    const efds = Array.from({ length: FD_SETSIZE + 100 }, () => eventfd(1));
    for (const efd of efds) ep.register(efd, EPOLLIN);
    expect(await ep.poll(0)).toHaveLength(FD_SETSIZE - 1);
    expect(await ep.poll(0, 5000)).toHaveLength(efds.length);
    ep.close();
    for (const efd of efds) efd.close();
  });
});

function using_<T extends { close(): void }>(resource: T, body: (r: T) => void): void {
  try {
    body(resource);
  } finally {
    resource.close();
  }
}

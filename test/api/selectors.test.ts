// The selectors module: one suite run against every selector class (as CPython's test_selectors
// does), then what differs between them, then the timeout rule. Waits are bounded, and nothing
// sleeps to synchronise: a wait that must not block is raced against one macrotask, and one that
// must block ends on an event the test makes or on its own (short) timeout.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BaseSelector, DefaultSelector, EVENT_READ, EVENT_WRITE, EpollSelector, FD_SETSIZE, KeyError,
  PollSelector, PosixError, RuntimeError, SelectSelector, SelectorKey, SelectorMap, ValueError, connect, eventfd,
  listen, pipe, socketpair, type FileLike, type SelectResult,
} from '../../src/index.js';
import { toSelectTimeout } from '../../src/api/selectors/errors.js';
import { expectTableEmptyAfterEach, text } from '../helpers.js';

expectTableEmptyAfterEach();

/**
 * What each test opened, closed after it (last opened, first closed). Registered after the table
 * check, so it runs before it: after-hooks run in reverse order.
 */
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});
const onTestFinished = (cleanup: () => void): void => {
  cleanups.push(cleanup);
};

type Selector = BaseSelector<unknown>;
type SelectorClass = new () => Selector;

/** The backend hooks of BaseSelector, for spying on which ones an operation calls. */
interface Hooks {
  addFd(fd: number, events: number): void;
  modifyFd(fd: number, events: number): void;
  removeFd(fd: number): void;
}

/** How long a wait that should end on an event may take before the test fails. */
const WAIT_MS = 5000;

const RW = EVENT_READ | EVENT_WRITE;

/** A socketpair closed when the test ends (closing twice is harmless). */
function pair(): [ReturnType<typeof socketpair>[0], ReturnType<typeof socketpair>[1]] {
  const [a, b] = socketpair();
  onTestFinished(() => {
    a.close();
    b.close();
  });
  return [a, b];
}

/** A selector closed when the test ends. */
function open<S extends Selector>(Selector: new () => S): S {
  const sel = new Selector();
  onTestFinished(() => sel.close());
  return sel;
}

/** The error `fn` throws, checked to be a `Class` with `name`. */
function thrown(fn: () => unknown, Class: new (...args: never[]) => Error, name: string): Error {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Class);
    expect((error as Error).name).toBe(name);
    return error as Error;
  }
  throw new Error(`expected a ${name}`);
}

/** What a select resolved with, as [fd, events, data] for easy comparison. */
const rows = (result: SelectResult): Array<[number, number, unknown]> =>
  result.map(([key, events]) => [key.fd, events, key.data]);

/** Resolves with the promise's value, or 'pending' if it has not settled by the next macrotask. */
async function settledNow<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

/** Runs `fn` and returns how long its promise took, in ms. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

const classes: Array<{ name: string; Selector: SelectorClass; scalable: boolean }> = [
  { name: 'EpollSelector', Selector: EpollSelector, scalable: true },
  { name: 'PollSelector', Selector: PollSelector, scalable: true },
  { name: 'SelectSelector', Selector: SelectSelector, scalable: false },
];

describe.each(classes)('$name', ({ Selector }) => {
  describe('register', () => {
    it('returns a frozen SelectorKey { fileobj, fd, events, data }; data defaults to undefined', () => {
      const sel = open(Selector);
      const [a, b] = pair();
      const key = sel.register(a, EVENT_READ, 'data');
      expect(key).toBeInstanceOf(SelectorKey);
      expect(key).toEqual({ fileobj: a, fd: a.fileno(), events: EVENT_READ, data: 'data' });
      expect(key.fileobj).toBe(a);
      expect(Object.isFrozen(key)).toBe(true);
      expect(() => {
        (key as { events: number }).events = EVENT_WRITE;
      }).toThrow(TypeError);
      const byNumber = sel.register(b.fileno(), RW);
      expect(byNumber).toEqual({ fileobj: b.fileno(), fd: b.fileno(), events: RW, data: undefined });
      expect([...sel.getMap()!.values()]).toEqual([key, byNumber]);
    });

    it('invalid or empty events are ValueError, checked before the file object', () => {
      const sel = open(Selector);
      const [a] = pair();
      for (const events of [0, 4, 999999, -1, RW | 8, 1.5, Number.NaN]) {
        const error = thrown(() => sel.register(a, events), ValueError, 'ValueError');
        expect(error.message).toMatch(/Invalid events/);
      }
      // Python checks the events first: a bad fd with bad events is about the events.
      expect(thrown(() => sel.register(-10, 0), ValueError, 'ValueError').message).toMatch(/Invalid events/);
      expect(sel.getMap()!.size).toBe(0);
    });

    it('a negative fd or an object without a usable fileno() is ValueError', () => {
      const sel = open(Selector);
      expect(thrown(() => sel.register(-10, EVENT_READ), ValueError, 'ValueError').message).toMatch(/Invalid file descriptor: -10/);
      const bad: unknown[] = [{}, null, undefined, 'x', 1.5, { fileno: 3 }, { fileno: () => '3' }, { fileno: () => 2.5 }];
      for (const fileobj of bad) {
        expect(thrown(() => sel.register(fileobj as FileLike, EVENT_READ), ValueError, 'ValueError').message).toMatch(/Invalid file object/);
      }
      // A closed socket's fileno() is -1.
      const [a] = pair();
      a.close();
      expect(thrown(() => sel.register(a, EVENT_READ), ValueError, 'ValueError').message).toMatch(/Invalid file descriptor: -1/);
      // What fileno() itself throws is not hidden.
      const odd = { fileno: (): number => { throw new RangeError('no fd'); } };
      expect(() => sel.register(odd, EVENT_READ)).toThrow(RangeError);
      expect(sel.getMap()!.size).toBe(0);
    });

    it('registering an fd twice is KeyError, by the same object or another, and changes nothing', () => {
      const sel = open(Selector);
      const [a] = pair();
      const key = sel.register(a, EVENT_READ, 1);
      const error = thrown(() => sel.register(a, EVENT_WRITE, 2), KeyError, 'KeyError');
      expect(error.message).toMatch(`(FD ${a.fileno()}) is already registered`);
      thrown(() => sel.register(a.fileno(), EVENT_WRITE, 3), KeyError, 'KeyError');
      thrown(() => sel.register({ fileno: () => a.fileno() }, RW), KeyError, 'KeyError');
      expect(sel.getKey(a)).toBe(key);
      expect(sel.getMap()!.size).toBe(1);
    });

    it('is transactional: when the backend refuses the fd, nothing is registered', () => {
      const sel = open(Selector);
      const [a] = pair();
      const add = vi.spyOn(sel as unknown as Hooks, 'addFd').mockImplementationOnce(() => {
        throw new PosixError('ENOMEM', 'backend refused');
      });
      expect(() => sel.register(a, EVENT_READ)).toThrow(expect.objectContaining({ code: 'ENOMEM' }));
      expect(sel.getMap()!.size).toBe(0);
      thrown(() => sel.getKey(a), KeyError, 'KeyError');
      // The fd is free to be registered again, and then the backend has it.
      sel.register(a, EVENT_WRITE, 'again');
      expect(add).toHaveBeenCalledTimes(2);
      expect(sel.getKey(a).data).toBe('again');
    });
  });

  describe('unregister', () => {
    it('returns the key; an unknown or already unregistered object is KeyError', async () => {
      const sel = open(Selector);
      const [a] = pair();
      const key = sel.register(a, EVENT_WRITE, 'w');
      expect(sel.unregister(a)).toBe(key);
      expect(sel.getMap()!.size).toBe(0);
      expect(await sel.select(0)).toEqual([]); // the backend forgot it too
      expect(thrown(() => sel.unregister(a), KeyError, 'KeyError').message).toMatch(/is not registered/);
      thrown(() => sel.unregister(999999), KeyError, 'KeyError');
      thrown(() => sel.unregister(-1), ValueError, 'ValueError');
      thrown(() => sel.unregister({} as FileLike), ValueError, 'ValueError');
    });

    it('a closed socket can still be unregistered: it is found by identity', () => {
      const sel = open(Selector);
      const [a, b] = pair();
      const ka = sel.register(a, EVENT_READ);
      const kb = sel.register(b, EVENT_WRITE);
      a.close();
      b.close();
      expect(a.fileno()).toBe(-1);
      expect(sel.getKey(a)).toBe(ka);
      expect(sel.getMap()!.has(b)).toBe(true);
      expect(sel.unregister(a)).toBe(ka);
      expect(sel.unregister(b)).toBe(kb);
      expect(sel.getMap()!.size).toBe(0);
      // An equal-looking object is not the registered one.
      const [c] = pair();
      sel.register(c, EVENT_READ);
      c.close();
      thrown(() => sel.unregister({ fileno: () => -1 }), ValueError, 'ValueError');
      expect(sel.getMap()!.size).toBe(1);
      sel.unregister(c);
    });

    it('registered by number: unregister works after the fd is closed, and after its number is reused', async () => {
      const sel = open(Selector);
      const [a, b] = pair();
      const [r, w] = [a.fileno(), b.fileno()];
      sel.register(r, EVENT_READ);
      sel.register(w, EVENT_WRITE);
      a.close();
      b.close();
      const [c, d] = pair(); // lowest-free numbering: the same two numbers
      expect([c.fileno(), d.fileno()]).toEqual([r, w]);
      expect(sel.unregister(r).fd).toBe(r);
      expect(sel.unregister(w).fd).toBe(w);
      sel.register(d, EVENT_WRITE, 'new');
      expect(rows(await sel.select(0))).toEqual([[w, EVENT_WRITE, 'new']]);
    });
  });

  describe('modify', () => {
    it('changes the events: a new key, the same file object, and select sees the change', async () => {
      const sel = open(Selector);
      const [a] = pair();
      const key = sel.register(a, EVENT_READ, 'd');
      expect(await sel.select(0)).toEqual([]);
      const key2 = sel.modify(a.fileno(), EVENT_WRITE, 'd');
      expect(key2).not.toBe(key);
      expect(key2).toEqual({ fileobj: a, fd: a.fileno(), events: EVENT_WRITE, data: 'd' });
      expect(sel.getKey(a)).toBe(key2);
      expect(rows(await sel.select(0))).toEqual([[a.fileno(), EVENT_WRITE, 'd']]);
    });

    it('a data-only change is a new key without a backend call; no change returns the same key', () => {
      const sel = open(Selector);
      const [a] = pair();
      const d1 = {};
      const d2 = {};
      const key = sel.register(a, EVENT_READ, d1);
      const hooks = sel as unknown as Hooks;
      const spies = [vi.spyOn(hooks, 'addFd'), vi.spyOn(hooks, 'modifyFd'), vi.spyOn(hooks, 'removeFd')];
      const key2 = sel.modify(a, EVENT_READ, d2);
      expect(key2).not.toBe(key);
      expect(key2.data).toBe(d2);
      expect(key2.events).toBe(EVENT_READ);
      expect(sel.getKey(a)).toBe(key2);
      expect(sel.modify(a, EVENT_READ, d2)).toBe(key2);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      sel.modify(a, RW, d2);
      expect(spies[1]).toHaveBeenCalledTimes(1);
    });

    it('data defaults to undefined, as in Python: modify without data drops it', () => {
      const sel = open(Selector);
      const [a] = pair();
      sel.register(a, EVENT_READ, 'kept?');
      expect(sel.modify(a, EVENT_READ).data).toBeUndefined();
    });

    it('an unknown object is KeyError and invalid events ValueError; the registration stays as it was', () => {
      const sel = open(Selector);
      const [a] = pair();
      const key = sel.register(a, EVENT_READ, 'd');
      thrown(() => sel.modify(999999, EVENT_READ), KeyError, 'KeyError');
      thrown(() => sel.modify(a, 0, 'x'), ValueError, 'ValueError');
      thrown(() => sel.modify(a, 4, 'x'), ValueError, 'ValueError');
      thrown(() => sel.modify(-3, EVENT_READ), ValueError, 'ValueError');
      expect(sel.getKey(a)).toBe(key);
      expect([...sel.getMap()!.values()]).toEqual([key]);
    });

    it('when the backend fails to change the events, the registration is dropped (bpo-30014)', () => {
      const sel = open(Selector);
      const [a] = pair();
      sel.register(a, EVENT_READ);
      const hooks = sel as unknown as Hooks;
      vi.spyOn(hooks, 'modifyFd').mockImplementationOnce(() => {
        throw new Error('backend failure');
      });
      const remove = vi.spyOn(hooks, 'removeFd');
      expect(() => sel.modify(a, EVENT_WRITE)).toThrow('backend failure');
      expect(sel.getMap()!.size).toBe(0);
      expect(remove).toHaveBeenCalledWith(a.fileno());
      thrown(() => sel.getKey(a), KeyError, 'KeyError');
    });
  });

  describe('getKey and getMap', () => {
    it('getKey finds a key by object or fd; KeyError for an unknown one, ValueError for an invalid one', () => {
      const sel = open(Selector);
      const [a] = pair();
      const key = sel.register(a, EVENT_READ, 'data');
      expect(sel.getKey(a)).toBe(key);
      expect(sel.getKey(a.fileno())).toBe(key);
      expect(thrown(() => sel.getKey(999999), KeyError, 'KeyError').message).toMatch(/999999 is not registered/);
      thrown(() => sel.getKey(-5), ValueError, 'ValueError');
    });

    it('getMap is a live, read-only view by fd, in registration order', () => {
      const sel = open(Selector);
      const [a, b] = pair();
      const map = sel.getMap()!;
      expect(map).toBeInstanceOf(SelectorMap);
      expect(map.size).toBe(0);
      expect([...map]).toEqual([]);
      const kb = sel.register(b, EVENT_WRITE);
      const ka = sel.register(a, EVENT_READ, 'data');
      expect(sel.getMap()).toBe(map);
      expect(map.size).toBe(2);
      expect(map.has(a)).toBe(true);
      expect(map.has(a.fileno())).toBe(true);
      expect(map.has(999999)).toBe(false);
      expect(map.get(a)).toBe(ka);
      expect(map.get(999999)).toBeUndefined();
      expect([...map.keys()]).toEqual([b.fileno(), a.fileno()]);
      expect([...map.values()]).toEqual([kb, ka]);
      expect([...map.entries()]).toEqual([[b.fileno(), kb], [a.fileno(), ka]]);
      expect([...map]).toEqual([[b.fileno(), kb], [a.fileno(), ka]]);
      const seen: Array<[number, SelectorKey]> = [];
      map.forEach((key, fd, m) => {
        expect(m).toBe(map);
        seen.push([fd, key]);
      });
      expect(seen).toEqual([[b.fileno(), kb], [a.fileno(), ka]]);
      expect(() => map.get(-1)).toThrow(ValueError);
      // Read-only: nothing to change it with.
      const writable = map as unknown as Record<string, unknown>;
      expect(writable.set).toBeUndefined();
      expect(writable.delete).toBeUndefined();
      expect(writable.clear).toBeUndefined();
      sel.unregister(b);
      expect([...map.keys()]).toEqual([a.fileno()]);
    });
  });

  describe('close', () => {
    it('getMap() is null, getKey throws RuntimeError, and so does every other operation', async () => {
      const sel = new Selector();
      const [a, b] = pair();
      const map = sel.getMap()!;
      sel.register(a, EVENT_READ);
      sel.register(b, EVENT_WRITE);
      expect(sel.closed).toBe(false);
      sel.close();
      expect(sel.closed).toBe(true);
      expect(sel.getMap()).toBeNull();
      expect(thrown(() => sel.getKey(a), RuntimeError, 'RuntimeError').message).toBe('Selector is closed');
      thrown(() => sel.register(a, EVENT_READ), RuntimeError, 'RuntimeError');
      thrown(() => sel.unregister(a), RuntimeError, 'RuntimeError');
      thrown(() => sel.modify(a, EVENT_WRITE), RuntimeError, 'RuntimeError');
      await expect(sel.select(0)).rejects.toThrow(RuntimeError);
      // A view taken before is empty; the file objects stay open.
      expect(map.size).toBe(0);
      expect(map.get(a)).toBeUndefined();
      expect(a.closed).toBe(false);
      sel.close(); // again: nothing happens
    });

    it('[Symbol.dispose] closes it, so `using` works', () => {
      const [a] = pair();
      const sel = new Selector();
      sel.register(a, EVENT_READ);
      const dispose = (sel as unknown as Record<symbol, unknown>)[Symbol.dispose];
      expect(typeof dispose).toBe('function');
      sel[Symbol.dispose]();
      expect(sel.getMap()).toBeNull();
      let escaped: Selector | undefined;
      {
        using scoped = new Selector();
        scoped.register(a, EVENT_WRITE);
        escaped = scoped;
        expect(escaped.closed).toBe(false);
      }
      expect(escaped.closed).toBe(true);
    });

    it('a select waiting when the selector closes resolves []', async () => {
      const sel = new Selector();
      const [a, b] = pair();
      sel.register(b, EVENT_READ);
      const pending = sel.select(40);
      sel.close();
      a.send('after close'); // a wakeup for a backend still waiting: not reported
      expect(await pending).toEqual([]);
    });
  });

  describe('select', () => {
    it('reports each ready key once, with only the events it asked for', async () => {
      const sel = open(Selector);
      const [a, b] = pair();
      sel.register(a, EVENT_READ, 'a');
      sel.register(b, EVENT_WRITE, 'b');
      // Both ends are writable; only b asked for it, and a has nothing to read.
      expect(rows(await sel.select(0))).toEqual([[b.fileno(), EVENT_WRITE, 'b']]);
      b.send('x');
      const ready = await sel.select(0);
      for (const [key, events] of ready) {
        expect(key).toBeInstanceOf(SelectorKey);
        expect(events).not.toBe(0);
        expect(events & ~key.events).toBe(0);
      }
      expect(rows(ready).sort()).toEqual([[a.fileno(), EVENT_READ, 'a'], [b.fileno(), EVENT_WRITE, 'b']].sort());
      sel.modify(a, RW, 'a');
      expect(rows(await sel.select(0)).sort()).toEqual([[a.fileno(), RW, 'a'], [b.fileno(), EVENT_WRITE, 'b']].sort());
    });

    it('works with any source: pipe ends and eventfds', async () => {
      const sel = open(Selector);
      const [r, w] = pipe();
      const efd = eventfd(0);
      onTestFinished(() => {
        r.close();
        w.close();
        efd.close();
      });
      sel.register(r, EVENT_READ, 'r');
      sel.register(w, RW, 'w');
      sel.register(efd, EVENT_READ, 'e');
      expect(rows(await sel.select(0))).toEqual([[w.fileno(), EVENT_WRITE, 'w']]);
      w.write('data');
      efd.write(1);
      expect(rows(await sel.select(0)).sort()).toEqual([
        [r.fileno(), EVENT_READ, 'r'], [w.fileno(), EVENT_WRITE, 'w'], [efd.fileno(), EVENT_READ, 'e'],
      ].sort());
    });

    it('an error condition is reported as both events, masked by the key: a pipe writer whose reader closed', async () => {
      const sel = open(Selector);
      const [r, w] = pipe();
      onTestFinished(() => w.close());
      sel.register(w, EVENT_READ, 'asked for read only');
      expect(await sel.select(0)).toEqual([]);
      r.close(); // ERR on the writer
      expect(rows(await sel.select(0))).toEqual([[w.fileno(), EVENT_READ, 'asked for read only']]);
      sel.modify(w, RW);
      expect(rows(await sel.select(0))).toEqual([[w.fileno(), RW, undefined]]);
    });

    it('a socket whose peer closed is readable (EOF) and writable', async () => {
      const sel = open(Selector);
      const [a, b] = pair();
      sel.register(b, EVENT_READ);
      expect(await sel.select(0)).toEqual([]);
      a.close();
      expect(rows(await sel.select(0))).toEqual([[b.fileno(), EVENT_READ, undefined]]);
      sel.modify(b, RW);
      expect(rows(await sel.select(0))).toEqual([[b.fileno(), RW, undefined]]);
      expect(b.recv(10)).toEqual(new Uint8Array(0));
    });

    it('blocks until ready when the timeout is undefined, null or Infinity', async () => {
      const sel = open(Selector);
      const [a, b] = pair();
      const key = sel.register(b, EVENT_READ);
      for (const timeout of [undefined, null, Infinity]) {
        const pending = sel.select(timeout);
        expect(await settledNow(pending)).toBe('pending');
        a.send('x');
        expect(await pending).toEqual([[key, EVENT_READ]]);
        expect(text(b.recv(10))).toBe('x');
      }
      const pending = sel.select();
      expect(await settledNow(pending)).toBe('pending');
      a.send('y');
      expect(await pending).toEqual([[key, EVENT_READ]]);
      b.recv(10);
    });

    it('does not block when the timeout is 0 or negative (unlike Epoll.poll, where -1 waits forever)', async () => {
      const sel = open(Selector);
      const [a, b] = pair();
      const key = sel.register(b, EVENT_READ);
      for (const timeout of [0, -0, -1, -1000, -Infinity, -0.5]) {
        expect(await settledNow(sel.select(timeout))).toEqual([]);
      }
      a.send('x');
      expect(await settledNow(sel.select(-1))).toEqual([[key, EVENT_READ]]);
    });

    it('a positive timeout waits at least that long, rounded up to a whole millisecond, then resolves []', async () => {
      const sel = open(Selector);
      const [, b] = pair();
      sel.register(b, EVENT_READ);
      const [result, elapsed] = await timed(() => sel.select(30));
      expect(result).toEqual([]);
      expect(elapsed).toBeGreaterThanOrEqual(30);
      // 0.5 ms waits a whole millisecond: it is neither "do not block" nor a shorter wait.
      const [short, shortElapsed] = await timed(() => sel.select(0.5));
      expect(short).toEqual([]);
      expect(shortElapsed).toBeGreaterThanOrEqual(1);
    });

    it('ends a timed wait as soon as something is ready', async () => {
      const sel = open(Selector);
      const [a, b] = pair();
      const key = sel.register(b, EVENT_READ, 'k');
      const pending = sel.select(WAIT_MS);
      expect(await settledNow(pending)).toBe('pending');
      a.send('now');
      const [result, elapsed] = await timed(() => pending);
      expect(result).toEqual([[key, EVENT_READ]]);
      expect(elapsed).toBeLessThan(WAIT_MS);
    });

    it('two selects waiting at once both get what becomes ready, also after the registrations grew', async () => {
      const sel = open(Selector);
      const [a, b] = pair();
      const key = sel.register(b, EVENT_READ, 'b');
      const first = sel.select(WAIT_MS);
      expect(await settledNow(first)).toBe('pending');
      // More registrations than an EpollSelector's first event buffer holds, none of them ready.
      const more: Array<ReturnType<typeof socketpair>> = [];
      onTestFinished(() => more.forEach(([x, y]) => (x.close(), y.close())));
      for (let i = 0; i < 100; i++) {
        more.push(socketpair());
        sel.register(more[i]![1], EVENT_READ, i);
      }
      const second = sel.select(WAIT_MS);
      expect(await settledNow(second)).toBe('pending');
      a.send('x');
      more[99]![0].send('y');
      const [r1, r2] = await Promise.all([first, second]);
      const both = [[b.fileno(), EVENT_READ, 'b'], [more[99]![1].fileno(), EVENT_READ, 99]].sort();
      // The first select(2) watches only what was registered when it was called.
      expect(rows(r1).sort()).toEqual(Selector === SelectSelector ? [[b.fileno(), EVENT_READ, 'b']] : both);
      expect(r1[0]![0]).toBe(key);
      expect(rows(r2).sort()).toEqual(both);
      expect(rows(await sel.select(0)).sort()).toEqual(both);
    });

    it('with nothing registered, waits for the timeout and resolves []', async () => {
      const sel = open(Selector);
      expect(await settledNow(sel.select(0))).toEqual([]);
      const [result, elapsed] = await timed(() => sel.select(20));
      expect(result).toEqual([]);
      expect(elapsed).toBeGreaterThanOrEqual(20);
    });

    it('rejects a timeout that is not a number: NaN is ValueError, a string TypeError', async () => {
      const sel = open(Selector);
      await expect(sel.select(Number.NaN)).rejects.toThrow(ValueError);
      await expect(sel.select('5' as unknown as number)).rejects.toThrow(TypeError);
    });

    it('passes messages between 12 socketpairs, selecting a writer, then the reader it wrote to', async () => {
      // CPython's test_selector, with a selector that only ever needs one select per step.
      const sel = open(Selector);
      const peerOf = new Map<unknown, ReturnType<typeof socketpair>[0]>();
      for (let i = 0; i < 12; i++) {
        const [rd, wr] = pair();
        sel.register(rd, EVENT_READ);
        sel.register(wr, EVENT_WRITE);
        peerOf.set(rd, wr);
        peerOf.set(wr, rd);
      }
      const message = ' This is a test.';
      const received: string[] = [];
      let pick = 7;
      while (sel.getMap()!.size > 0) {
        const writers = (await sel.select(0)).filter(([, events]) => events & EVENT_WRITE).map(([key]) => key.fileobj);
        expect(writers.length).toBeGreaterThan(0);
        pick = (pick * 31 + 17) % 101; // a fixed pseudo-random choice among the writers
        const writer = writers[pick % writers.length] as ReturnType<typeof socketpair>[0];
        const reader = peerOf.get(writer)!;
        writer.send(message);
        const readers = (await sel.select(WAIT_MS)).filter(([, events]) => events & EVENT_READ).map(([key]) => key.fileobj);
        expect(readers).toEqual([reader]);
        received.push(text(reader.recv(message.length))!);
        sel.unregister(writer);
        sel.unregister(reader);
      }
      expect(received).toEqual(Array(12).fill(message));
    });

    it('over loopback TCP: accept when the listener is readable, connect completes as writable, data as readable', async () => {
      const sel = open(Selector);
      const listener = await listen({ host: '127.0.0.1', port: 0 });
      onTestFinished(() => listener.close());
      sel.register(listener, EVENT_READ, 'listener');
      const client = connect({ host: '127.0.0.1', port: listener.address().port });
      onTestFinished(() => client.close());
      sel.register(client, EVENT_WRITE, 'client');
      const seen = new Set<unknown>();
      while (seen.size < 2) {
        const ready = await sel.select(WAIT_MS);
        expect(ready.length).toBeGreaterThan(0);
        for (const [key, events] of ready) {
          expect(events).toBe(key.events);
          seen.add(key.data);
        }
      }
      const server = listener.accept()!;
      onTestFinished(() => server.close());
      expect(server).not.toBeNull();
      sel.unregister(listener);
      sel.modify(client, EVENT_READ, 'client');
      sel.register(server, RW, 'server');
      expect(rows(await sel.select(0))).toEqual([[server.fileno(), EVENT_WRITE, 'server']]);
      sel.modify(server, EVENT_READ, 'server');
      expect(server.send('ping')).toBe(4);
      const ready = await sel.select(WAIT_MS);
      expect(rows(ready)).toEqual([[client.fileno(), EVENT_READ, 'client']]);
      expect(text(client.recv(10))).toBe('ping');
      // The client closes: the server's end becomes readable (EOF).
      sel.unregister(client);
      client.close();
      expect(rows(await sel.select(WAIT_MS))).toEqual([[server.fileno(), EVENT_READ, 'server']]);
      expect(server.recv(10)).toEqual(new Uint8Array(0));
    });
  });

});


// The scalable selectors beyond select(2)'s limit (SelectSelector refuses those fds: see below).
describe.each(classes.filter((c) => c.scalable))('$name beyond FD_SETSIZE', ({ Selector }) => {
  it('handles more than FD_SETSIZE descriptors, reporting all of them in one select', async () => {
    const sel = open(Selector);
    const pairs: Array<ReturnType<typeof socketpair>> = [];
    onTestFinished(() => {
      for (const [a, b] of pairs) {
        a.close();
        b.close();
      }
    });
    const count = FD_SETSIZE + 100; // socketpairs: 2248 descriptors, numbered up to about 2250
    for (let i = 0; i < count; i++) {
      const [rd, wr] = socketpair();
      pairs.push([rd, wr]);
      sel.register(rd, EVENT_READ, i);
      sel.register(wr, EVENT_WRITE, i);
    }
    expect(Math.max(...pairs.map(([, wr]) => wr.fileno()))).toBeGreaterThanOrEqual(FD_SETSIZE + 100);
    const writable = await sel.select(0);
    expect(writable.length).toBe(count);
    expect(writable.every(([key, events]) => events === EVENT_WRITE && key.events === EVENT_WRITE)).toBe(true);
    // Each reader of the upper half gets a byte: both halves of those pairs are then reported.
    for (let i = count / 2; i < count; i++) pairs[i]![1].send('x');
    const both = await sel.select(0);
    expect(both.length).toBe(count + count / 2);
    const readable = both.filter(([, events]) => events === EVENT_READ).map(([key]) => key.data as number);
    expect(readable.sort((x, y) => x - y)).toEqual(Array.from({ length: count / 2 }, (_, i) => count / 2 + i));
    // Unregistering the writers leaves only the readable readers, the highest fds included.
    for (const [, wr] of pairs) sel.unregister(wr);
    const last = pairs[count - 1]![0];
    expect((await sel.select(0)).map(([key]) => key.fileobj)).toContain(last);
    expect(last.fileno()).toBeGreaterThanOrEqual(FD_SETSIZE);
  });
});

describe('what differs between the selector classes', () => {
  it('DefaultSelector is the EpollSelector; EVENT_READ is 1 and EVENT_WRITE 2', () => {
    expect([EVENT_READ, EVENT_WRITE]).toEqual([1, 2]);
    expect(DefaultSelector).toBe(EpollSelector);
    using sel = new DefaultSelector();
    expect(sel).toBeInstanceOf(EpollSelector);
    expect(sel).toBeInstanceOf(BaseSelector);
  });

  it('EpollSelector has the fileno() of its Epoll: a descriptor until close', () => {
    const sel = new EpollSelector();
    const fd = sel.fileno();
    expect(fd).toBeGreaterThanOrEqual(3);
    const [a] = pair();
    expect(a.fileno()).toBe(fd + 1); // lowest-free numbering: the Epoll holds fd
    sel.close();
    expect(sel.fileno()).toBe(-1);
  });

  it('EpollSelector: an fd number that is not open is refused by the Epoll (EBADF) and not registered', () => {
    const sel = open(EpollSelector);
    const [a] = pair();
    const fd = a.fileno();
    a.close();
    expect(() => sel.register(fd, EVENT_READ)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(sel.getMap()!.size).toBe(0);
    // Its own Epoll cannot be registered either (EINVAL), and stays unregistered.
    expect(() => sel.register(sel.fileno(), EVENT_READ)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(sel.getMap()!.size).toBe(0);
  });

  it('PollSelector and SelectSelector take an fd number that is not open; select then reports it as poll(2)/select(2) do', async () => {
    const [a] = pair();
    const fd = a.fileno();
    a.close();
    const poll = open(PollSelector);
    poll.register(fd, EVENT_READ, 'nval');
    // POLLNVAL counts as both events, masked by the key.
    expect(rows(await poll.select(0))).toEqual([[fd, EVENT_READ, 'nval']]);
    const sel = open(SelectSelector);
    sel.register(fd, EVENT_READ);
    await expect(sel.select(0)).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('a registered socket closed before unregister: Epoll forgets it, poll reports it, select fails', async () => {
    const epoll = open(EpollSelector);
    const poll = open(PollSelector);
    const select = open(SelectSelector);
    const [a] = pair();
    for (const sel of [epoll, poll, select]) sel.register(a, EVENT_WRITE, 'w');
    const fd = a.fileno();
    a.close();
    expect(await epoll.select(0)).toEqual([]);
    expect(rows(await poll.select(0))).toEqual([[fd, EVENT_WRITE, 'w']]);
    await expect(select.select(0)).rejects.toMatchObject({ code: 'EBADF' });
    for (const sel of [epoll, poll, select]) sel.unregister(a);
    expect(await select.select(0)).toEqual([]);
  });

  it('modify after the socket closed: the Epoll fails (EBADF) and the registration is dropped; Poll and select just update it', () => {
    const [a] = pair();
    const epoll = open(EpollSelector);
    const poll = open(PollSelector);
    const select = open(SelectSelector);
    for (const sel of [epoll, poll, select]) sel.register(a, EVENT_READ);
    a.close();
    expect(() => epoll.modify(a, EVENT_WRITE)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(epoll.getMap()!.size).toBe(0);
    expect(poll.modify(a, EVENT_WRITE).events).toBe(EVENT_WRITE);
    expect(select.modify(a, EVENT_WRITE).events).toBe(EVENT_WRITE);
  });

  it('a pipe reader whose writer closed (HUP): poll-like selectors report both events, select(2) only readable', async () => {
    const [r, w] = pipe();
    onTestFinished(() => r.close());
    w.close();
    const results: number[] = [];
    for (const Selector of [EpollSelector, PollSelector, SelectSelector] as SelectorClass[]) {
      const sel = open(Selector);
      sel.register(r, RW);
      const ready = await sel.select(0);
      expect(ready.length).toBe(1);
      results.push(ready[0]![1]);
    }
    expect(results).toEqual([RW, RW, EVENT_READ]);
  });

  it('SelectSelector refuses fds at or above FD_SETSIZE with ValueError and registers nothing', () => {
    const sel = open(SelectSelector);
    const error = thrown(() => sel.register(FD_SETSIZE, EVENT_READ), ValueError, 'ValueError');
    expect(error.message).toBe('filedescriptor out of range in select()');
    thrown(() => sel.register(FD_SETSIZE + 5000, RW), ValueError, 'ValueError');
    expect(sel.getMap()!.size).toBe(0);
    sel.register(FD_SETSIZE - 1, EVENT_READ);
    expect(sel.getMap()!.size).toBe(1);
  });

  it('a registration made while a select waits: Epoll and Poll see it, select(2) watches the set it was given', async () => {
    const [a] = pair();
    for (const Selector of [EpollSelector, PollSelector] as SelectorClass[]) {
      const sel = open(Selector);
      const pending = sel.select(WAIT_MS);
      expect(await settledNow(pending)).toBe('pending');
      const key = sel.register(a, EVENT_WRITE); // writable already: no wakeup comes from the socket
      expect(await settledNow(pending)).toEqual([[key, EVENT_WRITE]]);
    }
    const sel = open(SelectSelector);
    const pending = sel.select(25);
    sel.register(a, EVENT_WRITE);
    expect(await pending).toEqual([]);
    expect((await sel.select(0)).length).toBe(1);
  });

  it('EpollSelector: a select waiting when it closes resolves [] at once', async () => {
    const sel = new EpollSelector();
    const pending = sel.select(WAIT_MS);
    expect(await settledNow(pending)).toBe('pending');
    sel.close();
    expect(await settledNow(pending)).toEqual([]);
  });

  it('the data type: optional when it admits undefined, required when it does not', () => {
    const [a, b] = pair();
    using sel = new DefaultSelector<(events: number) => void>();
    const key = sel.register(a, EVENT_READ, (events) => expect(events).toBe(EVENT_READ));
    key.data(EVENT_READ);
    // @ts-expect-error: data is required for a selector typed with non-optional data
    expect(() => sel.register(b, EVENT_READ)).not.toThrow();
    using loose = new DefaultSelector();
    expect(loose.register(a, EVENT_READ).data).toBeUndefined();
  });
});

describe('the select timeout rule (toSelectTimeout)', () => {
  it('undefined, null and Infinity block (-1); <= 0 polls (0); positive rounds up to whole ms', () => {
    expect(toSelectTimeout(undefined)).toBe(-1);
    expect(toSelectTimeout(null)).toBe(-1);
    expect(toSelectTimeout(Infinity)).toBe(-1);
    expect(toSelectTimeout(0)).toBe(0);
    expect(toSelectTimeout(-0)).toBe(0);
    expect(toSelectTimeout(-1)).toBe(0);
    expect(toSelectTimeout(-Infinity)).toBe(0);
    expect(toSelectTimeout(0.001)).toBe(1);
    expect(toSelectTimeout(1)).toBe(1);
    expect(toSelectTimeout(1.2)).toBe(2);
    expect(toSelectTimeout(999.9)).toBe(1000);
    expect(() => toSelectTimeout(Number.NaN)).toThrow(ValueError);
    expect(() => toSelectTimeout('1' as unknown as number)).toThrow(TypeError);
  });
});

// Cancellation: an AbortSignal on every wait (Epoll.poll/wait, Poll.poll, select(), the
// selectors' select), and a selector's close() ending its pending selects. After each one,
// nothing may stay behind: no waiter in the table, no timer armed, no abort listener.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AbortError, DescriptorTable, EPOLLET, EPOLLIN, EVENT_READ, Epoll, EpollSelector, Events, FAIRNESS_RESULTS, POLLIN,
  Poll, PollSelector, PosixError, SelectSelector, defaultTable, eventfd, select, socketpair, type BaseSelector, type Socket,
} from '../../src/index.js';
import { closeKept, expectTableEmptyAfterEach, keep, pair, rejection } from '../helpers.js';
import { restoreTimerSpy, settledFlag, settlesAtOnce, spyOnTimers, turn } from './timer-spy.js';

expectTableEmptyAfterEach();

afterEach(() => {
  restoreTimerSpy();
  vi.restoreAllMocks();
  closeKept();
  expect(defaultTable.waiters()).toEqual({ epoll: 0, scan: 0 });
});

function expectAbortError(error: unknown, reason: unknown): void {
  expect(error).toBeInstanceOf(AbortError);
  expect(error).toBeInstanceOf(Error);
  expect((error as AbortError).name).toBe('AbortError');
  expect((error as AbortError).code).toBe('ABORT_ERR');
  expect((error as AbortError).cause).toBe(reason);
}

/** Fills the streak of immediate results, so that the next wait first yields to the host loop. */
async function exhaustFairness(): Promise<void> {
  const efd = keep(eventfd(1));
  const ep = keep(new Epoll());
  ep.register(efd, EPOLLIN);
  await turn();
  for (let k = 0; k < FAIRNESS_RESULTS; k++) await ep.poll(0);
}

/** One waiting API, waiting for `b` to be readable. */
interface Case {
  /** Starts the wait: timeout undefined blocks. */
  start(b: Socket, timeout: number | undefined, signal?: AbortSignal): Promise<unknown>;
  /** The error a bad signal gives. */
  badSignal: 'EINVAL' | 'TypeError';
}

const cases: Array<[string, Case]> = [
  ['Epoll.poll', {
    start: (b, timeout, signal) => {
      const ep = keep(new Epoll());
      ep.register(b, EPOLLIN);
      return ep.poll(timeout ?? -1, -1, { signal });
    },
    badSignal: 'EINVAL',
  }],
  ['Epoll.wait', {
    start: (b, timeout, signal) => {
      const ep = keep(new Epoll());
      ep.register(b, EPOLLIN);
      return ep.wait(new Events(4), timeout ?? -1, { signal });
    },
    badSignal: 'EINVAL',
  }],
  ['Poll.poll', {
    start: (b, timeout, signal) => {
      const poll = new Poll();
      poll.register(b, POLLIN);
      return poll.poll(timeout ?? -1, { signal });
    },
    badSignal: 'EINVAL',
  }],
  ['select()', {
    start: (b, timeout, signal) => select([b], [], [], timeout ?? null, { signal }),
    badSignal: 'EINVAL',
  }],
  ...([['EpollSelector', EpollSelector], ['PollSelector', PollSelector], ['SelectSelector', SelectSelector]] as const).map(
    ([name, Selector]): [string, Case] => [`${name}.select`, {
      start: (b, timeout, signal) => {
        const sel = keep(new Selector() as BaseSelector);
        sel.register(b, EVENT_READ);
        return sel.select(timeout ?? null, { signal });
      },
      badSignal: 'TypeError',
    }],
  ),
];

describe.each(cases)('%s with an AbortSignal', (_name, { start, badSignal }) => {
  it('an already-aborted signal rejects at once, even with something ready', async () => {
    const [a, b] = pair();
    a.send('x');
    const reason = new Error('given up');
    const promise = start(b, 0, AbortSignal.abort(reason));
    expect(await settlesAtOnce(promise)).toBe(true);
    expectAbortError(await rejection(promise), reason);
  });

  it('aborting a blocked wait rejects at once; no waiter, timer or listener is left', async () => {
    const [a, b] = pair();
    const spy = spyOnTimers();
    const controller = new AbortController();
    const removed = vi.spyOn(controller.signal, 'removeEventListener');
    const promise = start(b, 10_000, controller.signal);
    expect(await settlesAtOnce(promise)).toBe(false);
    expect(spy.live()).toBe(1);
    expect(defaultTable.waiters().epoll + defaultTable.waiters().scan).toBe(1);
    controller.abort();
    expect(await settlesAtOnce(promise)).toBe(true);
    expectAbortError(await rejection(promise), controller.signal.reason);
    expect((controller.signal.reason as Error).name).toBe('AbortError'); // the default reason
    expect(spy.live()).toBe(0);
    expect(defaultTable.waiters()).toEqual({ epoll: 0, scan: 0 });
    expect(removed).toHaveBeenCalled();
    a.send('late'); // nobody is woken, nothing fails
    await turn();
  });

  it('aborting a wait with no timeout', async () => {
    const [, b] = pair();
    const controller = new AbortController();
    const promise = start(b, undefined, controller.signal);
    expect(await settlesAtOnce(promise)).toBe(false);
    controller.abort('why');
    expectAbortError(await rejection(promise), 'why');
    expect(defaultTable.waiters()).toEqual({ epoll: 0, scan: 0 });
  });

  it('a wait that ends normally removes its listener; a later abort changes nothing', async () => {
    const [a, b] = pair();
    const controller = new AbortController();
    const added = vi.spyOn(controller.signal, 'addEventListener');
    const removed = vi.spyOn(controller.signal, 'removeEventListener');
    const promise = start(b, 10_000, controller.signal);
    a.send('x');
    expect(await promise).not.toEqual([]);
    expect(removed.mock.calls.length).toBe(added.mock.calls.length);
    controller.abort();
    await turn();
  });

  it('aborting while the wait lets the host loop turn (the fairness yield) rejects at once', async () => {
    const [a, b] = pair();
    a.send('x');
    await exhaustFairness();
    const early = turn(); // scheduled before the wait's own turn: it ends first
    const controller = new AbortController();
    const promise = start(b, 0, controller.signal);
    const settled = settledFlag(promise);
    controller.abort();
    await early;
    expect(settled()).toBe(true);
    expectAbortError(await rejection(promise), controller.signal.reason);
  });

  it(`a signal that is not an AbortSignal is ${badSignal}`, async () => {
    const [, b] = pair();
    const error = await rejection(start(b, 0, {} as AbortSignal));
    if (badSignal === 'EINVAL') expect((error as PosixError).code).toBe('EINVAL');
    else expect(error).toBeInstanceOf(TypeError);
  });
});

describe('what an abort leaves untouched', () => {
  it('Epoll: close() fails a poll that is letting the host loop turn, at once (EBADF)', async () => {
    const [a, b] = pair();
    a.send('x');
    const ep = new Epoll();
    ep.register(b, EPOLLIN);
    await exhaustFairness();
    const early = turn();
    const pending = ep.poll(-1);
    const settled = settledFlag(pending);
    ep.close();
    await early;
    expect(settled()).toBe(true);
    expect((await rejection(pending) as PosixError).code).toBe('EBADF');
  });

  it('Epoll: an aborted poll consumes no edge-triggered event', async () => {
    const [a, b] = pair();
    const ep = keep(new Epoll());
    ep.register(b, EPOLLIN | EPOLLET);
    a.send('x');
    await rejection(ep.poll(0, -1, { signal: AbortSignal.abort() }));
    expect(await ep.poll(0)).toEqual([[b.fileno(), EPOLLIN]]);
  });

  it('Epoll: aborting one of two blocked polls leaves the other waiting, first in line', async () => {
    const [a, b] = pair();
    const ep = keep(new Epoll());
    ep.register(b, EPOLLIN | EPOLLET);
    const controller = new AbortController();
    const first = ep.poll(-1, -1, { signal: controller.signal });
    const second = ep.poll(-1);
    expect(ep.inspect().waiters).toBe(2);
    controller.abort();
    await rejection(first);
    expect(ep.inspect().waiters).toBe(1);
    a.send('x');
    expect(await second).toEqual([[b.fileno(), EPOLLIN]]);
    expect(ep.inspect().waiters).toBe(0);
  });

  it('one signal for several waits aborts them all', async () => {
    const [, b] = pair();
    const controller = new AbortController();
    const ep = keep(new Epoll());
    ep.register(b, EPOLLIN);
    const poll = new Poll();
    poll.register(b, POLLIN);
    const waits = [ep.poll(-1, -1, controller), poll.poll(-1, controller), select([b], [], [], null, controller)];
    controller.abort();
    for (const wait of waits) expect(await rejection(wait)).toBeInstanceOf(AbortError);
    expect(defaultTable.waiters()).toEqual({ epoll: 0, scan: 0 });
  });
});

describe('select(): the fifth argument', () => {
  it('takes a bare DescriptorTable, or { table, signal }', async () => {
    const table = new DescriptorTable();
    const [a, b] = socketpair({ table });
    try {
      a.send('x');
      expect(await select([b], [], [], 0, table)).toEqual([[b], [], []]);
      expect(await select([b], [], [], 0, { table })).toEqual([[b], [], []]);
      const controller = new AbortController();
      const pending = select([a], [], [], null, { table, signal: controller.signal });
      expect(table.waiters()).toEqual({ epoll: 0, scan: 1 });
      controller.abort();
      expect(await rejection(pending)).toBeInstanceOf(AbortError);
      expect(table.waiters()).toEqual({ epoll: 0, scan: 0 });
    } finally {
      a.close();
      b.close();
    }
  });

  it('refuses anything else (EINVAL)', async () => {
    for (const bad of [42, 'table', { table: {} }]) {
      const error = await rejection(select([], [], [], 0, bad as never));
      expect((error as PosixError).code).toBe('EINVAL');
    }
  });
});

describe.each([
  ['EpollSelector', EpollSelector],
  ['PollSelector', PollSelector],
  ['SelectSelector', SelectSelector],
] as Array<[string, new () => BaseSelector]>)('%s: close() ends a pending select at once', (_name, Selector) => {
  it('a select without a timeout resolves [] and leaves no waiter', async () => {
    const [, b] = pair();
    const sel = new Selector();
    sel.register(b, EVENT_READ);
    const pending = sel.select();
    expect(await settlesAtOnce(pending)).toBe(false);
    sel.close();
    expect(await settlesAtOnce(pending)).toBe(true);
    expect(await pending).toEqual([]);
    expect(defaultTable.waiters()).toEqual({ epoll: 0, scan: 0 });
  });

  it('a select with a timeout resolves [] and leaves no timer', async () => {
    const [, b] = pair();
    const spy = spyOnTimers();
    const sel = new Selector();
    sel.register(b, EVENT_READ);
    const pending = sel.select(10_000);
    expect(await settlesAtOnce(pending)).toBe(false);
    expect(spy.live()).toBe(1);
    sel.close();
    expect(await settlesAtOnce(pending)).toBe(true);
    expect(await pending).toEqual([]);
    expect(spy.live()).toBe(0);
  });

  it('several pending selects all resolve []', async () => {
    const [, b] = pair();
    const sel = new Selector();
    sel.register(b, EVENT_READ);
    const pending = [sel.select(), sel.select(5000), sel.select(null, { signal: new AbortController().signal })];
    await turn();
    sel.close();
    expect(await Promise.all(pending)).toEqual([[], [], []]);
  });

  it('a select letting the host loop turn (the fairness yield) when it closes resolves []', async () => {
    const [a, b] = pair();
    a.send('x');
    const sel = new Selector();
    sel.register(b, EVENT_READ);
    await exhaustFairness();
    const early = turn(); // scheduled before the select's own turn: it ends first
    const pending = sel.select();
    const settled = settledFlag(pending);
    sel.close();
    await early;
    expect(settled()).toBe(true);
    expect(await pending).toEqual([]);
  });
});

// Timeouts beyond what one host timer takes (2^31 - 1 ms): a wait is split into timer steps
// below that bound, so it stays idle for as long as asked, never ends early, and never makes the
// runtime clamp a delay (Node's TimeoutOverflowWarning, and a 1 ms timer instead).
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  EPOLLIN, EVENT_READ, Epoll, EpollSelector, Events, POLLIN, Poll, PollSelector, SelectSelector, defaultTable, select,
  type BaseSelector, type Socket,
} from '../../src/index.js';
import { MAX_TIMER_DELAY, armDeadline, armDeadlineAt, timerStep } from '../../src/api/deadline.js';
import { closeKept, expectTableEmptyAfterEach, keep, pair } from '../helpers.js';
import { restoreTimerSpy, settledFlag, spyOnTimers, type TimerSpy } from './timer-spy.js';

expectTableEmptyAfterEach();

/** The real setTimeout, kept before any spy or fake replaces it. */
const realSetTimeout = globalThis.setTimeout;
/** Lets real time pass: how long the tests watch a long wait for unwanted wakeups. */
const watch = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms));
const WATCH_MS = 40;

afterEach(() => {
  restoreTimerSpy();
  vi.useRealTimers();
  closeKept();
});

/** The process warnings emitted while `body` runs (and a turn after it). */
async function warningsDuring(body: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (warning: Error): void => {
    seen.push(`${warning.name}: ${warning.message}`);
  };
  process.on('warning', onWarning);
  try {
    await body();
    await watch(1);
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

describe('timerStep and armDeadline', () => {
  it('timerStep: whole ms, at most MAX_TIMER_DELAY, 0 once passed', () => {
    expect(MAX_TIMER_DELAY).toBe(2 ** 31 - 1);
    expect(timerStep(2 ** 32)).toBe(MAX_TIMER_DELAY);
    expect(timerStep(MAX_TIMER_DELAY)).toBe(MAX_TIMER_DELAY);
    expect(timerStep(MAX_TIMER_DELAY - 0.5)).toBe(MAX_TIMER_DELAY);
    expect(timerStep(Number.MAX_VALUE)).toBe(MAX_TIMER_DELAY);
    expect(timerStep(0.2)).toBe(1);
    expect(timerStep(20.5)).toBe(21);
    expect(timerStep(0)).toBe(0);
    expect(timerStep(-5)).toBe(0);
    expect(timerStep(Number.NaN)).toBe(0);
  });

  it('armDeadline(Infinity) arms nothing and never fires', () => {
    const spy = spyOnTimers();
    const cancel = armDeadline(Infinity, () => {
      throw new Error('fired');
    });
    expect(spy.delays).toEqual([]);
    cancel();
    cancel();
  });

  it('a 2^32 ms deadline on a controlled clock: timer steps below 2^31, fires exactly on time', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const spy = spyOnTimers();
    let fired = -1;
    const start = performance.now();
    armDeadline(2 ** 32, () => {
      fired = performance.now() - start;
    });
    expect(spy.delays).toEqual([MAX_TIMER_DELAY]); // (a clamped timer would make the clock below spin)
    vi.advanceTimersByTime(2 ** 32 - 1);
    expect(fired).toBe(-1);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(2 ** 32);
    expect(Math.max(...spy.delays)).toBe(MAX_TIMER_DELAY);
    expect(spy.delays.length).toBe(3); // 2^31 - 1, 2^31 - 1, 2
  });

  it('armDeadlineAt: an absolute deadline on performance.now(), re-armed if a timer fires early', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const spy = spyOnTimers();
    let fired = false;
    const cancel = armDeadlineAt(performance.now() + 3 * MAX_TIMER_DELAY, () => {
      fired = true;
    });
    expect(spy.delays).toEqual([MAX_TIMER_DELAY]);
    vi.advanceTimersByTime(3 * MAX_TIMER_DELAY - 1);
    expect(fired).toBe(false);
    cancel();
    vi.advanceTimersByTime(10);
    expect(fired).toBe(false);
  });
});

/** One waiting API with a timeout, waiting for `b` to become readable (it never does). */
const waits: Array<[string, (b: Socket, timeout: number, signal: AbortSignal) => Promise<unknown>]> = [
  ['Epoll.poll', (b, timeout, signal) => {
    const ep = keep(new Epoll());
    ep.register(b, EPOLLIN);
    return ep.poll(timeout, -1, { signal });
  }],
  ['Epoll.wait', (b, timeout, signal) => {
    const ep = keep(new Epoll());
    ep.register(b, EPOLLIN);
    return ep.wait(new Events(4), timeout, { signal });
  }],
  ['Poll.poll', (b, timeout, signal) => {
    const poll = new Poll();
    poll.register(b, POLLIN);
    return poll.poll(timeout, { signal });
  }],
  ['select()', (b, timeout, signal) => select([b], [], [], timeout, { signal })],
  ...([['EpollSelector', EpollSelector], ['PollSelector', PollSelector], ['SelectSelector', SelectSelector]] as const).map(
    ([name, Selector]): [string, (b: Socket, timeout: number, signal: AbortSignal) => Promise<unknown>] => [`${name}.select`, (b, timeout, signal) => {
      const sel = keep(new Selector() as BaseSelector);
      sel.register(b, EVENT_READ);
      return sel.select(timeout, { signal });
    }],
  ),
];

describe.each(waits)('%s with a timeout of 2^32 ms', (_name, start) => {
  it('arms one timer of at most 2^31 - 1 ms, warns nothing, and stays pending', async () => {
    const [, b] = pair();
    const controller = new AbortController();
    let spy: TimerSpy | undefined;
    let settled = (): boolean => false;
    let pending: Promise<unknown> | undefined;
    const warnings = await warningsDuring(async () => {
      spy = spyOnTimers();
      pending = start(b, 2 ** 32, controller.signal);
      settled = settledFlag(pending);
      await watch(WATCH_MS); // with a clamped delay, it would re-arm every millisecond
    });
    expect(warnings.filter((w) => w.startsWith('TimeoutOverflowWarning'))).toEqual([]);
    expect(spy!.delays).toEqual([MAX_TIMER_DELAY]);
    expect(settled()).toBe(false);
    controller.abort();
    await pending!.catch(() => undefined);
    expect(spy!.live()).toBe(0);
    expect(defaultTable.waiters()).toEqual({ epoll: 0, scan: 0 });
  });
});

describe('a long wait on a controlled clock really waits that long', () => {
  it('Epoll.poll(2 ** 32) resolves [] after 2^32 ms, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const [, b] = pair();
    const ep = keep(new Epoll());
    ep.register(b, EPOLLIN);
    let result: unknown;
    const spy = spyOnTimers();
    const pending = ep.poll(2 ** 32).then((events) => {
      result = events;
    });
    expect(spy.delays).toEqual([MAX_TIMER_DELAY]);
    await vi.advanceTimersByTimeAsync(2 ** 32 - 1);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(result).toEqual([]);
  });

  it('select() with 2^33 ms', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const [, b] = pair();
    let result: unknown;
    const spy = spyOnTimers();
    const pending = select([b], [], [], 2 ** 33).then((ready) => {
      result = ready;
    });
    expect(spy.delays).toEqual([MAX_TIMER_DELAY]);
    await vi.advanceTimersByTimeAsync(2 ** 33 - 1);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(result).toEqual([[], [], []]);
  });
});

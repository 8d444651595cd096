// The no-starvation rule: a caller that keeps waiting while a level-triggered item stays ready
// still gets the bytes that arrive on other sockets (issue 8's reproduction, with real loopback
// TcpSockets, for every waiting API), and the rule's bound itself, counted in-process.
import { afterEach, describe, expect, it } from 'vitest';
import {
  DefaultSelector, EPOLLET, EPOLLIN, EPOLLRDHUP, EVENT_READ, Epoll, EpollSelector, Events, FAIRNESS_MS, FAIRNESS_RESULTS,
  POLLIN, Poll, PollSelector, SelectSelector, eventfd, select, type BaseSelector, type TcpSocket,
} from '../../src/index.js';
import { closeKept, expectTableEmptyAfterEach, keep, pair, text } from '../helpers.js';
import { starvedPair } from './starved-pair.js';
import { turn } from './timer-spy.js';

expectTableEmptyAfterEach();

afterEach(closeKept);

/**
 * Without the rule these loops never let the host loop turn: they end here, failing, instead of
 * spinning forever. With it the bytes arrive within a turn or two, each after at most
 * 2 × FAIRNESS_RESULTS waits; the limit leaves room for a slow delivery on a loaded machine.
 */
const MAX_WAITS = 5000; // 39 × 2 × FAIRNESS_RESULTS
const MAX_MS = 5000;

/** Calls `waitOnce` (true when it reported c readable) until it does; returns how many waits it took. */
async function waitsUntilReadable(c: TcpSocket, waitOnce: () => Promise<boolean>): Promise<number> {
  const deadline = performance.now() + MAX_MS;
  let waits = 0;
  while (waits < MAX_WAITS && performance.now() < deadline) {
    waits++;
    if (await waitOnce()) {
      expect(text(c.recv(100))).toBe('back');
      return waits;
    }
  }
  throw new Error(`c was not reported readable after ${waits} waits: the peer's bytes never arrived`);
}

describe('no starvation: a waiter looping while an LT item stays ready still gets new bytes', () => {
  it('Epoll.poll', async () => {
    const { c, s } = await starvedPair();
    const ep = keep(new Epoll());
    ep.register(s, EPOLLIN | EPOLLRDHUP);
    ep.register(c, EPOLLIN);
    const waits = await waitsUntilReadable(c, async () => (await ep.poll(100, 64)).some(([fd]) => fd === c.fileno()));
    expect(waits).toBeLessThanOrEqual(MAX_WAITS);
  });

  it('Epoll.wait', async () => {
    const { c, s } = await starvedPair();
    const ep = keep(new Epoll());
    ep.register(s, EPOLLIN | EPOLLRDHUP);
    ep.register(c, EPOLLIN);
    const events = new Events(64);
    await waitsUntilReadable(c, async () => {
      const n = await ep.wait(events, 100);
      for (let i = 0; i < n; i++) if (events.fd(i) === c.fileno()) return true;
      return false;
    });
  });

  it('Poll.poll', async () => {
    const { c, s } = await starvedPair();
    const poll = new Poll();
    poll.register(s, POLLIN);
    poll.register(c, POLLIN);
    await waitsUntilReadable(c, async () => (await poll.poll(100)).some(([fd]) => fd === c.fileno()));
  });

  it('select()', async () => {
    const { c, s } = await starvedPair();
    await waitsUntilReadable(c, async () => (await select([s, c], [], [], 100))[0].includes(c));
  });

  describe.each([
    ['EpollSelector', EpollSelector],
    ['PollSelector', PollSelector],
    ['SelectSelector', SelectSelector],
    ['DefaultSelector', DefaultSelector],
  ] as Array<[string, new () => BaseSelector]>)('%s', (_name, Selector) => {
    it('select(0) in a busy loop', async () => {
      const { c, s } = await starvedPair();
      const sel = keep(new Selector());
      sel.register(s, EVENT_READ);
      sel.register(c, EVENT_READ);
      await waitsUntilReadable(c, async () => (await sel.select(0)).some(([key]) => key.fileobj === c));
    });
  });
});

describe('the bound', () => {
  /** Counts the results of `wait` per host-loop turn (a setImmediate chain: one tick per turn). */
  async function resultsPerTurn(total: number, wait: () => Promise<unknown>): Promise<number[]> {
    await turn();
    const perTurn: number[] = [];
    let results = 0;
    let last = 0;
    let running = true;
    const tick = (): void => {
      perTurn.push(results - last);
      last = results;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    while (results < total) {
      await wait();
      results++;
    }
    running = false;
    perTurn.push(results - last);
    return perTurn;
  }

  it('an eventfd nobody reads: at most 2 × FAIRNESS_RESULTS immediate results between two turns', async () => {
    const efd = keep(eventfd(1));
    const ep = keep(new Epoll());
    ep.register(efd, EPOLLIN);
    const total = 20 * FAIRNESS_RESULTS;
    const perTurn = await resultsPerTurn(total, async () => expect(await ep.poll(-1)).toEqual([[efd.fileno(), EPOLLIN]]));
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(2 * FAIRNESS_RESULTS);
    // The host loop really turned: at least once per 2 × FAIRNESS_RESULTS results.
    expect(perTurn.length).toBeGreaterThanOrEqual(total / (2 * FAIRNESS_RESULTS));
  });

  it('empty results of a zero timeout count too (a busy select(0) on nothing ready)', async () => {
    const sel = keep(new PollSelector());
    const [, b] = pair();
    sel.register(b, EVENT_READ);
    const total = 20 * FAIRNESS_RESULTS;
    const perTurn = await resultsPerTurn(total, async () => expect(await sel.select(0)).toEqual([]));
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(2 * FAIRNESS_RESULTS);
    expect(perTurn.length).toBeGreaterThanOrEqual(total / (2 * FAIRNESS_RESULTS));
  });

  it('several callers share one budget', async () => {
    const efd = keep(eventfd(1));
    const ep = keep(new Epoll());
    ep.register(efd, EPOLLIN);
    const poll = new Poll();
    poll.register(efd, POLLIN);
    let i = 0;
    const perTurn = await resultsPerTurn(20 * FAIRNESS_RESULTS, () => {
      i++;
      return i % 3 === 0 ? ep.poll(0) : i % 3 === 1 ? poll.poll(0) : select([efd], [], [], 0);
    });
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(2 * FAIRNESS_RESULTS);
  });

  it('a streak older than FAIRNESS_MS yields even below the count (checked every 8 results)', async () => {
    const efd = keep(eventfd(1));
    const ep = keep(new Epoll());
    ep.register(efd, EPOLLIN);
    await turn();
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    // A young streak of 8 results (the clock is read at every 8th): no yield.
    for (let k = 0; k < 8; k++) await ep.poll(0);
    expect(turned).toBe(false);
    const start = performance.now();
    while (performance.now() - start < FAIRNESS_MS + 1) {
      // busy: the host loop cannot turn
    }
    await ep.poll(0);
    expect(turned).toBe(true);
  });

  it('the yield comes before the take: an edge that arrives during the turn is in the result', async () => {
    const efd = keep(eventfd(1));
    const [a, b] = pair();
    const ep = keep(new Epoll());
    ep.register(efd, EPOLLIN);
    ep.register(b, EPOLLIN | EPOLLET);
    await turn();
    for (let k = 0; k < FAIRNESS_RESULTS; k++) expect(await ep.poll(0)).toEqual([[efd.fileno(), EPOLLIN]]);
    // The streak is full: the next poll lets the host loop turn, and this runs in that turn.
    setImmediate(() => a.send('x'));
    const events = await ep.poll(0);
    expect(events).toContainEqual([b.fileno(), EPOLLIN]);
    expect(events).toContainEqual([efd.fileno(), EPOLLIN]);
  });

  it('a wait that blocks is unchanged: woken by the program, it resolves without a turn', async () => {
    const [a, b] = pair();
    const ep = keep(new Epoll());
    ep.register(b, EPOLLIN);
    await turn();
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const pending = ep.poll(-1);
    a.send('x');
    expect(await pending).toEqual([[b.fileno(), EPOLLIN]]);
    expect(turned).toBe(false);
  });

  it('pollInto does not yield (it cannot: it is synchronous)', async () => {
    const efd = keep(eventfd(1));
    const ep = keep(new Epoll());
    ep.register(efd, EPOLLIN);
    const events = new Events(4);
    await turn();
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    for (let k = 0; k < 4 * FAIRNESS_RESULTS; k++) expect(ep.pollInto(events)).toBe(1);
    expect(turned).toBe(false);
  });
});

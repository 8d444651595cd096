// The EventLoop under issue 8's rules: a reader that stays ready does not starve Node's I/O, the
// socket helpers take an AbortSignal (and leave no reader or writer behind), and a timer of any
// delay neither fires early nor makes a host timer overflow.
import { afterEach, describe, expect, it } from 'vitest';
import {
  AbortError, MAXIMUM_SELECT_TIMEOUT, connect, defaultTable, listen, type Listener,
} from '../../src/index.js';
import { MAX_TIMER_DELAY } from '../../src/api/deadline.js';
import { closeKept, expectTableEmptyAfterEach, keep, pair, rejection, text } from '../helpers.js';
import { starvedPair } from '../api/starved-pair.js';
import { restoreTimerSpy, spyOnTimers, turn } from '../api/timer-spy.js';
import { FakeClockLoop, RecordingSelector, newLoop, runBounded, runWithin } from './loop-helpers.js';

expectTableEmptyAfterEach();

afterEach(() => {
  restoreTimerSpy();
  closeKept();
});

/** Is `fd` registered in the loop's selector (has a reader or writer)? */
function watched(selector: RecordingSelector, file: { fileno(): number }): boolean {
  return selector.getMap()!.has(file.fileno());
}
function expectAbortError(error: unknown, reason: unknown): void {
  expect(error).toBeInstanceOf(AbortError);
  expect((error as AbortError).name).toBe('AbortError');
  expect((error as AbortError).code).toBe('ABORT_ERR');
  expect((error as AbortError).cause).toBe(reason);
}
const tcpCount = (): number => defaultTable.inspect().filter((row) => row.kind === 'tcp').length;

describe('no starvation', () => {
  it('a reader that stays ready (LT at EOF) does not keep another socket from receiving', async () => {
    const { c, s } = await starvedPair();
    const { loop } = newLoop();
    let idleCalls = 0;
    loop.addReader(s, () => {
      idleCalls++; // readable at EOF in every iteration; never read
    });
    const got = new Promise<string | null>((resolve) => {
      loop.addReader(c, () => {
        loop.removeReader(c);
        resolve(text(c.recv(100)));
      });
    });
    expect(await runWithin(loop, got)).toBe('back');
    expect(idleCalls).toBeGreaterThan(0);
    loop.removeReader(s);
  });

  it('nor does a callback that reschedules itself forever', async () => {
    const { c } = await starvedPair();
    const { loop } = newLoop();
    const spin = (): void => {
      loop.callSoon(spin);
    };
    loop.callSoon(spin);
    expect(text(await runWithin(loop, loop.sockRecv(c, 100)))).toBe('back');
  });
});

describe('socket helpers with an AbortSignal', () => {
  it('sockRecv: aborting removes the reader and rejects with an AbortError', async () => {
    const { loop, selector } = newLoop();
    const [a, b] = pair();
    const controller = new AbortController();
    const pending = loop.sockRecv(b, 10, { signal: controller.signal });
    expect(watched(selector, b)).toBe(true);
    controller.abort('stop');
    expectAbortError(await rejection(pending), 'stop');
    expect(watched(selector, b)).toBe(false);
    // Nothing is left in the way: a new helper on the same socket works.
    a.send('x');
    expect(text(await loop.sockRecv(b, 10))).toBe('x');
  });

  it('sockRecv with an already-aborted signal rejects at once and reads nothing', async () => {
    const { loop, selector } = newLoop();
    const [a, b] = pair();
    a.send('kept');
    const reason = new Error('no');
    const error = await rejection(loop.sockRecv(b, 10, { signal: AbortSignal.abort(reason) }));
    expectAbortError(error, reason);
    expect(watched(selector, b)).toBe(false);
    expect(text(b.recv(10))).toBe('kept');
  });

  it('sockRecvInto: aborted while the loop runs', async () => {
    const { loop, selector } = newLoop();
    const [, b] = pair();
    const controller = new AbortController();
    const pending = loop.sockRecvInto(b, new Uint8Array(8), { signal: controller.signal });
    loop.callLater(1, () => controller.abort());
    const error = await runWithin(loop, pending.then(() => null, (e: unknown) => e));
    expectAbortError(error, controller.signal.reason);
    expect(watched(selector, b)).toBe(false);
  });

  it('sockSendall: aborted midway, the bytes already taken stay sent and the writer goes', async () => {
    const { loop, selector } = newLoop();
    const [a, b] = pair(16);
    const controller = new AbortController();
    const pending = loop.sockSendall(a, new Uint8Array(100).fill(7), { signal: controller.signal });
    expect(watched(selector, a)).toBe(true);
    controller.abort();
    expect(await rejection(pending)).toBeInstanceOf(AbortError);
    expect(watched(selector, a)).toBe(false);
    expect(b.recv(100)?.length).toBe(16);
    await loop.sockSendall(a, 'ok');
    expect(text(b.recv(100))).toBe('ok');
  });

  it('sockAccept: aborting removes the listener\'s reader', async () => {
    const { loop, selector } = newLoop();
    const listener: Listener = keep(await listen({ host: '127.0.0.1', port: 0 }));
    const controller = new AbortController();
    const pending = loop.sockAccept(listener, { signal: controller.signal });
    expect(watched(selector, listener)).toBe(true);
    controller.abort();
    expect(await rejection(pending)).toBeInstanceOf(AbortError);
    expect(watched(selector, listener)).toBe(false);
  });

  it('sockConnect(sock): aborting leaves the socket to its owner, without a writer', async () => {
    const { loop, selector } = newLoop();
    const listener = keep(await listen({ host: '127.0.0.1', port: 0 }));
    const sock = keep(connect({ host: '127.0.0.1', port: listener.address().port }));
    const controller = new AbortController();
    const pending = loop.sockConnect(sock, { signal: controller.signal });
    controller.abort();
    expect(await rejection(pending)).toBeInstanceOf(AbortError);
    expect(watched(selector, sock)).toBe(false);
    expect(sock.closed).toBe(false);
  });

  it('sockConnect({ host, port }): aborting closes the socket it made; already aborted, it makes none', async () => {
    const { loop } = newLoop();
    const listener = keep(await listen({ host: '127.0.0.1', port: 0 }));
    const target = { host: '127.0.0.1', port: listener.address().port };
    const controller = new AbortController();
    const pending = loop.sockConnect(target, { signal: controller.signal });
    expect(tcpCount()).toBe(1);
    controller.abort();
    expect(await rejection(pending)).toBeInstanceOf(AbortError);
    expect(tcpCount()).toBe(0);
    expect(await rejection(loop.sockConnect(target, { signal: AbortSignal.abort() }))).toBeInstanceOf(AbortError);
    expect(tcpCount()).toBe(0);
  });

  it('a signal that is not an AbortSignal is a TypeError; a finished helper leaves no listener', async () => {
    const { loop } = newLoop();
    const [a, b] = pair();
    expect(await rejection(loop.sockRecv(b, 1, { signal: 'x' as unknown as AbortSignal }))).toBeInstanceOf(TypeError);
    const controller = new AbortController();
    let listeners = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof signal.addEventListener;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    }) as typeof signal.removeEventListener;
    const pending = loop.sockRecv(b, 10, { signal });
    expect(listeners).toBe(1);
    a.send('y');
    expect(text(await runWithin(loop, pending))).toBe('y');
    expect(listeners).toBe(0);
    controller.abort(); // too late: changes nothing
    await turn();
  });
});

describe('timers of any delay', () => {
  it('callLater(2 ** 32) on a fake clock: waits of at most MAXIMUM_SELECT_TIMEOUT, runs on time, not before', async () => {
    const loop = keep(new FakeClockLoop());
    let ranAt = -1;
    const timer = loop.callLater(2 ** 32, () => {
      ranAt = loop.time();
      loop.stop();
    });
    await runBounded(loop);
    expect(ranAt).toBeGreaterThanOrEqual(timer.when);
    const timeouts = loop.clock.timeouts.filter((t): t is number => typeof t === 'number');
    expect(Math.max(...timeouts)).toBeLessThanOrEqual(MAXIMUM_SELECT_TIMEOUT);
    expect(timeouts.length).toBeGreaterThanOrEqual(Math.floor(2 ** 32 / MAXIMUM_SELECT_TIMEOUT));
  });

  it('a huge callLater on the real clock: no early run, no timer beyond 2^31 - 1 ms, no warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    try {
      const spy = spyOnTimers();
      const { loop } = newLoop();
      let early = false;
      loop.callLater(2 ** 32, () => {
        early = true;
      });
      loop.callAt(Infinity, () => {
        early = true;
      });
      loop.callLater(20, () => loop.stop());
      await runBounded(loop);
      await turn();
      expect(early).toBe(false);
      expect(Math.max(...spy.delays)).toBeLessThanOrEqual(MAX_TIMER_DELAY);
      expect(warnings.filter((name) => name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

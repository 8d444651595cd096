// The EventLoop without I/O: callSoon, timers, the exception handler, run/stop/runUntilComplete/close.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RuntimeError } from '../../src/api/selectors/index.js';
import { EventLoop, MAXIMUM_SELECT_TIMEOUT } from '../../src/loop/event-loop.js';
import type { ExceptionContext } from '../../src/loop/handle.js';
import { expectTableEmptyAfterEach } from '../helpers.js';
import { FakeClockLoop, RecordingSelector, deferred, runBounded, runWithin } from './loop-helpers.js';

expectTableEmptyAfterEach();

/** Loops made by a test, closed after it (so that a failing test does not leak descriptors). */
const loops: EventLoop[] = [];
function newLoop(): EventLoop {
  const loop = new EventLoop();
  loops.push(loop);
  return loop;
}
function fakeLoop(): FakeClockLoop {
  const loop = new FakeClockLoop();
  loops.push(loop);
  return loop;
}
afterEach(() => {
  for (const loop of loops.splice(0)) if (!loop.isRunning()) loop.close();
  vi.restoreAllMocks();
});

/** Rejects with an error of this name and message (a RuntimeError is told by its name). */
async function rejectsWith(promise: Promise<unknown>, name: string, message: string): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).name).toBe(name);
  expect((error as Error).message).toBe(message);
}

describe('callSoon', () => {
  it('runs callbacks in FIFO order with their arguments', async () => {
    const loop = newLoop();
    const log: string[] = [];
    const add = (a: string, b: number): void => {
      log.push(`${a}${b}`);
    };
    for (let i = 0; i < 5; i++) loop.callSoon(add, 'x', i);
    loop.callSoon(() => loop.stop());
    await runBounded(loop);
    expect(log).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);
  });

  it('callbacks added during a batch run in the next iteration, after the rest of the batch', async () => {
    const loop = newLoop();
    const log: string[] = [];
    let iteration = 0;
    // A self-rescheduling callback counts iterations: it runs once in each.
    const tick = (): void => {
      iteration++;
      if (iteration < 4) loop.callSoon(tick);
    };
    loop.callSoon(tick);
    loop.callSoon(() => {
      log.push(`a@${iteration}`);
      loop.callSoon(() => {
        log.push(`c@${iteration}`);
        loop.callSoon(() => {
          log.push(`d@${iteration}`);
          loop.stop();
        });
      });
    });
    loop.callSoon(() => log.push(`b@${iteration}`));
    await runBounded(loop);
    expect(log).toEqual(['a@1', 'b@1', 'c@2', 'd@3']);
  });

  it('a cancelled handle does not run, also when cancelled by an earlier callback of the same batch', async () => {
    const loop = newLoop();
    const log: string[] = [];
    const never = loop.callSoon(() => log.push('never'));
    expect(never.cancelled).toBe(false);
    never.cancel();
    expect(never.cancelled).toBe(true);
    never.cancel(); // twice is harmless
    let victim: ReturnType<EventLoop['callSoon']> | undefined;
    loop.callSoon(() => {
      log.push('first');
      victim!.cancel();
    });
    victim = loop.callSoon(() => log.push('victim'));
    loop.callSoon(() => loop.stop());
    await runBounded(loop);
    expect(log).toEqual(['first']);
    expect(String(victim)).toContain('cancelled');
  });

  it('does not starve Node: a callback that reschedules itself forever still lets Node timers and immediates run', async () => {
    const loop = newLoop();
    let spins = 0;
    let nodeRan = 0;
    const spin = (): void => {
      spins++;
      // Bound the test: a starving loop would never give the immediate a chance.
      if (spins > 100_000) loop.stop();
      else loop.callSoon(spin);
    };
    loop.callSoon(spin);
    setImmediate(() => nodeRan++);
    setTimeout(() => {
      nodeRan++;
      loop.stop();
    }, 1);
    await runBounded(loop);
    expect(nodeRan).toBe(2);
    expect(spins).toBeLessThanOrEqual(100_000);
  });

  it('rejects a non-function callback with TypeError', () => {
    const loop = newLoop();
    expect(() => loop.callSoon(42 as unknown as () => void)).toThrow(TypeError);
    expect(() => loop.callLater(1, null as unknown as () => void)).toThrow(TypeError);
    expect(() => loop.callLater(Number.NaN, () => {})).toThrow(TypeError);
    expect(() => loop.callAt('soon' as unknown as number, () => {})).toThrow(TypeError);
  });
});

describe('timers', () => {
  it('run in deadline order, never before their deadline (real clock)', async () => {
    const loop = newLoop();
    const log: string[] = [];
    const early: string[] = [];
    for (const [delay, name] of [[30, 'c'], [5, 'a'], [15, 'b'], [0, 'zero'], [-5, 'negative']] as const) {
      const handle = loop.callLater(delay, () => {
        log.push(name);
        if (loop.time() < handle.when) early.push(name);
        if (name === 'c') loop.stop();
      });
    }
    await runBounded(loop);
    expect(log).toEqual(['negative', 'zero', 'a', 'b', 'c']);
    expect(early).toEqual([]);
  });

  it('equal deadlines run in the order they were scheduled (FIFO), callAt and callLater alike', async () => {
    const loop = fakeLoop();
    const log: number[] = [];
    const t = loop.time() + 10;
    for (let i = 0; i < 50; i++) {
      if (i % 3 === 0) loop.callLater(10, (n: number) => log.push(n), i);
      else loop.callAt(t, (n: number) => log.push(n), i);
      loop.callAt(t + 1, (n: number) => log.push(n), 100 + i);
    }
    loop.callAt(t + 1, () => loop.stop());
    await runBounded(loop);
    expect(log).toEqual([...Array.from({ length: 50 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => 100 + i)]);
  });

  it('callAt in the past runs in the next iteration, after callbacks queued before the iteration', async () => {
    const loop = newLoop();
    const log: string[] = [];
    loop.callSoon(() => log.push('soon1'));
    loop.callAt(loop.time() - 1000, () => log.push('past'));
    loop.callSoon(() => log.push('soon2'));
    loop.callAt(0, () => {
      log.push('epoch');
      loop.stop();
    });
    await runBounded(loop);
    // One iteration: the ready queue first, then the due timers in deadline order.
    expect(log).toEqual(['soon1', 'soon2', 'past', 'epoch']);
  });

  it('a cancelled timer does not run, also when cancelled by a callback of the batch it is due in', async () => {
    const loop = fakeLoop();
    const log: string[] = [];
    const t = loop.time() + 5;
    const cancelledEarly = loop.callAt(t, () => log.push('cancelled early'));
    cancelledEarly.cancel();
    let victim: ReturnType<EventLoop['callAt']> | undefined;
    loop.callAt(t, () => {
      log.push('first');
      victim!.cancel();
    });
    victim = loop.callAt(t, () => log.push('victim'));
    loop.callAt(t + 1, () => {
      log.push('last');
      loop.stop();
    });
    await runBounded(loop);
    expect(log).toEqual(['first', 'last']);
    expect(victim.cancelled).toBe(true);
    // Cancelled timers are dropped before the wait: they do not shorten it.
    expect(loop.clock.timeouts).toEqual([5, 1]);
  });

  it('mass cancellation (heap compaction) keeps the remaining timers in order', async () => {
    const loop = fakeLoop();
    const log: number[] = [];
    const base = loop.time();
    const handles = [];
    for (let i = 0; i < 1000; i++) handles.push(loop.callAt(base + 1 + (i * 7919) % 500, (n: number) => log.push(n), i));
    for (let i = 0; i < 1000; i++) if (i % 5 !== 0) handles[i]!.cancel();
    loop.callAt(base + 1000, () => loop.stop());
    await runBounded(loop);
    const expected = Array.from({ length: 1000 }, (_, i) => i)
      .filter((i) => i % 5 === 0)
      .sort((a, b) => (a * 7919) % 500 - (b * 7919) % 500 || a - b);
    expect(log).toEqual(expected);
  });

  it('the wait lasts until the next deadline, rounded up to whole ms, and the timer runs once it is due', async () => {
    const loop = fakeLoop();
    const log: string[] = [];
    const start = loop.time();
    const handle = loop.callLater(10.25, () => log.push(`t@${loop.time() - start}`));
    loop.callAt(start + 30, () => loop.stop());
    await runBounded(loop);
    expect(handle.when).toBe(start + 10.25);
    // 10.25 ms rounds up to 11 (the timer is due at 11 >= 10.25); then 19 more to the stop timer.
    expect(loop.clock.timeouts).toEqual([11, 19]);
    expect(log).toEqual(['t@11']);
  });

  it('a wait that ends early (an I/O event) does not run the timer early: the loop waits again for the rest', async () => {
    const loop = fakeLoop();
    const log: number[] = [];
    loop.clock.advance = (timeout) => Math.min(timeout, 4); // every wait ends after 4 ms
    const start = loop.time();
    loop.callLater(10, () => {
      log.push(loop.time() - start);
      loop.stop();
    });
    await runBounded(loop);
    expect(loop.clock.timeouts).toEqual([10, 6, 2]);
    expect(log).toEqual([10]);
  });

  it('the wait is 0 while callbacks are ready, and capped at MAXIMUM_SELECT_TIMEOUT', async () => {
    const loop = fakeLoop();
    const start = loop.time();
    loop.callLater(10 * MAXIMUM_SELECT_TIMEOUT, () => loop.stop());
    loop.callSoon(() => {});
    await runBounded(loop);
    expect(loop.time() - start).toBeGreaterThanOrEqual(10 * MAXIMUM_SELECT_TIMEOUT);
    expect(loop.clock.timeouts.slice(0, 2)).toEqual([0, MAXIMUM_SELECT_TIMEOUT]);
    expect(loop.clock.timeouts.every((t) => typeof t === 'number' && t <= MAXIMUM_SELECT_TIMEOUT)).toBe(true);
  });

  it('time() is the monotonic clock (performance.now)', () => {
    const loop = newLoop();
    const before = performance.now();
    const t = loop.time();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(performance.now());
  });
});

describe('exceptions', () => {
  it('a throwing callback goes to the handler with its context and does not stop the loop', async () => {
    const loop = newLoop();
    const contexts: ExceptionContext[] = [];
    loop.setExceptionHandler((context) => contexts.push(context));
    const error = new Error('boom');
    const log: string[] = [];
    const handle = loop.callSoon(function exploding() {
      throw error;
    });
    loop.callSoon(() => log.push('after'));
    loop.callLater(0, function timerBoom() {
      throw new Error('timer');
    });
    loop.callLater(1, () => loop.stop());
    await runBounded(loop);
    expect(log).toEqual(['after']);
    expect(contexts).toHaveLength(2);
    expect(contexts[0]).toEqual({ message: 'Exception in callback exploding', exception: error, handle });
    expect(contexts[0]!.fd).toBeUndefined();
    expect(contexts[1]!.message).toBe('Exception in timer timerBoom');
  });

  it("an async callback's rejection goes to the handler too", async () => {
    const loop = newLoop();
    const got = deferred<ExceptionContext>();
    loop.setExceptionHandler(got.resolve);
    loop.callSoon(async function later() {
      await Promise.resolve();
      throw new Error('async boom');
    });
    const context = await runWithin(loop, got.promise);
    expect(context.message).toBe('Exception in callback later');
    expect((context.exception as Error).message).toBe('async boom');
  });

  it('the default handler logs with console.error, naming the callback; null restores it', async () => {
    const loop = newLoop();
    const logged: unknown[][] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });
    loop.setExceptionHandler(() => {});
    loop.setExceptionHandler(null);
    expect(loop.getExceptionHandler()).toBeNull();
    const error = new Error('logged');
    loop.callSoon(function myCallback() {
      throw error;
    });
    loop.callSoon(() => {
      throw 'not an Error';
    });
    loop.callSoon(() => loop.stop());
    await runBounded(loop);
    expect(logged).toHaveLength(2);
    expect(logged[0]![0]).toMatch(/^Exception in callback myCallback\nhandle: <Handle callback myCallback>$/);
    expect(logged[0]![1]).toBe(error);
    expect(logged[1]![0]).toMatch(/^Exception in callback <anonymous>/);
    expect(logged[1]![1]).toBe('not an Error');
  });

  it('a handler that throws is reported by the default handler, and the loop goes on', async () => {
    const loop = newLoop();
    const logged: unknown[][] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });
    const handlerError = new Error('handler broke');
    loop.setExceptionHandler(() => {
      throw handlerError;
    });
    let ran = false;
    loop.callSoon(function first() {
      throw new Error('first');
    });
    loop.callSoon(() => {
      ran = true;
      loop.stop();
    });
    await runBounded(loop);
    expect(ran).toBe(true);
    expect(logged).toHaveLength(1);
    expect(logged[0]![0]).toBe('Unhandled error in exception handler (while handling: Exception in callback first)');
    expect(logged[0]![1]).toBe(handlerError);
  });

  it('setExceptionHandler refuses a non-function', () => {
    const loop = newLoop();
    expect(() => loop.setExceptionHandler('log' as unknown as () => void)).toThrow(TypeError);
  });
});

describe('run, stop, runUntilComplete, close', () => {
  it('stop() ends run() after the current batch; callbacks it queued run in the next run()', async () => {
    const loop = newLoop();
    const log: string[] = [];
    loop.callSoon(() => {
      log.push('a');
      loop.stop();
      loop.callSoon(() => log.push('next run'));
    });
    loop.callSoon(() => log.push('b'));
    expect(loop.isRunning()).toBe(false);
    const running = loop.run();
    expect(loop.isRunning()).toBe(true);
    await running;
    expect(loop.isRunning()).toBe(false);
    expect(log).toEqual(['a', 'b']);
    loop.callSoon(() => loop.stop());
    await runBounded(loop);
    expect(log).toEqual(['a', 'b', 'next run']);
  });

  it('stop() before run(): one iteration that does not wait, running what is due, then run() returns', async () => {
    const selector = new RecordingSelector();
    const loop = new EventLoop(selector);
    loops.push(loop);
    const log: string[] = [];
    loop.callSoon(() => log.push('ready'));
    loop.callLater(0, () => log.push('due'));
    loop.callLater(60_000, () => log.push('not due'));
    loop.stop();
    await loop.run();
    expect(log).toEqual(['ready', 'due']);
    expect(selector.timeouts).toEqual([0]);
    selector.close();
  });

  it('run() and runUntilComplete() while running, and anything on a closed loop, are RuntimeErrors', async () => {
    const loop = newLoop();
    const errors: Array<[string, string]> = [];
    const record = async (p: Promise<unknown>): Promise<void> => {
      await p.catch((e: Error) => errors.push([e.name, e.message]));
    };
    loop.callSoon(async () => {
      await record(loop.run());
      await record(loop.runUntilComplete(Promise.resolve(1)));
      try {
        loop.close();
      } catch (e) {
        errors.push([(e as Error).name, (e as Error).message]);
      }
      loop.stop();
    });
    await runBounded(loop);
    expect(errors).toEqual([
      ['RuntimeError', 'This event loop is already running'],
      ['RuntimeError', 'This event loop is already running'],
      ['RuntimeError', 'Cannot close a running event loop'],
    ]);
    expect(loop.isClosed()).toBe(false);
    loop.close();
    expect(loop.isClosed()).toBe(true);
    loop.close(); // twice is harmless
    const closed = 'Event loop is closed';
    expect(() => loop.callSoon(() => {})).toThrow(closed);
    expect(() => loop.callLater(1, () => {})).toThrow(closed);
    expect(() => loop.callAt(1, () => {})).toThrow(closed);
    expect(() => loop.addReader(0, () => {})).toThrow(RuntimeError);
    expect(() => loop.addWriter(0, () => {})).toThrow(closed);
    expect(loop.removeReader(0)).toBe(false);
    expect(loop.removeWriter(0)).toBe(false);
    await rejectsWith(loop.run(), 'RuntimeError', closed);
    await rejectsWith(loop.runUntilComplete(Promise.resolve()), 'RuntimeError', closed);
  });

  it('runUntilComplete resolves with the value, or rejects with the error, of the promise', async () => {
    const loop = newLoop();
    expect(await loop.runUntilComplete(Promise.resolve(42))).toBe(42);
    expect(await loop.runUntilComplete('plain value')).toBe('plain value');
    const error = new Error('failed');
    await expect(loop.runUntilComplete(Promise.reject(error))).rejects.toBe(error);
    // A promise settled by the loop's own callbacks.
    const done = deferred<string>();
    loop.callLater(1, () => done.resolve('from a timer'));
    expect(await runWithin(loop, done.promise)).toBe('from a timer');
    expect(loop.isRunning()).toBe(false);
  });

  it('runUntilComplete: stopped before the promise settles is a RuntimeError; the late settlement does not stop a later run', async () => {
    const loop = newLoop();
    const late = deferred<number>();
    loop.callSoon(() => loop.stop());
    await rejectsWith(loop.runUntilComplete(late.promise), 'RuntimeError', 'Event loop stopped before Future completed.');
    late.resolve(1);
    await late.promise;
    // If the settlement had called stop(), this run would end before the callback chain does.
    let count = 0;
    const step = (): void => {
      if (++count === 5) loop.stop();
      else loop.callSoon(step);
    };
    loop.callSoon(step);
    await runBounded(loop);
    expect(count).toBe(5);
  });

  it('work added from outside while the loop blocks wakes it: callSoon, callLater, stop', async () => {
    const selector = new RecordingSelector();
    const loop = new EventLoop(selector);
    loops.push(loop);
    const log: string[] = [];
    // Each time the loop starts a blocking wait, act from a Node callback, outside the loop.
    const actions = [
      () => loop.callSoon(() => log.push('callSoon')),
      () => loop.callLater(0, () => log.push('callLater')),
      () => loop.stop(),
    ];
    selector.onSelect = (timeout) => {
      if (timeout === undefined) setImmediate(actions.shift()!);
    };
    await runBounded(loop);
    expect(log).toEqual(['callSoon', 'callLater']);
    expect(actions).toHaveLength(0);
    expect(selector.timeouts.filter((t) => t === undefined)).toHaveLength(3);
    selector.close();
  });

  it('a far timer and work added from outside: the loop wakes, runs it, then waits for the rest of the far deadline', async () => {
    const selector = new RecordingSelector();
    const loop = new EventLoop(selector);
    loops.push(loop);
    const far = loop.callLater(3_600_000, () => {});
    const done = deferred<string>();
    selector.onSelect = (timeout) => {
      if (selector.timeouts.length === 1) setImmediate(() => loop.callLater(1, () => done.resolve('near')));
      expect(timeout).toBeDefined();
    };
    expect(await runWithin(loop, done.promise)).toBe('near');
    const [first, second] = selector.timeouts as number[];
    expect(first).toBeGreaterThan(3_599_000);
    expect(second).toBeLessThanOrEqual(1);
    far.cancel();
    selector.close();
  });

  it('close() closes the selector the loop made; a selector passed in stays open without the loop\'s registrations', async () => {
    const selector = new RecordingSelector();
    const loop = new EventLoop(selector);
    expect(selector.getMap()!.size).toBe(1); // the wakeup eventfd
    const timer = loop.callLater(10, () => {});
    const soon = loop.callSoon(() => {});
    loop.close();
    expect(timer.cancelled).toBe(true);
    expect(soon.cancelled).toBe(true);
    expect(selector.getMap()!.size).toBe(0);
    expect(selector.inner.closed).toBe(false);
    selector.close();
    // The loop's own selector: its Epoll fd is released (the table is checked after each test).
    const own = new EventLoop();
    own.close();
    expect(own.isClosed()).toBe(true);
  });

  it('`using loop = new EventLoop()` closes it at the end of the scope', () => {
    let outer: EventLoop;
    {
      using loop = new EventLoop();
      outer = loop;
      expect(loop.isClosed()).toBe(false);
    }
    expect(outer.isClosed()).toBe(true);
  });
});

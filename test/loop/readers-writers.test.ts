// Readers and writers: dispatch, the re-check rule, replacement, errors, and I/O against timers.
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_READ, EVENT_WRITE, PollSelector, SelectSelector } from '../../src/api/selectors/index.js';
import { EventLoop } from '../../src/loop/event-loop.js';
import type { ExceptionContext } from '../../src/loop/handle.js';
import { socketpair, type Socket } from '../../src/sources/socket.js';
import { expectTableEmptyAfterEach } from '../helpers.js';
import { FakeClockLoop, RecordingSelector, deferred, runBounded, runWithin } from './loop-helpers.js';

expectTableEmptyAfterEach();

/** Everything a test opens, closed after it even if it fails. */
const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const thing of open.splice(0).reverse()) thing.close();
});
function pair(capacity?: number): [Socket, Socket] {
  const p = socketpair(capacity === undefined ? undefined : { capacity });
  open.push(...p);
  return p;
}
function newLoop(selector?: RecordingSelector): EventLoop {
  const loop = new EventLoop(selector);
  open.push(loop);
  if (selector) open.unshift(selector); // closed after the loop
  return loop;
}

describe('readers and writers', () => {
  it('a reader is called with its arguments while the fd is readable; removeReader says whether there was one', async () => {
    const loop = newLoop();
    const [a, b] = pair();
    const got: string[] = [];
    loop.addReader(b, (sock: Socket, tag: string) => {
      const data = sock.recv(100)!;
      got.push(`${tag}:${new TextDecoder().decode(data)}`);
      if (got.length === 2) {
        expect(loop.removeReader(b)).toBe(true);
        loop.stop();
      } else {
        a.send('second');
      }
    }, b, 'r');
    a.send('first');
    await runBounded(loop);
    expect(got).toEqual(['r:first', 'r:second']);
    expect(loop.removeReader(b)).toBe(false);
    expect(loop.removeWriter(b)).toBe(false);
  });

  it('level-triggered: a reader that does not read is called again in each iteration', async () => {
    const loop = newLoop();
    const [a, b] = pair();
    let calls = 0;
    loop.addReader(b, () => {
      if (++calls === 3) loop.stop();
    });
    a.send('x');
    await runBounded(loop);
    expect(calls).toBe(3);
  });

  it('a reader and a writer on one fd (by object and by number); removing one keeps the other', async () => {
    const selector = new RecordingSelector();
    const loop = newLoop(selector);
    const [a, b] = pair();
    const log: string[] = [];
    loop.addWriter(b, () => {
      log.push('writable');
      loop.removeWriter(b.fileno());
      a.send('now readable');
    });
    loop.addReader(b.fileno(), () => {
      log.push('readable');
      b.recv(100);
      loop.stop();
    });
    expect(selector.getKey(b).events).toBe(EVENT_READ | EVENT_WRITE);
    await runBounded(loop);
    expect(log).toEqual(['writable', 'readable']);
    expect(selector.getKey(b).events).toBe(EVENT_READ);
    expect(loop.removeReader(b)).toBe(true);
    expect(selector.getMap()!.has(b)).toBe(false);
  });

  it('addReader again replaces the callback', async () => {
    const loop = newLoop();
    const [a, b] = pair();
    const log: string[] = [];
    loop.addReader(b, () => log.push('old'));
    loop.addReader(b, () => {
      log.push('new');
      loop.stop();
    });
    a.send('x');
    await runBounded(loop);
    expect(log).toEqual(['new']);
  });

  it('dispatch re-checks: a reader removed by an earlier callback of the same batch is not called', async () => {
    const loop = newLoop();
    const [a1, b1] = pair();
    const [a2, b2] = pair();
    const called: Socket[] = [];
    // Both become readable in the same iteration; whichever runs first removes the other.
    const reader = (self: Socket, other: Socket): void => {
      called.push(self);
      loop.removeReader(other);
      loop.removeReader(self);
      loop.callSoon(() => loop.stop());
    };
    loop.addReader(b1, reader, b1, b2);
    loop.addReader(b2, reader, b2, b1);
    a1.send('x');
    a2.send('y');
    await runBounded(loop);
    expect(called).toHaveLength(1);
  });

  it('a reader replaced by an earlier callback of the batch: the old one is not called, the new one from the next iteration', async () => {
    const loop = newLoop();
    const [a1, b1] = pair();
    const [a2, b2] = pair();
    const log: string[] = [];
    let iteration = 0;
    const tick = (): void => {
      iteration++;
      loop.callSoon(tick);
    };
    loop.callSoon(tick);
    const replacement = (name: string) => (): void => {
      log.push(`${name}@${iteration}`);
      loop.stop();
    };
    const original = (self: Socket, other: Socket, name: string, otherName: string): void => {
      log.push(`${name}@${iteration}`);
      loop.removeReader(self);
      loop.addReader(other, replacement(`${otherName}'`));
    };
    loop.addReader(b1, original, b1, b2, 'r1', 'r2');
    loop.addReader(b2, original, b2, b1, 'r2', 'r1');
    a1.send('x');
    a2.send('y');
    await runBounded(loop);
    // asyncio's rule: the handles of a batch are taken when the events are; a replaced one is
    // cancelled, and the replacement waits for the next report (the fd is still readable).
    expect(log.length).toBe(2);
    const [first, second] = log as [string, string];
    const firstName = first.slice(0, 2);
    const otherName = firstName === 'r1' ? 'r2' : 'r1';
    expect(first).toBe(`${firstName}@1`);
    expect(second).toBe(`${otherName}'@2`);
  });

  it('a throwing reader goes to the exception handler with its fd; it stays registered', async () => {
    const loop = newLoop();
    const [a, b] = pair();
    const contexts: ExceptionContext[] = [];
    loop.setExceptionHandler((context) => {
      contexts.push(context);
      if (contexts.length === 2) loop.stop();
    });
    loop.addReader(b, function onData() {
      throw new Error('reader failed');
    });
    a.send('x');
    await runBounded(loop);
    expect(contexts).toHaveLength(2);
    expect(contexts[0]!.message).toBe(`Exception in reader onData for fd ${b.fileno()}`);
    expect(contexts[0]!.fd).toBe(b.fileno());
    expect(contexts[0]!.handle!.kind).toBe('reader');
  });

  it('a reader handle cancelled through the exception context is removed when its fd is next reported', async () => {
    const selector = new RecordingSelector();
    const loop = newLoop(selector);
    const [a, b] = pair();
    let calls = 0;
    loop.setExceptionHandler((context) => context.handle!.cancel());
    loop.addReader(b, () => {
      calls++;
      throw new Error('once');
    });
    a.send('x');
    // Stop after a few more iterations: the reader must not run again, and be unregistered.
    let n = 0;
    const tick = (): void => {
      if (++n === 4) loop.stop();
      else loop.callSoon(tick);
    };
    loop.callSoon(tick);
    await runBounded(loop);
    expect(calls).toBe(1);
    expect(selector.getMap()!.has(b)).toBe(false);
  });

  it('the default handler logs a reader failure with the fd and the callback name', async () => {
    const loop = newLoop();
    const [a, b] = pair();
    const logged: string[] = [];
    const original = console.error;
    console.error = (message: string) => {
      logged.push(message);
    };
    try {
      loop.addReader(b, function readRequest() {
        loop.removeReader(b);
        loop.stop();
        throw new Error('bad request');
      });
      a.send('x');
      await runBounded(loop);
    } finally {
      console.error = original;
    }
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(`Exception in reader readRequest for fd ${b.fileno()}`);
  });

  it('a bad file object is refused by the selector and changes nothing; a closed socket can still be removed', () => {
    const selector = new RecordingSelector();
    const loop = newLoop(selector);
    expect(() => loop.addReader(-1, () => {})).toThrow(expect.objectContaining({ name: 'ValueError' }));
    expect(() => loop.addReader({} as unknown as number, () => {})).toThrow(expect.objectContaining({ name: 'ValueError' }));
    expect(selector.getMap()!.size).toBe(1); // only the loop's wakeup fd
    const [, b] = pair();
    loop.addReader(b, () => {});
    b.close();
    expect(loop.removeReader(b)).toBe(true);
    expect(selector.getMap()!.size).toBe(1);
  });

  it('a closed socket with a reader and a writer: removing either drops both (its fd cannot be modified); removing again is false', async () => {
    const selector = new RecordingSelector();
    const loop = newLoop(selector);
    const [, b] = pair();
    const reader = (): void => {};
    loop.addReader(b, reader);
    loop.addWriter(b, reader);
    b.close();
    expect(loop.removeReader(b)).toBe(true);
    expect(selector.getMap()!.size).toBe(1);
    expect(loop.removeWriter(b)).toBe(false);
    expect(loop.removeReader(b)).toBe(false);
    // Not a file object at all is still an error.
    expect(() => loop.removeReader({} as unknown as number)).toThrow(expect.objectContaining({ name: 'ValueError' }));
    // The loop goes on.
    loop.callSoon(() => loop.stop());
    await runBounded(loop);
  });

  it("refuses to add a reader to an fd registered in the selector by someone else (the loop's wakeup fd)", () => {
    const selector = new RecordingSelector();
    const loop = newLoop(selector);
    const [wakeFd] = [...selector.getMap()!.keys()];
    expect(() => loop.addReader(wakeFd!, () => {})).toThrow(expect.objectContaining({ name: 'RuntimeError' }));
    expect(loop.removeReader(wakeFd!)).toBe(false);
  });
});

describe('I/O and timers', () => {
  it('the wait before a timer is its deadline; I/O arriving meanwhile runs the reader at once, before the timer', async () => {
    const selector = new RecordingSelector();
    const loop = newLoop(selector);
    const [a, b] = pair();
    const log: string[] = [];
    const far = loop.callLater(60_000, () => log.push('far timer'));
    loop.addReader(b, () => {
      log.push(`read ${b.recv(10)!.length}`);
      loop.stop();
    });
    // Once the loop waits, data arrives from outside (a Node callback).
    selector.onSelect = () => setImmediate(() => a.send('hello'));
    await runBounded(loop);
    expect(log).toEqual(['read 5']);
    const first = selector.timeouts[0] as number;
    expect(first).toBeGreaterThan(59_000);
    expect(first).toBeLessThanOrEqual(60_000);
    expect(loop.time()).toBeLessThan(far.when);
    far.cancel();
  });

  it('readers and timers interleave: a timer makes data, the reader runs at once, the next timer at its deadline (fake clock)', async () => {
    const loop = new FakeClockLoop();
    open.push(loop);
    const [a, b] = pair();
    const log: string[] = [];
    const start = loop.time();
    loop.addReader(b, () => log.push(`read ${new TextDecoder().decode(b.recv(10)!)} @${loop.time() - start}`));
    loop.callLater(2, () => {
      log.push('t2');
      a.send('A');
    });
    loop.callLater(5, () => {
      log.push('t5');
      a.send('B');
    });
    loop.callLater(8, () => {
      log.push('t8');
      loop.stop();
    });
    await runBounded(loop);
    expect(log).toEqual(['t2', 'read A @2', 't5', 'read B @5', 't8']);
    // Each wait is until the next deadline; the waits that found data ready took no time.
    expect(loop.clock.timeouts).toEqual([2, 3, 3, 3, 3]);
  });

  it('in one batch: callbacks queued before the iteration, then readers and writers, then due timers', async () => {
    const loop = newLoop();
    const [a, b] = pair();
    const log: string[] = [];
    loop.addReader(b, () => {
      log.push('reader');
      loop.removeReader(b);
    });
    loop.callSoon(() => {
      log.push('first');
      // All three are for the next iteration: b will be readable and the timer due by then.
      a.send('x');
      loop.callLater(0, () => {
        log.push('timer');
        loop.stop();
      });
      loop.callSoon(() => log.push('soon'));
    });
    await runBounded(loop);
    expect(log).toEqual(['first', 'soon', 'reader', 'timer']);
  });

  it('blocks without a timeout when only readers and writers are registered, and wakes for I/O', async () => {
    const selector = new RecordingSelector();
    const loop = newLoop(selector);
    const [a, b] = pair();
    loop.addReader(b, () => loop.stop());
    selector.onSelect = () => setImmediate(() => a.send('x'));
    await runBounded(loop);
    expect(selector.timeouts).toEqual([undefined]);
  });

  it('a reader added from outside while the loop waits is seen by that wait', async () => {
    const selector = new RecordingSelector();
    const loop = newLoop(selector);
    const [a, b] = pair();
    a.send('ready before');
    const done = deferred<string>();
    selector.onSelect = () => {
      if (selector.timeouts.length === 1) setImmediate(() => loop.addReader(b, () => done.resolve(new TextDecoder().decode(b.recv(100)!))));
    };
    expect(await runWithin(loop, done.promise)).toBe('ready before');
  });

  it.each([
    ['PollSelector', () => new PollSelector()],
    ['SelectSelector', () => new SelectSelector()],
  ])('runs on a %s too', async (_name, make) => {
    const selector = make();
    open.push(selector);
    const loop = new EventLoop(selector);
    open.push(loop);
    const [a, b] = pair();
    const log: string[] = [];
    const done = deferred();
    // Ends when the reader has run (not at a fixed time: a loaded machine may run the writer
    // after any timer of ours would have fired); runWithin bounds the wait.
    loop.addReader(b, () => {
      log.push(new TextDecoder().decode(b.recv(10)!));
      loop.removeReader(b);
      loop.callSoon(done.resolve);
    });
    loop.addWriter(a, () => {
      loop.removeWriter(a);
      loop.callLater(1, () => a.send('late'));
    });
    await runWithin(loop, done.promise);
    expect(log).toEqual(['late']);
  });
});

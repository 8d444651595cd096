// Helpers for the EventLoop tests: a selector that records the timeouts the loop asks for, a loop
// on a fake clock, and a bounded run.
import { expect } from 'vitest';
import type { FileLike } from '../../src/api/fileobj.js';
import { DefaultSelector, type SelectorKey, type SelectorMap } from '../../src/api/selectors/index.js';
import { EventLoop } from '../../src/loop/event-loop.js';
import type { LoopSelector } from '../../src/loop/selector.js';
import { keep } from '../helpers.js';

/** How long a loop in these tests may run before the test fails. */
export const LOOP_LIMIT_MS = 5000;

/**
 * A DefaultSelector that records each select() timeout (undefined: blocking), counts registers
 * and unregisters, and can run a hook when select() is called, i.e. at the moment the loop
 * starts waiting.
 */
export class RecordingSelector implements LoopSelector {
  readonly inner = new DefaultSelector();
  readonly timeouts: Array<number | null | undefined> = [];
  onSelect: ((timeout: number | null | undefined) => void) | undefined;
  /** register() and unregister() calls so far. */
  registers = 0;
  unregisters = 0;

  register(fileobj: FileLike, events: number, data?: unknown): SelectorKey {
    this.registers++;
    return this.inner.register(fileobj, events, data);
  }

  unregister(fileobj: FileLike): SelectorKey {
    this.unregisters++;
    return this.inner.unregister(fileobj);
  }

  modify(fileobj: FileLike, events: number, data?: unknown): SelectorKey {
    return this.inner.modify(fileobj, events, data);
  }

  select(timeoutMs?: number | null): Promise<Array<[SelectorKey, number]>> {
    this.timeouts.push(timeoutMs);
    this.onSelect?.(timeoutMs);
    return this.inner.select(timeoutMs);
  }

  getKey(fileobj: FileLike): SelectorKey {
    return this.inner.getKey(fileobj);
  }

  getMap(): SelectorMap | null {
    return this.inner.getMap();
  }

  close(): void {
    this.inner.close();
  }
}

/** A loop on a selector the test can inspect; both kept (closed by closeKept() after the test). */
export function newLoop(): { loop: EventLoop; selector: RecordingSelector } {
  const selector = keep(new RecordingSelector());
  const loop = keep(new EventLoop(selector));
  return { loop, selector };
}

/**
 * A selector for a loop on a fake clock: select(t) records t and reports what is ready now. If
 * nothing is, it moves the clock forward by `t` (or by `advance(t)` if set: a wait that ends
 * early), as a wait that times out would; a ready fd ends the wait at once, with no time passing.
 * A blocking select (no timeout) fails the test.
 */
export class FakeClockSelector extends RecordingSelector {
  now = 1000;
  advance: ((timeout: number) => number) | undefined;

  override async select(timeoutMs?: number | null): Promise<Array<[SelectorKey, number]>> {
    this.timeouts.push(timeoutMs);
    this.onSelect?.(timeoutMs);
    if (timeoutMs === undefined || timeoutMs === null) throw new Error('a fake-clock loop blocked');
    const ready = await this.inner.select(0);
    if (ready.length === 0) this.now += this.advance ? this.advance(timeoutMs) : timeoutMs;
    return ready;
  }
}

/** An EventLoop whose time() is the selector's fake clock. */
export class FakeClockLoop extends EventLoop {
  readonly clock: FakeClockSelector;

  constructor(selector = new FakeClockSelector()) {
    super(selector);
    this.clock = selector;
  }

  override time(): number {
    return this.clock.now;
  }

  /** Closes the fake-clock selector too (the loop leaves a selector passed in open). */
  override close(): void {
    super.close();
    this.clock.close();
  }
}

/**
 * Runs `body` with a guard that stops the loop (through its wakeup) after limitMs of real time;
 * the test then fails with `what` instead of hanging.
 */
async function guarded<T>(loop: EventLoop, limitMs: number, what: string, body: () => Promise<T>): Promise<T> {
  let timedOut = false;
  const guard = setTimeout(() => {
    timedOut = true;
    loop.stop();
  }, limitMs);
  try {
    return await body();
  } finally {
    clearTimeout(guard);
    expect(timedOut, what).toBe(false);
  }
}

/** runUntilComplete(promise), failing the test if it has not settled within LOOP_LIMIT_MS. */
export function runWithin<T>(loop: EventLoop, promise: Promise<T>, limitMs = LOOP_LIMIT_MS): Promise<T> {
  return guarded(loop, limitMs, `the loop ran for ${limitMs} ms without completing`, () => loop.runUntilComplete(promise));
}

/** run() until stop(), failing the test if the loop still runs after LOOP_LIMIT_MS. */
export function runBounded(loop: EventLoop, limitMs = LOOP_LIMIT_MS): Promise<void> {
  return guarded(loop, limitMs, `the loop was not stopped within ${limitMs} ms`, () => loop.run());
}

/** A promise and its resolve/reject. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// Watches the host timers that wasmux arms: every setTimeout call's delay, and which timers are
// still armed (neither fired nor cleared). The real timers still run; vitest's own timers are not
// seen (it keeps references to the originals).
import { vi } from 'vitest';

export interface TimerSpy {
  /** The delay of every setTimeout call since the spy began. */
  readonly delays: number[];
  /** How many of those timers are armed now. */
  live(): number;
  restore(): void;
}

/** The spy in place, if any: restoreTimerSpy() (a test file's afterEach) ends it even if the test failed. */
let current: TimerSpy | undefined;

export function spyOnTimers(): TimerSpy {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const armed = new Set<unknown>();
  const delays: number[] = [];
  const set = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    delays.push(ms ?? 0);
    const handle: unknown = realSet(() => {
      armed.delete(handle);
      fn(...args);
    }, ms);
    armed.add(handle);
    return handle;
  }) as unknown as typeof setTimeout);
  const clear = vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle: unknown) => {
    armed.delete(handle);
    realClear(handle as Parameters<typeof clearTimeout>[0]);
  }) as typeof clearTimeout);
  current = {
    delays,
    live: () => armed.size,
    restore: () => {
      set.mockRestore();
      clear.mockRestore();
    },
  };
  return current;
}

/** Restores the timers the spy in place (if any) replaced. */
export function restoreTimerSpy(): void {
  current?.restore();
  current = undefined;
}

/** Resolves after one real macrotask turn (the real setImmediate: never spied). */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A function that tells whether `promise` has settled yet. */
export function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  promise.then(() => {
    settled = true;
  }, () => {
    settled = true;
  });
  return () => settled;
}

/** True if `promise` has settled before a macrotask turn: what "at once" means for a promise. */
export async function settlesAtOnce(promise: Promise<unknown>): Promise<boolean> {
  const settled = settledFlag(promise);
  await turn();
  return settled();
}

// Helpers shared by the source and API tests.
import { afterEach, expect } from 'vitest';
import { PosixError } from '../src/errors.js';
import { defaultTable } from '../src/fd/table.js';
import { socketpair, type Socket } from '../src/sources/socket.js';

/** The current readiness level of a descriptor in the process's table. */
export const level = (d: { fileno(): number }): number => defaultTable.level(d.fileno());

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

export const text = (data: Uint8Array | null): string | null =>
  data === null ? null : new TextDecoder().decode(data);

/** The POSIX code `fn` throws (it must throw a PosixError if it throws), or undefined. */
export function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PosixError);
    return (error as PosixError).code;
  }
  return undefined;
}

/** A deterministic generator (xorshift32), so a failing transfer can be replayed. */
export function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/**
 * Every test closes what it opens: after each test the table must be empty (whatever is left is
 * closed, then the test fails), so fd numbers are predictable from one test to the next.
 */
export function expectTableEmptyAfterEach(): void {
  afterEach(() => {
    const open = defaultTable.inspect();
    for (const row of open) defaultTable.get(row.fd)?.close();
    expect(open).toEqual([]);
  });
}

/** What the running test keeps open (see keep); this module's state, one list per test file. */
const kept: Array<{ close(): void }> = [];

/** Keeps `thing` open until closeKept() (a test file's afterEach), even if the test fails. */
export function keep<T extends { close(): void }>(thing: T): T {
  kept.push(thing);
  return thing;
}

/** A socketpair (with its capacity, if given), both ends kept. */
export function pair(capacity?: number): [Socket, Socket] {
  const p = socketpair(capacity === undefined ? undefined : { capacity });
  kept.push(...p);
  return p;
}

/** Closes everything kept, the last kept first. */
export function closeKept(): void {
  for (const thing of kept.splice(0).reverse()) thing.close();
}

/** The error `promise` rejects with; it must reject. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await promise.then((value) => ({ value }), (error: unknown) => ({ error }));
  if ('value' in outcome) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

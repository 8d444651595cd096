import { PosixError } from '../errors.js';

/**
 * Validates a timeout in milliseconds for Epoll.poll/Poll.poll: a negative number (or Infinity)
 * blocks, 0 returns at once, a positive one waits at least that long. Returns ms or -1.
 */
export function toTimeout(timeoutMs: number | null | undefined): number {
  if (timeoutMs === undefined || timeoutMs === null) return -1;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs)) {
    throw new PosixError('EINVAL', `timeout must be a number of milliseconds, got ${String(timeoutMs)}`);
  }
  if (timeoutMs < 0 || timeoutMs === Infinity) return -1;
  return timeoutMs;
}

/**
 * The longest delay one host timer takes: 2^31 - 1 ms (about 24.8 days). Node (and Bun and Deno)
 * replace a longer delay by 1 ms, with a TimeoutOverflowWarning.
 */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * The delay to give one host timer on the way to a deadline `leftMs` away: rounded up to a whole
 * millisecond, at most MAX_TIMER_DELAY (a longer wait takes several steps), 0 if it has passed.
 */
export function timerStep(leftMs: number): number {
  if (!(leftMs > 0)) return 0;
  return leftMs >= MAX_TIMER_DELAY ? MAX_TIMER_DELAY : Math.ceil(leftMs);
}

const never = (): void => {};

/**
 * Calls `onExpire` once, when `performance.now() >= deadline` (a deadline on the monotonic
 * clock, in ms). Any deadline works: a far one is reached in steps of at most MAX_TIMER_DELAY,
 * so the process stays idle however long the wait; Infinity never expires (no timer is armed).
 * Host timers may fire up to a millisecond early, so each firing checks the clock and re-arms for
 * what is left: it never expires early. Returns a function that cancels (safe to call twice).
 */
export function armDeadlineAt(deadline: number, onExpire: () => void): () => void {
  if (deadline === Infinity) return never;
  let timer: ReturnType<typeof setTimeout>;
  const fire = (): void => {
    const left = deadline - performance.now();
    if (left > 0) timer = setTimeout(fire, timerStep(left));
    else onExpire();
  };
  timer = setTimeout(fire, timerStep(deadline - performance.now()));
  return () => clearTimeout(timer);
}

/**
 * Calls `onExpire` once `ms` milliseconds have passed on the monotonic clock (never earlier):
 * armDeadlineAt(performance.now() + ms). Any non-negative ms, however large; Infinity never
 * expires. Returns a function that cancels.
 */
export function armDeadline(ms: number, onExpire: () => void): () => void {
  return armDeadlineAt(performance.now() + ms, onExpire);
}

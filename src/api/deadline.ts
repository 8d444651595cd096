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
 * Calls `onExpire` once `ms` milliseconds have passed on the monotonic clock. Node's timers may
 * fire up to a millisecond early, so an early callback re-arms for the remainder: a wait never
 * returns before its timeout. Returns a function that cancels.
 */
export function armDeadline(ms: number, onExpire: () => void): () => void {
  const deadline = performance.now() + ms;
  let timer: NodeJS.Timeout;
  const fire = (): void => {
    const left = deadline - performance.now();
    if (left > 0) timer = setTimeout(fire, Math.ceil(left));
    else onExpire();
  };
  timer = setTimeout(fire, Math.ceil(ms));
  return () => clearTimeout(timer);
}

import { ValueError } from './errors.js';

/**
 * A selector's select() timeout in milliseconds, as the backends want it: -1 blocks (undefined,
 * null, Infinity), 0 polls (any timeout <= 0, Python's rule: negative does not block), and a
 * positive timeout rounds up to a whole millisecond, so the wait is at least as long as asked
 * (Python rounds seconds up to the next millisecond for the same reason).
 */
export function toSelectTimeout(timeoutMs: number | null | undefined): number {
  if (timeoutMs === undefined || timeoutMs === null) return -1;
  if (typeof timeoutMs !== 'number') throw new TypeError(`timeout must be a number of milliseconds, got ${typeof timeoutMs}`);
  if (Number.isNaN(timeoutMs)) throw new ValueError('timeout must be a number of milliseconds, got NaN');
  if (timeoutMs <= 0) return 0;
  if (timeoutMs === Infinity) return -1;
  return Math.ceil(timeoutMs);
}

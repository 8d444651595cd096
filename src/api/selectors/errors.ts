// The exceptions Python's selectors raise, as Errors whose `name` says which one, so callers can
// tell them apart with `error.name === 'KeyError'` or `instanceof KeyError`; and the argument
// rules that raise them: events, file objects, timeouts.
import type { FileLike } from '../fileobj.js';
import { EVENT_READ, EVENT_WRITE } from './keys.js';

/** A bad argument: an invalid file object or descriptor, invalid events, an fd select() cannot take. */
export class ValueError extends Error {
  override readonly name = 'ValueError';
}

/** A file object that is already registered (register) or is not (unregister, modify, getKey). */
export class KeyError extends Error {
  override readonly name = 'KeyError';
}

/** An operation on a closed selector ('Selector is closed'). */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
}

/** Throws ValueError unless `events` is EVENT_READ, EVENT_WRITE or both (0 is invalid too). */
export function checkEvents(events: number): void {
  if (events !== EVENT_READ && events !== EVENT_WRITE && events !== (EVENT_READ | EVENT_WRITE)) {
    throw new ValueError(`Invalid events: ${String(events)}`);
  }
}

/**
 * The descriptor number of a selector's file object: a number is the fd itself, anything else
 * must have a fileno() that returns an integer. Like Python's `_fileobj_to_fd`, a bad object is
 * ValueError('Invalid file object') and a negative fd (a closed socket's fileno() is -1) is
 * ValueError('Invalid file descriptor'). An exception thrown by fileno() itself propagates.
 * (The primitives' rule, `toFd`, answers PosixErrors instead: EINVAL and EBADF.)
 */
export function fileobjToFd(fileobj: FileLike): number {
  let fd: unknown;
  if (typeof fileobj === 'number') {
    fd = fileobj;
  } else {
    const fileno = (fileobj as { fileno?: unknown } | null | undefined)?.fileno;
    if (typeof fileno !== 'function') throw new ValueError(`Invalid file object: ${describe(fileobj)}`);
    fd = fileno.call(fileobj);
  }
  if (typeof fd !== 'number' || !Number.isSafeInteger(fd)) {
    throw new ValueError(`Invalid file object: ${describe(fileobj)}`);
  }
  if (fd < 0) throw new ValueError(`Invalid file descriptor: ${fd}`);
  return fd;
}

/** A short description of a file object for error messages (Python would use its repr). */
export function describe(fileobj: unknown): string {
  if (typeof fileobj === 'number') return String(fileobj);
  if (fileobj === null || fileobj === undefined) return String(fileobj);
  if (typeof fileobj === 'object' || typeof fileobj === 'function') {
    const name = (fileobj as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `<${name}>` : '<object>';
  }
  return `${typeof fileobj} ${String(fileobj)}`;
}

/**
 * A selector's select() timeout in milliseconds, as the backends want it: -1 blocks (undefined,
 * null, Infinity), 0 polls (any timeout <= 0, Python's rule: negative does not block), and a
 * positive timeout rounds up to a whole millisecond, so the wait is at least as long as asked
 * (Python rounds seconds up to the next millisecond for the same reason). Unlike the primitives'
 * `toTimeout`, where a negative timeout blocks.
 */
export function toSelectTimeout(timeoutMs: number | null | undefined): number {
  if (timeoutMs === undefined || timeoutMs === null) return -1;
  if (typeof timeoutMs !== 'number') throw new TypeError(`timeout must be a number of milliseconds, got ${typeof timeoutMs}`);
  if (Number.isNaN(timeoutMs)) throw new ValueError('timeout must be a number of milliseconds, got NaN');
  if (timeoutMs <= 0) return 0;
  if (timeoutMs === Infinity) return -1;
  return Math.ceil(timeoutMs);
}

import type { FileLike } from '../fileobj.js';
import { ValueError } from './errors.js';

/**
 * The descriptor number of a selector's file object: a number is the fd itself, anything else
 * must have a fileno() that returns an integer. Like Python's `_fileobj_to_fd`, a bad object is
 * ValueError('Invalid file object') and a negative fd (a closed socket's fileno() is -1) is
 * ValueError('Invalid file descriptor'). An exception thrown by fileno() itself propagates.
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

import { PosixError } from '../errors.js';

/** What the APIs accept where a descriptor is expected: a number, or an object with fileno(). */
export type FileLike = number | { fileno(): number };

/** The number `file` stands for, unvalidated: itself, or its fileno() (NaN without one). */
export function rawFd(file: FileLike): number {
  return typeof file === 'number' ? file : typeof file?.fileno === 'function' ? file.fileno() : NaN;
}

/** The descriptor number of `file`, validated as poll(2)/epoll_ctl(2) would see it. */
export function toFd(file: FileLike): number {
  const fd = rawFd(file);
  if (!Number.isInteger(fd)) throw new PosixError('EINVAL', `not a file descriptor: ${String(file)}`);
  if (fd < 0) throw new PosixError('EBADF', `invalid file descriptor: ${fd}`);
  return fd;
}

/** A mask given as int32 or uint32 (EPOLLIN | EPOLLET is negative in JavaScript), as uint32. */
export function toMask(mask: number, what = 'event mask'): number {
  if (!Number.isInteger(mask) || mask < -0x80000000 || mask > 0xffffffff) {
    throw new PosixError('EINVAL', `${what} must be a 32-bit integer, got ${String(mask)}`);
  }
  return mask >>> 0;
}

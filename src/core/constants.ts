/**
 * Numbers shared by the core's ABI and the TypeScript layers: Linux's event bits, epoll_ctl
 * operations and errno values. The core (assembly/constants.ts) uses the same values.
 */

// Event bits (epoll(7) and poll(2) share them on Linux).
export const EPOLLIN = 0x1;
export const EPOLLPRI = 0x2;
export const EPOLLOUT = 0x4;
export const EPOLLERR = 0x8;
export const EPOLLHUP = 0x10;
export const EPOLLNVAL = 0x20;
export const EPOLLRDNORM = 0x40;
export const EPOLLRDBAND = 0x80;
export const EPOLLWRNORM = 0x100;
export const EPOLLWRBAND = 0x200;
export const EPOLLMSG = 0x400;
export const EPOLLRDHUP = 0x2000;
// Input-only flags: accepted by ctl, never reported.
export const EPOLLEXCLUSIVE = 1 << 28;
export const EPOLLWAKEUP = 1 << 29;
export const EPOLLONESHOT = 1 << 30;
/** `1 << 31`, written as an unsigned number; `| 0` of it is negative and accepted too. */
export const EPOLLET = 0x80000000;

export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLRDNORM = 0x40;
export const POLLRDBAND = 0x80;
export const POLLWRNORM = 0x100;
export const POLLWRBAND = 0x200;
export const POLLMSG = 0x400;
export const POLLRDHUP = 0x2000;

export const FD_SETSIZE = 1024;

/** The bits a level (a source's readiness) may hold: 0x1 .. 0x2000. */
export const LEVEL_BITS = 0x3fff;
/** The bits ctl keeps from a caller's mask: the level bits and the four input flags. */
export const EVENT_BITS = (LEVEL_BITS | EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET) >>> 0;

// epoll_ctl operations.
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;

/** Linux errno numbers, the ones the core and the glue return or throw. */
export const errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EEXIST: 17,
  EINVAL: 22,
  EMFILE: 24,
  ENOSPC: 28,
  EPIPE: 32,
  ELOOP: 40,
  ENOTSOCK: 88,
  // The socket errors that node:net reports (TCP sources), Linux's numbers.
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
} as const;

export type ErrnoCode = keyof typeof errno;

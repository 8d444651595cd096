// The exported ABI of build/core.wasm. docs/core-abi.md documents every function; each one
// validates its arguments and returns a negative errno rather than trapping.
import {
  EBADF, EEXIST, EINVAL, EMFILE, ENOMEM, ERR, HUP, LEVEL_BITS, MAX_FD, NVAL, SELECT_EXCEPT,
  SELECT_READ, SELECT_WRITE,
} from './constants';
import { descCap, initRegions, reserveDescs, reserveScratch, scratchPtr } from './regions';
import { IS_EPOLL, OPEN, descMeta, setDescLevel, setDescMeta, setDescWatchers } from './records';
import {
  instOf, isEpoll, isOpen, levelOf, notifyCount, recordsInUse, takeNotified as take, wakeInline,
} from './readiness';
import {
  createInstance, ctl, destroyInstance, dropWatchers, wait, writeInterest, writeReady,
} from './epoll';
import { setWaiters } from './records';

/** AssemblyScript's abort, redirected here (asconfig "use"): the core imports nothing. */
function trap(message: string | null, fileName: string | null, line: u32, column: u32): void {
  unreachable();
}

if (!initRegions()) unreachable();

/** True when fd names an open descriptor (range-checked first: unknown numbers are closed). */
@inline function known(fd: i32): bool {
  return fd >= 0 && <usize>fd < descCap && isOpen(fd);
}

function openAt(fd: i32, epoll: bool): i32 {
  if (fd < 0) return -EINVAL;
  if (fd >= MAX_FD) return -EMFILE;
  if (!reserveDescs(<usize>fd)) return -ENOMEM;
  if (isOpen(fd)) return -EEXIST;
  let level: u32 = 0;
  if (epoll) {
    const e = createInstance(fd);
    if (e == 0) return -ENOMEM;
    level = <u32>e;
  }
  setDescLevel(fd, level);
  setDescWatchers(fd, 0);
  const generation = (descMeta(fd) >> 2) + 1;
  setDescMeta(fd, (generation << 2) | OPEN | (epoll ? IS_EPOLL : 0));
  return 0;
}

export function fd_open(fd: i32): i32 {
  return openAt(fd, false);
}

export function ep_create(fd: i32): i32 {
  return openAt(fd, true);
}

export function fd_close(fd: i32): i32 {
  if (!known(fd)) return -EBADF;
  dropWatchers(fd);
  if (isEpoll(fd)) destroyInstance(instOf(fd));
  setDescLevel(fd, 0);
  setDescMeta(fd, descMeta(fd) & ~(OPEN | IS_EPOLL));
  return 0;
}

export function fd_set(fd: i32, level: u32, edge: u32): i32 {
  if (!known(fd)) return -EBADF;
  if (isEpoll(fd)) return -EINVAL;
  setDescLevel(fd, level & LEVEL_BITS);
  if (edge != 0) wakeInline(fd, edge);
  return notifyCount;
}

export function fd_level(fd: i32): i32 {
  if (!known(fd)) return -EBADF;
  return <i32>levelOf(fd);
}

export function fd_gen(fd: i32): i32 {
  if (!known(fd)) return -EBADF;
  return <i32>(descMeta(fd) >> 2);
}

/** Resolves an epoll fd to its instance, or a negative errno. */
function instance(epfd: i32): i32 {
  if (!known(epfd)) return -EBADF;
  if (!isEpoll(epfd)) return -EINVAL;
  return instOf(epfd);
}

export function ep_ctl(epfd: i32, op: i32, fd: i32, events: u32): i32 {
  if (!known(epfd) || !known(fd)) return -EBADF;
  return ctl(epfd, op, fd, events);
}

export function ep_wait(epfd: i32, maxevents: i32): i32 {
  // Linux's do_epoll_wait checks maxevents before it looks the fd up.
  if (maxevents <= 0) return -EINVAL;
  const e = instance(epfd);
  if (e < 0) return e;
  return wait(e, maxevents);
}

export function ep_waiters(epfd: i32, n: i32): i32 {
  const e = instance(epfd);
  if (e < 0) return e;
  if (n < 0) return -EINVAL;
  setWaiters(e, n);
  return 0;
}

export function take_notified(): i32 {
  if (!reserveScratch(<usize>notifyCount << 2)) return -ENOMEM;
  return take(scratchPtr);
}

export function ep_interest(epfd: i32): i32 {
  const e = instance(epfd);
  return e < 0 ? e : writeInterest(e);
}

export function ep_ready(epfd: i32): i32 {
  const e = instance(epfd);
  return e < 0 ? e : writeReady(e);
}

/** poll(2) over n struct pollfd { i32 fd; i16 events; i16 revents } records at the scratch area. */
export function scan_poll(n: i32): i32 {
  if (n < 0 || !reserveScratch(<usize>n << 3)) return -EINVAL;
  let ready = 0;
  for (let k = 0; k < n; k++) {
    const p = scratchPtr + (<usize>k << 3);
    const fd = load<i32>(p, 0);
    let revents: u32 = 0;
    if (fd >= 0) {
      revents = known(fd) ? levelOf(fd) & ((<u32>load<u16>(p, 4)) | ERR | HUP) : NVAL;
    }
    store<u16>(p, <u16>revents, 6);
    if (revents != 0) ready++;
  }
  return ready;
}

/** select(2) over nr + nw + nx fds at the scratch area; each slot becomes 1 (ready) or 0. */
export function scan_select(nr: i32, nw: i32, nx: i32): i32 {
  if (nr < 0 || nw < 0 || nx < 0) return -EINVAL;
  const total = nr + nw + nx;
  if (!reserveScratch(<usize>total << 2)) return -EINVAL;
  for (let k = 0; k < total; k++) {
    if (!known(load<i32>(scratchPtr + (<usize>k << 2)))) return -EBADF;
  }
  let ready = 0;
  for (let k = 0; k < total; k++) {
    const p = scratchPtr + (<usize>k << 2);
    const set = k < nr ? SELECT_READ : k < nr + nw ? SELECT_WRITE : SELECT_EXCEPT;
    const hit = (levelOf(load<i32>(p)) & set) != 0 ? 1 : 0;
    store<i32>(p, hit);
    ready += hit;
  }
  return ready;
}

export function scratch_reserve(bytes: i32): i32 {
  if (bytes < 0) return -EINVAL;
  return reserveScratch(<usize>bytes) ? <i32>scratchPtr : -ENOMEM;
}

export function scratch_ptr(): i32 {
  return <i32>scratchPtr;
}

/** Slab records in use (registrations plus one header per instance), for memory accounting. */
export function records_in_use(): i32 {
  return recordsInUse;
}

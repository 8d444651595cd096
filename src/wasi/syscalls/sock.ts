import {
  EAGAIN, EINVAL, ENOTCONN, ENOTSOCK, EPIPE, SUCCESS, WasiErrno,
} from '../errno.js';
import type { SocketFd } from '../fd-table.js';
import type { GuestContext } from '../guest-context.js';
import {
  F_RX_DONE, F_TX_DONE, S_ERROR, S_FLAGS, S_PENDING, S_RX_WANT, S_TX_WANT,
} from '../shared-state.js';
import {
  FDFLAGS_NONBLOCK, R_FD_FDSTAT_SET_FLAGS, R_FD_FILESTAT_GET, R_FD_READ, R_FD_WRITE, R_POLL_FD_READWRITE, R_SOCK_ACCEPT,
  R_SOCK_SHUTDOWN,
} from './fdstat.js';

/** riflags */
export const RECV_PEEK = 1;
export const RECV_WAITALL = 2;
/** sdflags */
const SHUT_RD = 1;
const SHUT_WR = 2;

/** The socket behind fd, or EBADF (nothing) / ENOTSOCK (another kind). */
function socketFor(ctx: GuestContext, fd: number): SocketFd {
  const entry = ctx.fds.get(fd);
  if (entry.kind !== 'socket') throw new WasiErrno(ENOTSOCK);
  return entry;
}

/** Whether an fd's calls return EAGAIN rather than wait. */
export const isNonblock = (entry: { fdflags: number }): boolean => (entry.fdflags & FDFLAGS_NONBLOCK) !== 0;

/** Takes a pending SO_ERROR (0 if none). */
function takeError(ctx: GuestContext, slot: number): number {
  return Atomics.exchange(ctx.state.i32, ctx.state.word(slot, S_ERROR), 0);
}

/**
 * recv on a connected socket into `bufs`: the byte count (0 at EOF). Blocks (unless NONBLOCK)
 * until a byte, EOF or an error is there; WAITALL until every buffer is full, EOF or an error.
 * PEEK copies without consuming. Bytes come straight from the RX ring: no thread crossing,
 * except an 'rx' message when the main thread stopped reading because the ring was full.
 */
export function recvStream(ctx: GuestContext, socket: SocketFd, bufs: Uint8Array[], flags: number): number {
  if (socket.listener) throw new WasiErrno(ENOTCONN);
  const { state } = ctx;
  const slot = socket.slot;
  const total = bufs.reduce((sum, b) => sum + b.length, 0);
  const peek = (flags & RECV_PEEK) !== 0;
  const waitall = (flags & RECV_WAITALL) !== 0;
  let got = 0;
  if (total === 0) return 0;
  for (;;) {
    const seen = ctx.wakeCount();
    const used = state.used(slot, false);
    // PEEK with WAITALL consumes nothing, so it waits until all `total` bytes are there at once
    // (or EOF or an error ends the wait), as recv(2) with MSG_PEEK | MSG_WAITALL does; a request
    // larger than the ring could never be met, so it gets what there is.
    const peekMore = peek && waitall && used < total && total <= state.ringBytes && !isNonblock(socket)
      && (state.load(slot, S_FLAGS) & F_RX_DONE) === 0 && state.load(slot, S_ERROR) === 0;
    if (used > 0 && !peekMore) {
      const copied = Math.min(used, total - got);
      scatter(state.usedViews(slot, false), bufs, got, copied);
      if (peek) return copied;
      state.discard(slot, false, copied);
      got += copied;
      if (Atomics.exchange(state.i32, state.word(slot, S_RX_WANT), 0) === 1) ctx.post({ op: 'rx', slot });
      if (!waitall || got === total) return got;
      continue;
    }
    const done = (state.load(slot, S_FLAGS) & F_RX_DONE) !== 0;
    if (done && state.used(slot, false) > 0) continue; // bytes came in just before the EOF mark
    if (state.load(slot, S_ERROR) !== 0) {
      if (got > 0) return got;
      throw new WasiErrno(takeError(ctx, slot));
    }
    if (done) return got;
    if (isNonblock(socket)) {
      if (got > 0) return got;
      throw new WasiErrno(EAGAIN);
    }
    ctx.sleep(seen);
  }
}

/** Copies the first n bytes of `from` into `bufs`, starting at byte `at` of their concatenation. */
function scatter(from: Uint8Array[], bufs: Uint8Array[], at: number, n: number): void {
  let fi = 0;
  let fo = 0;
  for (const buf of bufs) {
    if (n === 0) return;
    if (at >= buf.length) {
      at -= buf.length;
      continue;
    }
    while (at < buf.length && n > 0) {
      const src = from[fi]!;
      const k = Math.min(buf.length - at, src.length - fo, n);
      buf.set(src.subarray(fo, fo + k), at);
      at += k;
      fo += k;
      n -= k;
      if (fo === src.length) {
        fi++;
        fo = 0;
      }
    }
    at = 0;
  }
}

/**
 * send on a connected socket: copies `bufs` into the TX ring, posting a 'tx' message only when
 * the main thread is idle waiting for one. NONBLOCK: what fits (EAGAIN if nothing); blocking:
 * everything, sleeping while the ring is full.
 */
export function sendStream(ctx: GuestContext, socket: SocketFd, bufs: Uint8Array[]): number {
  if (socket.listener) throw new WasiErrno(ENOTCONN);
  const { state } = ctx;
  const slot = socket.slot;
  const total = bufs.reduce((sum, b) => sum + b.length, 0);
  let sent = 0;
  let index = 0;
  let offset = 0;
  for (;;) {
    const seen = ctx.wakeCount();
    if (state.load(slot, S_ERROR) !== 0) {
      if (sent > 0) return sent;
      throw new WasiErrno(takeError(ctx, slot));
    }
    if ((state.load(slot, S_FLAGS) & F_TX_DONE) !== 0) {
      if (sent > 0) return sent;
      throw new WasiErrno(EPIPE);
    }
    if (sent === total) return sent;
    let moved = 0;
    while (index < bufs.length) {
      const buf = bufs[index]!;
      const n = state.produce(slot, true, buf.subarray(offset));
      moved += n;
      offset += n;
      if (offset < buf.length) break; // the ring is full
      index++;
      offset = 0;
    }
    if (moved > 0) {
      sent += moved;
      if (Atomics.exchange(state.i32, state.word(slot, S_TX_WANT), 0) === 1) ctx.post({ op: 'tx', slot });
      if (sent === total) return sent;
    }
    if (isNonblock(socket)) {
      if (sent > 0) return sent;
      throw new WasiErrno(EAGAIN);
    }
    if (moved === 0) ctx.sleep(seen);
  }
}

/** What a connected socket may do. */
const STREAM_RIGHTS = R_FD_READ | R_FD_WRITE | R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE | R_SOCK_SHUTDOWN;
/** What a listener may do; its inheriting rights are those of the sockets it accepts. */
const LISTENER_RIGHTS = R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE | R_SOCK_ACCEPT;

/** The fd entry of listener `slot` (fds 3.., made at start). */
export function listenerSocket(slot: number): SocketFd {
  return { kind: 'socket', slot, listener: true, fdflags: 0, rightsBase: LISTENER_RIGHTS, rightsInheriting: STREAM_RIGHTS };
}

function streamSocket(slot: number, fdflags: number): SocketFd {
  return { kind: 'socket', slot, listener: false, fdflags, rightsBase: STREAM_RIGHTS, rightsInheriting: 0n };
}

export function sockAccept(ctx: GuestContext, fd: number, flags: number, roFd: number): number {
  ctx.memory.check(roFd, 4);
  const listener = socketFor(ctx, fd);
  if (!listener.listener) throw new WasiErrno(EINVAL);
  if ((flags & ~FDFLAGS_NONBLOCK) !== 0) throw new WasiErrno(EINVAL);
  const { state } = ctx;
  for (;;) {
    const seen = ctx.wakeCount();
    if (state.load(listener.slot, S_PENDING) > 0) {
      const slot = ctx.request({ op: 'accept', slot: listener.slot });
      if (slot >= 0) {
        ctx.memory.setU32(roFd, ctx.fds.allocate(streamSocket(slot, flags)));
        return SUCCESS;
      }
      if (slot !== -EAGAIN) throw new WasiErrno(-slot);
      continue;
    }
    if (isNonblock(listener)) throw new WasiErrno(EAGAIN);
    ctx.sleep(seen);
  }
}

export function sockRecv(
  ctx: GuestContext, fd: number, iovs: number, iovsLen: number, riFlags: number, roDatalen: number, roFlags: number,
): number {
  const bufs = ctx.memory.iovecs(iovs, iovsLen);
  ctx.memory.check(roDatalen, 4);
  ctx.memory.check(roFlags, 2);
  const socket = socketFor(ctx, fd);
  if ((riFlags & ~(RECV_PEEK | RECV_WAITALL)) !== 0) throw new WasiErrno(EINVAL);
  const n = recvStream(ctx, socket, bufs, riFlags);
  ctx.memory.setU32(roDatalen, n);
  ctx.memory.setU16(roFlags, 0); // RECV_DATA_TRUNCATED is for datagrams: a stream never truncates
  return SUCCESS;
}

export function sockSend(ctx: GuestContext, fd: number, iovs: number, iovsLen: number, siFlags: number, soDatalen: number): number {
  const bufs = ctx.memory.iovecs(iovs, iovsLen);
  ctx.memory.check(soDatalen, 4);
  const socket = socketFor(ctx, fd);
  if (siFlags !== 0) throw new WasiErrno(EINVAL); // siflags defines no flags
  ctx.memory.setU32(soDatalen, sendStream(ctx, socket, bufs));
  return SUCCESS;
}

export function sockShutdown(ctx: GuestContext, fd: number, how: number): number {
  const socket = socketFor(ctx, fd);
  if (how !== SHUT_RD && how !== SHUT_WR && how !== (SHUT_RD | SHUT_WR)) throw new WasiErrno(EINVAL);
  if (socket.listener) throw new WasiErrno(ENOTCONN);
  const result = ctx.request({ op: 'shutdown', slot: socket.slot, how });
  if (result < 0) throw new WasiErrno(-result);
  return SUCCESS;
}

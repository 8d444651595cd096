import { EBADF, EINVAL, ENOTDIR, ESPIPE, SUCCESS, WasiErrno } from '../errno.js';
import type { GuestContext } from '../guest-context.js';
import { FDFLAGS_NONBLOCK, recvStream, sendStream } from './sock.js';

/** filetype SOCKET_STREAM */
export const FILETYPE_SOCKET_STREAM = 6;

/** Rights bits (wasi_snapshot_preview1 `rights`). */
const R_FD_READ = 1n << 1n;
const R_FD_FDSTAT_SET_FLAGS = 1n << 3n;
const R_FD_WRITE = 1n << 6n;
const R_FD_FILESTAT_GET = 1n << 21n;
const R_POLL_FD_READWRITE = 1n << 27n;
const R_SOCK_SHUTDOWN = 1n << 28n;
const R_SOCK_ACCEPT = 1n << 29n;
/** What a connected socket may do. */
export const STREAM_RIGHTS = R_FD_READ | R_FD_WRITE | R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE | R_SOCK_SHUTDOWN;
/** What a listener may do; its inheriting rights are those of the sockets it accepts. */
export const LISTENER_RIGHTS = R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE | R_SOCK_ACCEPT;

export function fdRead(ctx: GuestContext, fd: number, iovs: number, iovsLen: number, nread: number): number {
  // Fd 0 goes through its ring once poll_oneoff has started mirroring it (see SocketHost).
  const socket = ctx.socket(fd) ?? (fd === 0 ? ctx.stdinIfMirrored() : undefined);
  if (socket === undefined) return ctx.raw['fd_read']!(fd as never, iovs as never, iovsLen as never, nread as never);
  const bufs = ctx.memory.iovecs(iovs, iovsLen);
  ctx.memory.check(nread, 4);
  ctx.memory.setU32(nread, recvStream(ctx, socket, bufs, 0));
  return SUCCESS;
}

export function fdWrite(ctx: GuestContext, fd: number, iovs: number, iovsLen: number, nwritten: number): number {
  const socket = ctx.socket(fd);
  if (socket === undefined) return ctx.raw['fd_write']!(fd as never, iovs as never, iovsLen as never, nwritten as never);
  const bufs = ctx.memory.iovecs(iovs, iovsLen);
  ctx.memory.check(nwritten, 4);
  ctx.memory.setU32(nwritten, sendStream(ctx, socket, bufs));
  return SUCCESS;
}

/** Closes our socket (the main thread finishes sending what the guest wrote) and frees the number. */
function closeSocket(ctx: GuestContext, fd: number): void {
  const socket = ctx.sockets.get(fd);
  if (socket === undefined) return;
  ctx.sockets.delete(fd);
  ctx.request({ op: 'close', slot: socket.slot });
}

export function fdClose(ctx: GuestContext, fd: number): number {
  if (ctx.socket(fd) === undefined) return ctx.raw['fd_close']!(fd as never);
  closeSocket(ctx, fd >>> 0);
  return ctx.raw['fd_close']!(fd as never); // the reserved number (see reserveFd)
}

export function fdFdstatGet(ctx: GuestContext, fd: number, buf: number): number {
  const socket = ctx.socket(fd);
  if (socket === undefined) return ctx.raw['fd_fdstat_get']!(fd as never, buf as never);
  ctx.memory.check(buf, 24);
  ctx.memory.bytes(buf, 24).fill(0);
  ctx.memory.setU8(buf, FILETYPE_SOCKET_STREAM);
  ctx.memory.setU16(buf + 2, socket.nonblock ? FDFLAGS_NONBLOCK : 0);
  ctx.memory.setU64(buf + 8, socket.listener ? LISTENER_RIGHTS : STREAM_RIGHTS);
  ctx.memory.setU64(buf + 16, socket.listener ? STREAM_RIGHTS : 0n);
  return SUCCESS;
}

export function fdFdstatSetFlags(ctx: GuestContext, fd: number, flags: number): number {
  const socket = ctx.socket(fd);
  if (socket === undefined) return ctx.raw['fd_fdstat_set_flags']!(fd as never, flags as never);
  if ((flags & ~FDFLAGS_NONBLOCK) !== 0) throw new WasiErrno(EINVAL); // APPEND, DSYNC, RSYNC, SYNC: files only
  socket.nonblock = (flags & FDFLAGS_NONBLOCK) !== 0;
  return SUCCESS;
}

export function fdFilestatGet(ctx: GuestContext, fd: number, buf: number): number {
  if (ctx.socket(fd) === undefined) return ctx.raw['fd_filestat_get']!(fd as never, buf as never);
  ctx.memory.bytes(buf, 64).fill(0);
  ctx.memory.setU8(buf + 16, FILETYPE_SOCKET_STREAM);
  ctx.memory.setU64(buf + 24, 1n); // nlink
  return SUCCESS;
}

/** fd_renumber: node:wasi moves the number (our sockets' numbers are reserved there too), then we move the socket. */
export function fdRenumber(ctx: GuestContext, from: number, to: number): number {
  from >>>= 0;
  to >>>= 0;
  if (ctx.socket(from) === undefined && ctx.socket(to) === undefined) return ctx.raw['fd_renumber']!(from as never, to as never);
  const errno = ctx.raw['fd_renumber']!(from as never, to as never);
  if (errno !== SUCCESS || from === to) return errno;
  closeSocket(ctx, to);
  const socket = ctx.sockets.get(from);
  ctx.sockets.delete(from);
  if (socket !== undefined) ctx.sockets.set(to, socket);
  return SUCCESS;
}

/**
 * What the other fd-taking calls return on a socket fd, and which argument positions hold fds
 * (path_link and path_rename take two, path_symlink's is third). Calls on node:wasi's fds pass
 * through untouched.
 */
export const SOCKET_REFUSALS: Record<string, { errno: number; fdArgs: number[] }> = {
  fd_advise: { errno: ESPIPE, fdArgs: [0] },
  fd_allocate: { errno: ESPIPE, fdArgs: [0] },
  fd_datasync: { errno: EINVAL, fdArgs: [0] },
  fd_sync: { errno: EINVAL, fdArgs: [0] },
  fd_seek: { errno: ESPIPE, fdArgs: [0] },
  fd_tell: { errno: ESPIPE, fdArgs: [0] },
  fd_pread: { errno: ESPIPE, fdArgs: [0] },
  fd_pwrite: { errno: ESPIPE, fdArgs: [0] },
  fd_readdir: { errno: ENOTDIR, fdArgs: [0] },
  fd_filestat_set_size: { errno: EINVAL, fdArgs: [0] },
  fd_filestat_set_times: { errno: EINVAL, fdArgs: [0] },
  fd_fdstat_set_rights: { errno: EINVAL, fdArgs: [0] },
  // A socket is not a preopen: EBADF, which also ends wasi-libc's preopen scan (docs/wasi.md).
  fd_prestat_get: { errno: EBADF, fdArgs: [0] },
  fd_prestat_dir_name: { errno: EBADF, fdArgs: [0] },
  path_create_directory: { errno: ENOTDIR, fdArgs: [0] },
  path_filestat_get: { errno: ENOTDIR, fdArgs: [0] },
  path_filestat_set_times: { errno: ENOTDIR, fdArgs: [0] },
  path_link: { errno: ENOTDIR, fdArgs: [0, 4] },
  path_open: { errno: ENOTDIR, fdArgs: [0] },
  path_readlink: { errno: ENOTDIR, fdArgs: [0] },
  path_remove_directory: { errno: ENOTDIR, fdArgs: [0] },
  path_rename: { errno: ENOTDIR, fdArgs: [0, 3] },
  path_symlink: { errno: ENOTDIR, fdArgs: [2] },
  path_unlink_file: { errno: ENOTDIR, fdArgs: [0] },
};

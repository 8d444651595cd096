import { EBADF, EINVAL, ENOTDIR, ENOTSUP, ESPIPE, SUCCESS, WasiErrno } from '../errno.js';
import { nodeFdOpen, type GuestContext, type SocketFd, type StdioFd } from '../guest-context.js';
import {
  R_FD_FDSTAT_SET_FLAGS, R_FD_FILESTAT_GET, R_FD_READ, R_FD_WRITE, R_POLL_FD_READWRITE, R_SOCK_ACCEPT, R_SOCK_SHUTDOWN,
  nonblockFromFlags, writeFdstat, writeFilestat,
} from './fdstat.js';
import { recvStream, sendStream } from './sock.js';
import {
  stdioClose, stdioFdstatGet, stdioFdstatSetFlags, stdioFilestatGet, stdioRead, stdioWrite,
} from './stdio.js';

/** filetype SOCKET_STREAM */
export const FILETYPE_SOCKET_STREAM = 6;

/** What a connected socket may do. */
export const STREAM_RIGHTS = R_FD_READ | R_FD_WRITE | R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE | R_SOCK_SHUTDOWN;
/** What a listener may do; its inheriting rights are those of the sockets it accepts. */
export const LISTENER_RIGHTS = R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE | R_SOCK_ACCEPT;

/** What fd_read or fd_write does on one of our sockets and on one of our stdio fds. */
interface StreamCall {
  /** node:wasi's call, for its own fds. */
  raw: 'fd_read' | 'fd_write';
  socket(ctx: GuestContext, socket: SocketFd, bufs: Uint8Array[]): number;
  stdio(ctx: GuestContext, entry: StdioFd, bufs: Uint8Array[]): number;
}

const READ: StreamCall = { raw: 'fd_read', socket: (ctx, socket, bufs) => recvStream(ctx, socket, bufs, 0), stdio: stdioRead };
const WRITE: StreamCall = { raw: 'fd_write', socket: sendStream, stdio: stdioWrite };

/** fd_read/fd_write: the bytes moved are stored at `nDone`; node:wasi's fds pass through. */
function streamCall(ctx: GuestContext, call: StreamCall, fd: number, iovs: number, iovsLen: number, nDone: number): number {
  const socket = ctx.socket(fd);
  const stdio = ctx.stdioFd(fd);
  if (socket === undefined && stdio === undefined) {
    return ctx.raw[call.raw]!(fd as never, iovs as never, iovsLen as never, nDone as never);
  }
  const bufs = ctx.memory.iovecs(iovs, iovsLen);
  ctx.memory.check(nDone, 4);
  ctx.memory.setU32(nDone, socket !== undefined ? call.socket(ctx, socket, bufs) : call.stdio(ctx, stdio!, bufs));
  return SUCCESS;
}

export function fdRead(ctx: GuestContext, fd: number, iovs: number, iovsLen: number, nread: number): number {
  return streamCall(ctx, READ, fd, iovs, iovsLen, nread);
}

export function fdWrite(ctx: GuestContext, fd: number, iovs: number, iovsLen: number, nwritten: number): number {
  return streamCall(ctx, WRITE, fd, iovs, iovsLen, nwritten);
}

/** Closes our socket (the main thread finishes sending what the guest wrote) and frees the number. */
function closeSocket(ctx: GuestContext, fd: number): void {
  const socket = ctx.sockets.get(fd);
  if (socket === undefined) return;
  ctx.sockets.delete(fd);
  ctx.request({ op: 'close', slot: socket.slot });
}

export function fdClose(ctx: GuestContext, fd: number): number {
  const stdio = ctx.stdioFd(fd);
  if (stdio !== undefined) return stdioClose(ctx, stdio);
  if (ctx.socket(fd) === undefined) return ctx.raw['fd_close']!(fd as never);
  closeSocket(ctx, fd >>> 0);
  return ctx.raw['fd_close']!(fd as never); // the reserved number (see reserveFd)
}

export function fdFdstatGet(ctx: GuestContext, fd: number, buf: number): number {
  const stdio = ctx.stdioFd(fd);
  if (stdio !== undefined) return stdioFdstatGet(ctx, stdio, buf);
  const socket = ctx.socket(fd);
  if (socket === undefined) return ctx.raw['fd_fdstat_get']!(fd as never, buf as never);
  writeFdstat(
    ctx, buf, FILETYPE_SOCKET_STREAM, socket.nonblock,
    socket.listener ? LISTENER_RIGHTS : STREAM_RIGHTS, socket.listener ? STREAM_RIGHTS : 0n,
  );
  return SUCCESS;
}

export function fdFdstatSetFlags(ctx: GuestContext, fd: number, flags: number): number {
  const stdio = ctx.stdioFd(fd);
  if (stdio !== undefined) return stdioFdstatSetFlags(stdio, flags);
  const socket = ctx.socket(fd);
  if (socket === undefined) return ctx.raw['fd_fdstat_set_flags']!(fd as never, flags as never);
  socket.nonblock = nonblockFromFlags(flags);
  return SUCCESS;
}

export function fdFilestatGet(ctx: GuestContext, fd: number, buf: number): number {
  const stdio = ctx.stdioFd(fd);
  if (stdio !== undefined) return stdioFilestatGet(ctx, stdio, buf);
  if (ctx.socket(fd) === undefined) return ctx.raw['fd_filestat_get']!(fd as never, buf as never);
  writeFilestat(ctx, buf, FILETYPE_SOCKET_STREAM);
  return SUCCESS;
}

/** oflags DIRECTORY */
const OFLAGS_DIRECTORY = 2;

/** Whether this runtime's node:wasi fd_renumber(a, b) moves b onto a (Bun 1.x's does); probed once. */
let renumberSwapped: boolean | undefined;

/**
 * Probes node:wasi's fd_renumber with two throwaway numbers opened relative to `dirFd` (one of
 * our sockets: a hidden empty directory for node:wasi, see reserveFd), lending 8 bytes of guest
 * memory for the path and the results and putting them back (the guest is blocked in this call).
 */
function probeRenumber(ctx: GuestContext, dirFd: number): boolean {
  const raw = ctx.raw;
  const saved = ctx.memory.bytes(0, 8).slice();
  const open = (): number => {
    ctx.memory.setU8(0, 0x2e); // "."
    const errno = raw['path_open']!(dirFd as never, 0 as never, 0 as never, 1 as never, OFLAGS_DIRECTORY as never,
      0n as never, 0n as never, 0 as never, 4 as never);
    return errno === SUCCESS ? ctx.memory.u32(4) : -1;
  };
  try {
    const a = open();
    const b = open();
    if (a < 0 || b < 0) {
      for (const fd of [a, b]) if (fd >= 0) raw['fd_close']!(fd as never);
      return false;
    }
    raw['fd_renumber']!(a as never, b as never);
    const swapped = nodeFdOpen(ctx, a) && !nodeFdOpen(ctx, b);
    raw['fd_close']!((swapped ? a : b) as never);
    return swapped;
  } finally {
    ctx.memory.bytes(0, 8).set(saved);
  }
}

/**
 * fd_renumber: node:wasi moves the number (our sockets' numbers are reserved there too), then we
 * move the socket. The number move is done the witx's way round on every runtime.
 */
export function fdRenumber(ctx: GuestContext, from: number, to: number): number {
  from >>>= 0;
  to >>>= 0;
  // node:wasi would close the host process's own fd 0, 1 or 2 behind a stdio number.
  if (ctx.stdioFd(from) !== undefined || ctx.stdioFd(to) !== undefined) throw new WasiErrno(ENOTSUP);
  if (ctx.socket(from) === undefined && ctx.socket(to) === undefined) return ctx.raw['fd_renumber']!(from as never, to as never);
  if (from === to) return SUCCESS;
  renumberSwapped ??= probeRenumber(ctx, ctx.socket(from) !== undefined ? from : to);
  const errno = renumberSwapped
    ? ctx.raw['fd_renumber']!(to as never, from as never)
    : ctx.raw['fd_renumber']!(from as never, to as never);
  if (errno !== SUCCESS) return errno;
  closeSocket(ctx, to);
  const socket = ctx.sockets.get(from);
  ctx.sockets.delete(from);
  if (socket !== undefined) ctx.sockets.set(to, socket);
  return SUCCESS;
}

/**
 * What the other fd-taking calls return on a socket fd or one of our stdio fds, and which argument positions hold fds
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

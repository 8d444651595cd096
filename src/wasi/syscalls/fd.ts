// The fd_* calls that every kind of fd answers (stdio, sockets, files, directories): read, write,
// close, fdstat, filestat, renumber, prestat; and the lookups that the file and path calls go
// through (diskFor, fileFor, dirFor).
import { closeSync, constants, openSync } from 'node:fs';
import {
  EBADF, EINVAL, ENAMETOOLONG, ENOTCAPABLE, ENOTDIR, SUCCESS, WasiErrno,
} from '../errno.js';
import { diskFdOf, type DirFd, type FileFd, type GuestFd } from '../fd-table.js';
import type { GuestContext } from '../guest-context.js';
import { fstat, host, writeFilestat } from '../host-fs.js';
import {
  DIRECTORY_RIGHTS, FDFLAGS_ALL, FDFLAGS_NONBLOCK, FILE_RIGHTS, FILETYPE_DIRECTORY, FILETYPE_SOCKET_STREAM, R_FD_FDSTAT_SET_FLAGS, R_FD_FILESTAT_GET,
  R_FD_READ, R_FD_WRITE, writeFdstat, writeStreamFilestat,
} from './fdstat.js';
import { fileRead, fileReadv, fileSetFlags, fileWrite, fileWritev } from './files.js';
import { recvStream, sendStream } from './sock.js';
import { stdioClose, stdioRead, stdioWrite } from './stdio.js';

/**
 * A file or directory fd with every bit of `right`: a stream (stdio or socket) is refused with
 * `streamErrno` (what the call means on a pipe or socket: ESPIPE for seeking, EINVAL for sync...).
 */
export function diskFor(ctx: GuestContext, fd: number, right: bigint, streamErrno: number): FileFd | DirFd {
  const entry = ctx.fds.get(fd);
  if (entry.kind === 'stdio' || entry.kind === 'socket') throw new WasiErrno(streamErrno);
  return withRight(entry, right);
}

/** A file fd (not a directory: EBADF, as wasmtime answers a file call on a directory) with `right`. */
export function fileFor(ctx: GuestContext, fd: number, right: bigint, streamErrno: number): FileFd {
  const entry = ctx.fds.get(fd);
  if (entry.kind === 'file') return withRight(entry, right);
  throw new WasiErrno(entry.kind === 'dir' ? EBADF : streamErrno);
}

/** A directory fd with `right`; anything else is ENOTDIR (openat(2) on a file). */
export function dirFor(ctx: GuestContext, fd: number, right: bigint): DirFd {
  const entry = ctx.fds.get(fd);
  if (entry.kind !== 'dir') throw new WasiErrno(ENOTDIR);
  return withRight(entry, right);
}

/**
 * `entry` if it has every bit of `right`. A missing FD_READ or FD_WRITE is EBADF, as POSIX's read(2)
 * on a write-only fd (and write(2) on a read-only one): the WASI testsuite's
 * path_open_read_without_rights expects ERRNO_BADF from fd_read without FD_READ. Any other missing
 * right is ENOTCAPABLE (no official test says otherwise).
 */
function withRight<T extends GuestFd>(entry: T, right: bigint): T {
  // One BigInt operation when the right is there (every file read and write asks).
  if ((entry.rightsBase & right) === right) return entry;
  const missing = right & ~entry.rightsBase;
  throw new WasiErrno((missing & (R_FD_READ | R_FD_WRITE)) !== 0n ? EBADF : ENOTCAPABLE);
}

/** fd_read/fd_write: the bytes moved are stored at `nDone`. */
function transfer(ctx: GuestContext, fd: number, iovs: number, iovsLen: number, nDone: number, read: boolean): number {
  const entry = ctx.fds.get(fd);
  const memory = ctx.memory;
  if (entry.kind === 'file' && iovsLen === 1) {
    // One iovec into or out of a file: what wasi-libc passes, no views (files.ts).
    const len = memory.oneIovec(iovs);
    memory.check(nDone, 4);
    const ptr = memory.u32(iovs);
    memory.setU32(nDone, read ? fileRead(withRight(entry, R_FD_READ), memory, ptr, len) : fileWrite(withRight(entry, R_FD_WRITE), memory, ptr, len));
    return SUCCESS;
  }
  const bufs = memory.iovecs(iovs, iovsLen);
  memory.check(nDone, 4);
  let n: number;
  if (entry.kind === 'socket') n = read ? recvStream(ctx, entry, bufs, 0) : sendStream(ctx, entry, bufs);
  else if (entry.kind === 'stdio') n = read ? stdioRead(ctx, entry, bufs) : stdioWrite(ctx, entry, bufs);
  else if (entry.kind === 'file') n = read ? fileReadv(withRight(entry, R_FD_READ), bufs) : fileWritev(withRight(entry, R_FD_WRITE), bufs);
  else throw new WasiErrno(EBADF);
  memory.setU32(nDone, n);
  return SUCCESS;
}

export function fdRead(ctx: GuestContext, fd: number, iovs: number, iovsLen: number, nread: number): number {
  return transfer(ctx, fd, iovs, iovsLen, nread, true);
}

export function fdWrite(ctx: GuestContext, fd: number, iovs: number, iovsLen: number, nwritten: number): number {
  return transfer(ctx, fd, iovs, iovsLen, nwritten, false);
}

/** Closes what an entry holds: a socket (the main thread sends what is left), stdin's ring, a host fd. */
function release(ctx: GuestContext, entry: GuestFd): void {
  if (entry.kind === 'socket') ctx.request({ op: 'close', slot: entry.slot });
  else if (entry.kind === 'stdio') stdioClose(ctx, entry);
  else host(() => closeSync(diskFdOf(entry)));
}

export function fdClose(ctx: GuestContext, fd: number): number {
  release(ctx, ctx.fds.remove(fd));
  return SUCCESS;
}

/**
 * fd_renumber: `to` (which must be open: EBADF) is closed and `from` takes its number, whatever
 * either holds (a file renumbered onto 1 is the guest's stdout from then on).
 */
export function fdRenumber(ctx: GuestContext, from: number, to: number): number {
  ctx.fds.get(from);
  ctx.fds.get(to);
  if (from === to) return SUCCESS;
  release(ctx, ctx.fds.remove(to));
  ctx.fds.renumber(from, to);
  return SUCCESS;
}

function filetypeOfEntry(entry: GuestFd): number {
  switch (entry.kind) {
    case 'stdio':
    case 'file':
      return entry.filetype;
    case 'socket':
      return FILETYPE_SOCKET_STREAM;
    case 'dir':
      return FILETYPE_DIRECTORY;
  }
}

export function fdFdstatGet(ctx: GuestContext, fd: number, buf: number): number {
  const entry = ctx.fds.get(fd);
  writeFdstat(ctx, buf, filetypeOfEntry(entry), entry.fdflags, entry.rightsBase, entry.rightsInheriting);
  return SUCCESS;
}

/** Streams and directories take NONBLOCK only (APPEND and the sync flags are for files: EINVAL). */
export function fdFdstatSetFlags(ctx: GuestContext, fd: number, flags: number): number {
  const entry = ctx.fds.get(fd);
  if ((flags & ~FDFLAGS_ALL) !== 0) throw new WasiErrno(EINVAL);
  if (entry.kind === 'file') {
    fileSetFlags(ctx, withRight(entry, R_FD_FDSTAT_SET_FLAGS), flags);
    return SUCCESS;
  }
  if (entry.kind === 'dir') withRight(entry, R_FD_FDSTAT_SET_FLAGS);
  if ((flags & ~FDFLAGS_NONBLOCK) !== 0) throw new WasiErrno(EINVAL);
  entry.fdflags = flags;
  return SUCCESS;
}

/** fd_fdstat_set_rights: rights can only be dropped (asking for one the fd lacks is ENOTCAPABLE). */
export function fdFdstatSetRights(ctx: GuestContext, fd: number, base: bigint, inheriting: bigint): number {
  const entry = ctx.fds.get(fd);
  if ((base & ~entry.rightsBase) !== 0n || (inheriting & ~entry.rightsInheriting) !== 0n) {
    throw new WasiErrno(ENOTCAPABLE);
  }
  entry.rightsBase = base;
  entry.rightsInheriting = inheriting;
  return SUCCESS;
}

export function fdFilestatGet(ctx: GuestContext, fd: number, buf: number): number {
  const entry = ctx.fds.get(fd);
  ctx.memory.check(buf, 64);
  if (entry.kind === 'stdio' || entry.kind === 'socket') {
    writeStreamFilestat(ctx, buf, filetypeOfEntry(entry));
  } else {
    withRight(entry, R_FD_FILESTAT_GET);
    writeFilestat(ctx, buf, fstat(diskFdOf(entry)));
  }
  return SUCCESS;
}

/** A preopened directory, opened here: it may do every directory call and hands on every file and directory right. */
export function openPreopen(guestPath: string, hostPath: string): DirFd {
  return {
    // openSync, not openHost: a missing directory fails the run with Node's own error (code ENOENT, the path).
    kind: 'dir', fd: openSync(hostPath, constants.O_RDONLY | constants.O_DIRECTORY), path: hostPath,
    preopen: new TextEncoder().encode(guestPath), fdflags: 0,
    rightsBase: DIRECTORY_RIGHTS, rightsInheriting: DIRECTORY_RIGHTS | FILE_RIGHTS,
  };
}

/** prestat tag DIR */
const PREOPENTYPE_DIR = 0;

/** The preopen at `fd`: anything else (sockets, stdio, files, directories opened later) is EBADF, which ends wasi-libc's scan. */
function preopenName(ctx: GuestContext, fd: number): Uint8Array {
  const entry = ctx.fds.get(fd);
  if (entry.kind !== 'dir' || entry.preopen === undefined) throw new WasiErrno(EBADF);
  return entry.preopen;
}

export function fdPrestatGet(ctx: GuestContext, fd: number, buf: number): number {
  const name = preopenName(ctx, fd);
  ctx.memory.check(buf, 8);
  ctx.memory.bytes(buf, 8).fill(0);
  ctx.memory.setU8(buf, PREOPENTYPE_DIR);
  ctx.memory.setU32(buf + 4, name.length);
  return SUCCESS;
}

/**
 * fd_prestat_dir_name: the name without a NUL (wasi-libc asks with exactly pr_name_len). A buffer
 * too small for it is ENAMETOOLONG, as wasmtime answers (the witx names no errno for it; uvwasi's
 * ENOBUFS is for sockets' buffers); a larger one gets the name and the rest is left untouched.
 */
export function fdPrestatDirName(ctx: GuestContext, fd: number, path: number, pathLen: number): number {
  const name = preopenName(ctx, fd);
  const out = ctx.memory.bytes(path, pathLen);
  if (pathLen < name.length) throw new WasiErrno(ENAMETOOLONG);
  out.set(name);
  return SUCCESS;
}

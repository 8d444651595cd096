// fd_fdstat_get, fd_fdstat_set_flags and fd_filestat_get for the fds the host serves itself (the
// stdio fds and the sockets): one layout, one set of rights bits, one rule for the flags.
import { EINVAL, WasiErrno } from '../errno.js';
import type { GuestContext } from '../guest-context.js';
import { FDFLAGS_NONBLOCK } from './sock.js';

/** Rights bits (wasi_snapshot_preview1 `rights`). */
export const R_FD_READ = 1n << 1n;
export const R_FD_FDSTAT_SET_FLAGS = 1n << 3n;
export const R_FD_WRITE = 1n << 6n;
export const R_FD_FILESTAT_GET = 1n << 21n;
export const R_POLL_FD_READWRITE = 1n << 27n;
export const R_SOCK_SHUTDOWN = 1n << 28n;
export const R_SOCK_ACCEPT = 1n << 29n;

/** Writes the 24-byte fdstat at `buf`: filetype, fdflags (NONBLOCK or none), base and inheriting rights. */
export function writeFdstat(
  ctx: GuestContext, buf: number, filetype: number, nonblock: boolean, base: bigint, inheriting: bigint,
): void {
  ctx.memory.check(buf, 24);
  ctx.memory.bytes(buf, 24).fill(0);
  ctx.memory.setU8(buf, filetype);
  ctx.memory.setU16(buf + 2, nonblock ? FDFLAGS_NONBLOCK : 0);
  ctx.memory.setU64(buf + 8, base);
  ctx.memory.setU64(buf + 16, inheriting);
}

/** fd_fdstat_set_flags' new NONBLOCK state; EINVAL for any other flag (APPEND, DSYNC, RSYNC, SYNC: files only). */
export function nonblockFromFlags(flags: number): boolean {
  if ((flags & ~FDFLAGS_NONBLOCK) !== 0) throw new WasiErrno(EINVAL);
  return (flags & FDFLAGS_NONBLOCK) !== 0;
}

/** Writes the 64-byte filestat at `buf`: all zero but the filetype and an nlink of 1. */
export function writeFilestat(ctx: GuestContext, buf: number, filetype: number): void {
  ctx.memory.bytes(buf, 64).fill(0);
  ctx.memory.setU8(buf + 16, filetype);
  ctx.memory.setU64(buf + 24, 1n); // nlink
}

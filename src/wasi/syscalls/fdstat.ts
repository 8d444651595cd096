// The witx's flag words and records shared by the fd families: rights, filetypes, fdflags, and the
// fdstat and filestat layouts.
import type { GuestContext } from '../guest-context.js';

/** Rights bits (wasi_snapshot_preview1 `rights`). */
export const R_FD_DATASYNC = 1n << 0n;
export const R_FD_READ = 1n << 1n;
export const R_FD_SEEK = 1n << 2n;
export const R_FD_FDSTAT_SET_FLAGS = 1n << 3n;
export const R_FD_SYNC = 1n << 4n;
export const R_FD_TELL = 1n << 5n;
export const R_FD_WRITE = 1n << 6n;
export const R_FD_ADVISE = 1n << 7n;
export const R_FD_ALLOCATE = 1n << 8n;
export const R_PATH_CREATE_DIRECTORY = 1n << 9n;
export const R_PATH_CREATE_FILE = 1n << 10n;
export const R_PATH_LINK_SOURCE = 1n << 11n;
export const R_PATH_LINK_TARGET = 1n << 12n;
export const R_PATH_OPEN = 1n << 13n;
export const R_FD_READDIR = 1n << 14n;
export const R_PATH_READLINK = 1n << 15n;
export const R_PATH_RENAME_SOURCE = 1n << 16n;
export const R_PATH_RENAME_TARGET = 1n << 17n;
export const R_PATH_FILESTAT_GET = 1n << 18n;
export const R_PATH_FILESTAT_SET_SIZE = 1n << 19n;
export const R_PATH_FILESTAT_SET_TIMES = 1n << 20n;
export const R_FD_FILESTAT_GET = 1n << 21n;
export const R_FD_FILESTAT_SET_SIZE = 1n << 22n;
export const R_FD_FILESTAT_SET_TIMES = 1n << 23n;
export const R_PATH_SYMLINK = 1n << 24n;
export const R_PATH_REMOVE_DIRECTORY = 1n << 25n;
export const R_PATH_UNLINK_FILE = 1n << 26n;
export const R_POLL_FD_READWRITE = 1n << 27n;
export const R_SOCK_SHUTDOWN = 1n << 28n;
export const R_SOCK_ACCEPT = 1n << 29n;
export const ALL_RIGHTS = (1n << 30n) - 1n;

/**
 * What applies to a directory: the path calls, readdir, its own stat and times, sync. Not
 * FD_DATASYNC: wasi-libc asks for it only to open for writing, which a directory is not (EISDIR).
 */
export const DIRECTORY_RIGHTS = R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_ADVISE | R_PATH_CREATE_DIRECTORY
  | R_PATH_CREATE_FILE | R_PATH_LINK_SOURCE | R_PATH_LINK_TARGET | R_PATH_OPEN | R_FD_READDIR | R_PATH_READLINK
  | R_PATH_RENAME_SOURCE | R_PATH_RENAME_TARGET | R_PATH_FILESTAT_GET | R_PATH_FILESTAT_SET_SIZE
  | R_PATH_FILESTAT_SET_TIMES | R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_TIMES | R_PATH_SYMLINK
  | R_PATH_REMOVE_DIRECTORY | R_PATH_UNLINK_FILE | R_POLL_FD_READWRITE;
/** What applies to a file: everything of an fd but the path calls, readdir and the socket calls. */
export const FILE_RIGHTS = R_FD_DATASYNC | R_FD_READ | R_FD_SEEK | R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_TELL
  | R_FD_WRITE | R_FD_ADVISE | R_FD_ALLOCATE | R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_SIZE | R_FD_FILESTAT_SET_TIMES
  | R_POLL_FD_READWRITE;

/** filetype */
export const FILETYPE_UNKNOWN = 0;
export const FILETYPE_BLOCK_DEVICE = 1;
export const FILETYPE_CHARACTER_DEVICE = 2;
export const FILETYPE_DIRECTORY = 3;
export const FILETYPE_REGULAR_FILE = 4;
export const FILETYPE_SOCKET_STREAM = 6;
export const FILETYPE_SYMBOLIC_LINK = 7;

/** fdflags */
export const FDFLAGS_APPEND = 1;
export const FDFLAGS_DSYNC = 2;
export const FDFLAGS_NONBLOCK = 4;
export const FDFLAGS_RSYNC = 8;
export const FDFLAGS_SYNC = 16;
export const FDFLAGS_ALL = 31;

/** Writes the 24-byte fdstat at `buf`: filetype, fdflags, base and inheriting rights. */
export function writeFdstat(
  ctx: GuestContext, buf: number, filetype: number, fdflags: number, base: bigint, inheriting: bigint,
): void {
  ctx.memory.bytes(buf, 24).fill(0);
  ctx.memory.setU8(buf, filetype);
  ctx.memory.setU16(buf + 2, fdflags);
  ctx.memory.setU64(buf + 8, base);
  ctx.memory.setU64(buf + 16, inheriting);
}

/** Writes the 64-byte filestat of an fd without a file behind it (stdio, sockets): the filetype and an nlink of 1. */
export function writeStreamFilestat(ctx: GuestContext, buf: number, filetype: number): void {
  ctx.memory.bytes(buf, 64).fill(0);
  ctx.memory.setU8(buf + 16, filetype);
  ctx.memory.setU64(buf + 24, 1n); // nlink
}

/** The WASI filetype of a host stat. A fifo is UNKNOWN: the witx has no filetype for it. */
export function filetypeOf(stats: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean;
  isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): number {
  if (stats.isFile()) return FILETYPE_REGULAR_FILE;
  if (stats.isDirectory()) return FILETYPE_DIRECTORY;
  if (stats.isSymbolicLink()) return FILETYPE_SYMBOLIC_LINK;
  if (stats.isCharacterDevice()) return FILETYPE_CHARACTER_DEVICE;
  if (stats.isBlockDevice()) return FILETYPE_BLOCK_DEVICE;
  if (stats.isSocket()) return FILETYPE_SOCKET_STREAM;
  return FILETYPE_UNKNOWN;
}

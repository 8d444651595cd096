// fd_* on files and directories: reads and writes at our own offset, pread/pwrite, seek/tell,
// sync, advise, allocate, size and times, and fd_readdir's listing.
import {
  closeSync, constants, fdatasyncSync, fsyncSync, ftruncateSync, futimesSync, lstatSync, readdirSync, readSync,
  readvSync, writeSync, writevSync,
} from 'node:fs';
import {
  EBADF, EFBIG, EINVAL, ENOTSUP, ESPIPE, SUCCESS, WasiErrno,
} from '../errno.js';
import { diskFdOf, type DirEntry, type DirFd, type FileFd } from '../fd-table.js';
import type { GuestContext } from '../guest-context.js';
import { canReopen, fstat, host, hostError, hostFdflags, openHost, setTimes } from '../host-fs.js';
import type { GuestMemory } from '../memory.js';
import { hostPath } from '../path-resolve.js';
import { dirFor, diskFor, fileFor } from './fd.js';
import {
  FDFLAGS_APPEND, FDFLAGS_NONBLOCK, FILETYPE_REGULAR_FILE, R_FD_ADVISE, R_FD_ALLOCATE, R_FD_DATASYNC,
  R_FD_FILESTAT_SET_SIZE, R_FD_FILESTAT_SET_TIMES, R_FD_READ, R_FD_READDIR, R_FD_SEEK, R_FD_SYNC, R_FD_TELL, R_FD_WRITE,
  filetypeOf,
} from './fdstat.js';

/**
 * Offsets beyond 2^53 cannot be handed to node:fs (numbers); no host file system holds a file that
 * large, so a read there is at EOF and a write there is EFBIG.
 */
const MAX_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);
/** filedelta's range: fd_seek past it is EINVAL, as lseek(2) is. */
const MAX_FILEDELTA = (1n << 63n) - 1n;

/** iovecs without the empty ones (readv/writev with none at all is a no-op of ours). */
const nonEmpty = (bufs: Uint8Array[]): Uint8Array[] => bufs.filter((buf) => buf.length > 0);
const totalOf = (bufs: Uint8Array[]): number => bufs.reduce((sum, buf) => sum + buf.length, 0);

// A file read or write of one iovec (what wasi-libc's read and write pass: the case of every chunk
// of a file copy, mostly run in a fresh worker's interpreter) hands [ptr, ptr + len) of the whole
// memory to readSync/writeSync: no closure, array, view or BigInt comparison per call. Several
// iovecs go as checked views through readvSync/writevSync.

/** read(2) or pread(2) at `position` (null: the host's own offset; beyond 2^53: EOF). */
function readAt(hostFd: number, memory: GuestMemory, ptr: number, len: number, position: number | null): number {
  if (len === 0 || (position !== null && position > Number.MAX_SAFE_INTEGER)) return 0;
  try {
    return readSync(hostFd, memory.all, ptr, len, position);
  } catch (error) {
    throw hostError(error);
  }
}

function readvAt(hostFd: number, bufs: Uint8Array[], position: number | null): number {
  if (position !== null && position > Number.MAX_SAFE_INTEGER) return 0;
  const views = nonEmpty(bufs);
  return views.length === 0 ? 0 : host(() => readvSync(hostFd, views, position ?? undefined));
}

/** write(2) or pwrite(2) at `position` (null: the host's own offset, or the end under O_APPEND). */
function writeAt(hostFd: number, memory: GuestMemory, ptr: number, len: number, position: number | null): number {
  if (position !== null && position + len > Number.MAX_SAFE_INTEGER) throw new WasiErrno(EFBIG);
  if (len === 0) return 0;
  try {
    return writeSync(hostFd, memory.all, ptr, len, position);
  } catch (error) {
    throw hostError(error);
  }
}

function writevAt(hostFd: number, bufs: Uint8Array[], position: number | null): number {
  const views = nonEmpty(bufs);
  // A double sum above 2^53 - 1 is one whose exact value is too: the check holds without BigInt.
  if (position !== null && position + totalOf(views) > Number.MAX_SAFE_INTEGER) throw new WasiErrno(EFBIG);
  return views.length === 0 ? 0 : host(() => writevSync(hostFd, views, position ?? undefined));
}

/** Our offset as node:fs takes it, or null where the file has none (char devices, fifos). */
const offsetOf = (entry: FileFd): number | null => (entry.seekable ? Number(entry.position) : null);

/** fd_read on a file: at our offset (seekable files), or as the host reads it (char devices, fifos). */
export function fileRead(entry: FileFd, memory: GuestMemory, ptr: number, len: number): number {
  const position = offsetOf(entry);
  const n = readAt(entry.hostFd, memory, ptr, len, position);
  if (position !== null) entry.position += BigInt(n);
  return n;
}

export function fileReadv(entry: FileFd, bufs: Uint8Array[]): number {
  const position = offsetOf(entry);
  const n = readvAt(entry.hostFd, bufs, position);
  if (position !== null) entry.position += BigInt(n);
  return n;
}

/** Where fd_write writes: at our offset; under APPEND at the end (the host fd has O_APPEND). */
const writeOffsetOf = (entry: FileFd): number | null =>
  (entry.fdflags & FDFLAGS_APPEND) !== 0 ? null : offsetOf(entry);

/** Our offset after `n` bytes written: under APPEND, the size. */
function wrote(entry: FileFd, n: number): number {
  if (!entry.seekable) return n;
  entry.position = (entry.fdflags & FDFLAGS_APPEND) !== 0 ? fstat(entry.hostFd).size : entry.position + BigInt(n);
  return n;
}

/** fd_write on a file: see writeOffsetOf and wrote. */
export function fileWrite(entry: FileFd, memory: GuestMemory, ptr: number, len: number): number {
  return wrote(entry, writeAt(entry.hostFd, memory, ptr, len, writeOffsetOf(entry)));
}

export function fileWritev(entry: FileFd, bufs: Uint8Array[]): number {
  return wrote(entry, writevAt(entry.hostFd, bufs, writeOffsetOf(entry)));
}

/**
 * fd_fdstat_set_flags on a file. APPEND and the sync flags live in the host's open file
 * description, which Node cannot change (no fcntl): the file is opened anew through
 * /proc/self/fd/<fd> with the new flags and the old fd closed. NONBLOCK means nothing to a regular
 * file, so only the flag word changes then.
 */
export function fileSetFlags(ctx: GuestContext, entry: FileFd, flags: number): void {
  let changed = entry.fdflags ^ flags;
  if (entry.filetype === FILETYPE_REGULAR_FILE) changed &= ~FDFLAGS_NONBLOCK;
  if (changed !== 0) {
    if (!canReopen) throw new WasiErrno(ENOTSUP);
    ctx.fds.swapHostFd(entry, openHost(`/proc/self/fd/${entry.hostFd}`, entry.hostFlags | hostFdflags(flags)));
  }
  entry.fdflags = flags;
}

const PREAD_RIGHTS = R_FD_READ | R_FD_SEEK;
const PWRITE_RIGHTS = R_FD_WRITE | R_FD_SEEK;

/** fd_pread/fd_pwrite: at `offset`, leaving our offset alone; ESPIPE where there are no offsets. */
function positioned(
  ctx: GuestContext, fd: number, iovs: number, iovsLen: number, offset: bigint, nDone: number, read: boolean,
): number {
  const entry = fileFor(ctx, fd, read ? PREAD_RIGHTS : PWRITE_RIGHTS, ESPIPE);
  const memory = ctx.memory;
  const len = iovsLen === 1 ? memory.oneIovec(iovs) : 0;
  const bufs = iovsLen === 1 ? undefined : memory.iovecs(iovs, iovsLen);
  memory.check(nDone, 4);
  if (!entry.seekable) throw new WasiErrno(ESPIPE);
  const position = Number(offset);
  const iov = bufs === undefined ? memory.u32(iovs) : 0;
  if (read) {
    memory.setU32(nDone, bufs === undefined ? readAt(entry.hostFd, memory, iov, len, position) : readvAt(entry.hostFd, bufs, position));
    return SUCCESS;
  }
  const unappended = withoutAppend(entry);
  const hostFd = unappended ?? entry.hostFd;
  try {
    memory.setU32(nDone, bufs === undefined ? writeAt(hostFd, memory, iov, len, position) : writevAt(hostFd, bufs, position));
  } finally {
    if (unappended !== undefined) closeSync(unappended);
  }
  return SUCCESS;
}

/**
 * fd_pwrite writes at its offset whatever APPEND says (the WASI testsuite's pwrite-with-append),
 * but Linux's pwrite on an O_APPEND fd appends: such a file is written through a second open of
 * it without O_APPEND (/proc/self/fd), which the caller closes again at once.
 */
function withoutAppend(entry: FileFd): number | undefined {
  if ((entry.fdflags & FDFLAGS_APPEND) === 0 || !canReopen) return undefined;
  return openHost(`/proc/self/fd/${entry.hostFd}`, constants.O_WRONLY);
}

export function fdPread(ctx: GuestContext, fd: number, iovs: number, iovsLen: number, offset: bigint, nread: number): number {
  return positioned(ctx, fd, iovs, iovsLen, offset, nread, true);
}

export function fdPwrite(ctx: GuestContext, fd: number, iovs: number, iovsLen: number, offset: bigint, nwritten: number): number {
  return positioned(ctx, fd, iovs, iovsLen, offset, nwritten, false);
}

/** whence */
const WHENCE_SET = 0;
const WHENCE_CUR = 1;
const WHENCE_END = 2;

/** fd_seek (offset is the witx's signed filedelta); seeking by 0 from CUR asks only for FD_TELL, as fd_tell does. */
export function fdSeek(ctx: GuestContext, fd: number, offset: bigint, whence: number, out: number): number {
  const right = offset === 0n && whence === WHENCE_CUR ? R_FD_TELL : R_FD_SEEK;
  const entry = fileFor(ctx, fd, right, ESPIPE);
  ctx.memory.check(out, 8);
  if (!entry.seekable) throw new WasiErrno(ESPIPE);
  let from: bigint;
  if (whence === WHENCE_SET) from = 0n;
  else if (whence === WHENCE_CUR) from = entry.position;
  else if (whence === WHENCE_END) from = fstat(entry.hostFd).size;
  else throw new WasiErrno(EINVAL);
  const position = from + offset;
  if (position < 0n || position > MAX_FILEDELTA) throw new WasiErrno(EINVAL);
  entry.position = position;
  ctx.memory.setU64(out, position);
  return SUCCESS;
}

export function fdTell(ctx: GuestContext, fd: number, out: number): number {
  const entry = fileFor(ctx, fd, R_FD_TELL, ESPIPE);
  ctx.memory.check(out, 8);
  if (!entry.seekable) throw new WasiErrno(ESPIPE);
  ctx.memory.setU64(out, entry.position);
  return SUCCESS;
}

export function fdSync(ctx: GuestContext, fd: number): number {
  const entry = diskFor(ctx, fd, R_FD_SYNC, EINVAL);
  host(() => fsyncSync(diskFdOf(entry)));
  return SUCCESS;
}

export function fdDatasync(ctx: GuestContext, fd: number): number {
  const entry = diskFor(ctx, fd, R_FD_DATASYNC, EINVAL);
  host(() => fdatasyncSync(diskFdOf(entry)));
  return SUCCESS;
}

/** advice NORMAL .. NOREUSE */
const ADVICE_LAST = 5;

/** fd_advise: checked as posix_fadvise checks it (a fifo: ESPIPE; unknown advice: EINVAL), then a hint Node cannot pass on. */
export function fdAdvise(ctx: GuestContext, fd: number, _offset: bigint, _len: bigint, advice: number): number {
  const entry = diskFor(ctx, fd, R_FD_ADVISE, ESPIPE);
  if (entry.kind === 'file' && !entry.seekable) throw new WasiErrno(ESPIPE);
  if (advice > ADVICE_LAST) throw new WasiErrno(EINVAL);
  return SUCCESS;
}

/** The host fd was opened for writing (ftruncate on a read-only fd is EINVAL; fallocate's answer is EBADF). */
const writable = (entry: FileFd): boolean => (entry.hostFlags & 3) !== constants.O_RDONLY;

/**
 * fd_allocate: the file is at least offset + len bytes long afterwards. Node has no fallocate, so
 * a file is extended with ftruncate (the size is what a guest sees; the blocks are not reserved).
 */
export function fdAllocate(ctx: GuestContext, fd: number, offset: bigint, len: bigint): number {
  const entry = fileFor(ctx, fd, R_FD_ALLOCATE, ESPIPE);
  if (entry.filetype !== FILETYPE_REGULAR_FILE) throw new WasiErrno(ESPIPE);
  if (len === 0n) throw new WasiErrno(EINVAL);
  if (!writable(entry)) throw new WasiErrno(EBADF);
  const end = offset + len;
  if (end > MAX_OFFSET) throw new WasiErrno(EFBIG);
  if (end > fstat(entry.hostFd).size) host(() => ftruncateSync(entry.hostFd, Number(end)));
  return SUCCESS;
}

export function fdFilestatSetSize(ctx: GuestContext, fd: number, size: bigint): number {
  const entry = fileFor(ctx, fd, R_FD_FILESTAT_SET_SIZE, EINVAL);
  if (size > MAX_OFFSET) throw new WasiErrno(EFBIG);
  host(() => ftruncateSync(entry.hostFd, Number(size)));
  return SUCCESS;
}

export function fdFilestatSetTimes(ctx: GuestContext, fd: number, atim: bigint, mtim: bigint, fstflags: number): number {
  const hostFd = diskFdOf(diskFor(ctx, fd, R_FD_FILESTAT_SET_TIMES, EINVAL));
  setTimes(ctx, atim, mtim, fstflags, () => fstat(hostFd), (atime, mtime) => futimesSync(hostFd, atime, mtime));
  return SUCCESS;
}

/**
 * A directory's entries now, '.' and '..' first; one that is gone before its lstat is left out.
 * Names stay bytes (a host name that is not UTF-8 is listed as it is).
 */
function takeListing(dir: DirFd): DirEntry[] {
  const names = host(() => readdirSync(hostPath(dir, '.'), { encoding: 'buffer' }));
  const prefix = Buffer.from(hostPath(dir, ''));
  const listing: DirEntry[] = [];
  for (const name of [Buffer.from('.'), Buffer.from('..'), ...names]) {
    const where = Buffer.concat([prefix, name]);
    const stats = host(() => lstatSync(where, { bigint: true, throwIfNoEntry: false }));
    if (stats !== undefined) listing.push({ name, ino: stats.ino, filetype: filetypeOf(stats) });
  }
  return listing;
}

/** dirent: d_next u64, d_ino u64, d_namlen u32, d_type u8, then the name (not part of the record). */
const DIRENT_SIZE = 24;

/**
 * fd_readdir: entries from `cookie` on (cookie n is the listing's entry n; each entry's d_next is
 * n + 1), as many as fit, the last one cut if it does not (bufused == buf_len then means "maybe
 * more": wasi-libc asks again with a larger buffer). The listing is taken afresh at cookie 0.
 */
export function fdReaddir(ctx: GuestContext, fd: number, buf: number, bufLen: number, cookie: bigint, bufused: number): number {
  const dir = dirFor(ctx, fd, R_FD_READDIR);
  const out = ctx.memory.bytes(buf, bufLen);
  ctx.memory.check(bufused, 4);
  if (cookie === 0n || dir.listing === undefined) dir.listing = takeListing(dir);
  const listing = dir.listing;
  const record = new Uint8Array(DIRENT_SIZE);
  const view = new DataView(record.buffer);
  let at = 0;
  for (let i = cookie > BigInt(listing.length) ? listing.length : Number(cookie); i < listing.length && at < bufLen; i++) {
    const entry = listing[i]!;
    view.setBigUint64(0, BigInt(i + 1), true);
    view.setBigUint64(8, BigInt.asUintN(64, entry.ino), true);
    view.setUint32(16, entry.name.length, true);
    view.setUint8(20, entry.filetype);
    const head = Math.min(DIRENT_SIZE, bufLen - at);
    out.set(record.subarray(0, head), at);
    at += head;
    const name = Math.min(entry.name.length, bufLen - at);
    out.set(entry.name.subarray(0, name), at);
    at += name;
  }
  ctx.memory.setU32(bufused, at);
  return SUCCESS;
}

// path_* calls: every guest path resolved in the sandbox (path-resolve.ts) below a directory fd,
// and acted on through the host's name of the entry, never following its last component unless
// the guest asked (and then the resolver has already followed it, inside the sandbox).
import {
  closeSync, constants, type BigIntStats, linkSync, lutimesSync, mkdirSync, readlinkSync, renameSync, rmdirSync, symlinkSync, unlinkSync,
} from 'node:fs';
import {
  EEXIST, EILSEQ, EINVAL, EISDIR, ENOENT, ENOTDIR, EPERM, SUCCESS, WasiErrno,
} from '../errno.js';
import type { DirFd, FileFd, GuestFd } from '../fd-table.js';
import type { GuestContext } from '../guest-context.js';
import {
  atPath, fstat, host, hostFdflags, hostPathOf, lstatAt, openHost, setTimes, writeFilestat,
} from '../host-fs.js';
import type { Resolved } from '../path-resolve.js';
import { dirFor } from './fd.js';
import {
  DIRECTORY_RIGHTS, FDFLAGS_ALL, FILE_RIGHTS, FILETYPE_BLOCK_DEVICE, FILETYPE_DIRECTORY, FILETYPE_REGULAR_FILE,
  R_FD_ALLOCATE, R_FD_DATASYNC, R_FD_FILESTAT_SET_SIZE, R_FD_READ, R_FD_READDIR, R_FD_WRITE, R_PATH_CREATE_DIRECTORY,
  R_PATH_CREATE_FILE, R_PATH_FILESTAT_GET, R_PATH_FILESTAT_SET_SIZE, R_PATH_FILESTAT_SET_TIMES, R_PATH_LINK_SOURCE,
  R_PATH_LINK_TARGET, R_PATH_OPEN, R_PATH_READLINK, R_PATH_REMOVE_DIRECTORY, R_PATH_RENAME_SOURCE,
  R_PATH_RENAME_TARGET, R_PATH_SYMLINK, R_PATH_UNLINK_FILE, filetypeOf,
} from './fdstat.js';

/** lookupflags */
const LOOKUP_SYMLINK_FOLLOW = 1;
/** oflags */
const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;

function followOf(lookupflags: number): boolean {
  if ((lookupflags & ~LOOKUP_SYMLINK_FOLLOW) !== 0) throw new WasiErrno(EINVAL);
  return lookupflags === LOOKUP_SYMLINK_FOLLOW;
}

/** What wasi-libc asks for when it opens for writing (uvwasi reads the rights the same way). */
const WRITE_RIGHTS = R_FD_WRITE | R_FD_DATASYNC | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE;

/**
 * path_open. The last component is opened with O_NOFOLLOW always: without SYMLINK_FOLLOW a
 * symlink there fails as Linux fails it (ELOOP, ENOTDIR under O_DIRECTORY); with it the resolver
 * has already followed it inside the sandbox, and a symlink swapped in since fails the same way.
 * Rights: the requested ones within the directory's inheriting rights, then only those that apply
 * to what was opened (a file has no path rights, a directory no read, write or seek).
 */
export function pathOpen(
  ctx: GuestContext, fd: number, lookupflags: number, path: number, pathLen: number, oflags: number,
  rightsBase: bigint, rightsInheriting: bigint, fdflags: number, fdOut: number,
): number {
  const parent = dirFor(ctx, fd, R_PATH_OPEN | ((oflags & OFLAGS.CREAT) !== 0 ? R_PATH_CREATE_FILE : 0n));
  // TRUNC without PATH_FILESTAT_SET_SIZE is EPERM, not ENOTCAPABLE: the WASI testsuite's truncation_rights
  // expects ERRNO_PERM (the directory may not change sizes: a permission, as truncate(2) says).
  if ((oflags & OFLAGS.TRUNC) !== 0 && (parent.rightsBase & R_PATH_FILESTAT_SET_SIZE) === 0n) {
    throw new WasiErrno(EPERM);
  }
  const follow = followOf(lookupflags);
  if ((oflags & ~15) !== 0 || (fdflags & ~FDFLAGS_ALL) !== 0) throw new WasiErrno(EINVAL);
  ctx.memory.check(fdOut, 4);
  const base = rightsBase & parent.rightsInheriting;
  const inheriting = rightsInheriting & parent.rightsInheriting;
  const directory = (oflags & OFLAGS.DIRECTORY) !== 0;
  const read = (base & (R_FD_READ | R_FD_READDIR)) !== 0n;
  // A directory asked for with FD_WRITE is opened for writing, so the host refuses it with EISDIR as
  // Linux's open(O_RDWR) of a directory does: the WASI testsuite's path_open_preopen expects ERRNO_ISDIR
  // for OFLAGS_DIRECTORY with FD_READ|FD_WRITE. Under DIRECTORY the other write rights (datasync,
  // allocate, set_size) are dropped as not applying to a directory; a path that names a directory
  // without DIRECTORY and asks for any of them is EISDIR too, as open(2) says.
  const write = (base & (directory ? R_FD_WRITE : WRITE_RIGHTS)) !== 0n;
  let access = constants.O_RDONLY;
  if (write) access = read ? constants.O_RDWR : constants.O_WRONLY;
  let flags = access | constants.O_NOFOLLOW | hostFdflags(fdflags);
  if (directory) flags |= constants.O_DIRECTORY;
  if ((oflags & OFLAGS.CREAT) !== 0) flags |= constants.O_CREAT;
  if ((oflags & OFLAGS.EXCL) !== 0) flags |= constants.O_EXCL;
  if ((oflags & OFLAGS.TRUNC) !== 0) flags |= constants.O_TRUNC;
  const entry = atPath(ctx, parent, path, pathLen, follow, (resolved): GuestFd => {
    // "name/" must be a directory; O_CREAT cannot make one (Linux: EISDIR).
    if (resolved.trailingSlash) {
      if ((flags & constants.O_CREAT) !== 0) throw new WasiErrno(EISDIR);
      flags |= constants.O_DIRECTORY;
    }
    const hostFd = openAsAsked(hostPathOf(resolved), flags);
    try {
      return entryFor(hostFd, resolved, access, fdflags, base, inheriting);
    } catch (error) {
      closeSync(hostFd);
      throw error;
    }
  });
  ctx.memory.setU32(fdOut, ctx.fds.allocate(entry));
  return SUCCESS;
}

const MAKING = constants.O_CREAT | constants.O_EXCL | constants.O_TRUNC;

/**
 * Opens with the host flags path_open asked for. A read-only open that creates or truncates does
 * that with a write-only open first: Deno's node:fs (after Rust's OpenOptions) ignores O_CREAT,
 * O_EXCL and O_TRUNC without write access, where Linux honours them.
 */
function openAsAsked(path: string, flags: number): number {
  if ((flags & 3) !== constants.O_RDONLY || (flags & MAKING) === 0) return openHost(path, flags);
  const plain = flags & ~MAKING;
  if ((flags & MAKING) === constants.O_CREAT) {
    // Only CREAT: an existing file is opened as it is (it may be read-only to us).
    try {
      return openHost(path, plain);
    } catch (error) {
      if (!(error instanceof WasiErrno) || error.errno !== ENOENT) throw error;
    }
  }
  closeSync(openHost(path, (flags & ~3) | constants.O_WRONLY));
  return openHost(path, plain);
}

function entryFor(hostFd: number, resolved: Resolved, access: number, fdflags: number, base: bigint, inheriting: bigint): GuestFd {
  const filetype = filetypeOf(fstat(hostFd));
  if (filetype === FILETYPE_DIRECTORY) {
    const path = resolved.name === '.' ? resolved.dir.path : `${resolved.dir.path}/${resolved.name}`;
    return { kind: 'dir', fd: hostFd, path, fdflags, rightsBase: base & DIRECTORY_RIGHTS, rightsInheriting: inheriting };
  }
  const file: FileFd = {
    kind: 'file', hostFd, filetype, position: 0n, hostFlags: access, fdflags,
    seekable: filetype === FILETYPE_REGULAR_FILE || filetype === FILETYPE_BLOCK_DEVICE,
    rightsBase: base & FILE_RIGHTS, rightsInheriting: 0n,
  };
  return file;
}

/** The stat of a resolved entry that must be there (ENOENT). */
function existing(resolved: Resolved): BigIntStats {
  const stats = lstatAt(resolved);
  if (stats === undefined) throw new WasiErrno(ENOENT);
  return stats;
}

export function pathFilestatGet(ctx: GuestContext, fd: number, lookupflags: number, path: number, pathLen: number, buf: number): number {
  const dir = dirFor(ctx, fd, R_PATH_FILESTAT_GET);
  ctx.memory.check(buf, 64);
  writeFilestat(ctx, buf, atPath(ctx, dir, path, pathLen, followOf(lookupflags), existing));
  return SUCCESS;
}

/** path_filestat_set_times: lutimes on the resolved name (a followed symlink is already resolved). */
export function pathFilestatSetTimes(
  ctx: GuestContext, fd: number, lookupflags: number, path: number, pathLen: number, atim: bigint, mtim: bigint,
  fstflags: number,
): number {
  const dir = dirFor(ctx, fd, R_PATH_FILESTAT_SET_TIMES);
  atPath(ctx, dir, path, pathLen, followOf(lookupflags), (resolved) => {
    const where = hostPathOf(resolved);
    setTimes(ctx, atim, mtim, fstflags, () => existing(resolved), (atime, mtime) => lutimesSync(where, atime, mtime));
  });
  return SUCCESS;
}

/** path_readlink: as many bytes of the target as fit (a short buffer truncates); bufused is the count written. */
export function pathReadlink(
  ctx: GuestContext, fd: number, path: number, pathLen: number, buf: number, bufLen: number, bufused: number,
): number {
  const dir = dirFor(ctx, fd, R_PATH_READLINK);
  const out = ctx.memory.bytes(buf, bufLen);
  ctx.memory.check(bufused, 4);
  const target = atPath(ctx, dir, path, pathLen, false, (resolved) => host(() => readlinkSync(hostPathOf(resolved), { encoding: 'buffer' })));
  const n = Math.min(target.length, bufLen);
  out.set(target.subarray(0, n));
  ctx.memory.setU32(bufused, n);
  return SUCCESS;
}

export function pathCreateDirectory(ctx: GuestContext, fd: number, path: number, pathLen: number): number {
  const dir = dirFor(ctx, fd, R_PATH_CREATE_DIRECTORY);
  atPath(ctx, dir, path, pathLen, false, (resolved) => {
    if (resolved.name === '.') throw new WasiErrno(EEXIST); // the directory itself: it exists
    host(() => mkdirSync(hostPathOf(resolved), 0o777));
  });
  return SUCCESS;
}

export function pathRemoveDirectory(ctx: GuestContext, fd: number, path: number, pathLen: number): number {
  const dir = dirFor(ctx, fd, R_PATH_REMOVE_DIRECTORY);
  atPath(ctx, dir, path, pathLen, false, (resolved) => {
    if (resolved.name === '.') throw new WasiErrno(EINVAL); // rmdir(".") on Linux
    host(() => rmdirSync(hostPathOf(resolved)));
  });
  return SUCCESS;
}

export function pathUnlinkFile(ctx: GuestContext, fd: number, path: number, pathLen: number): number {
  const dir = dirFor(ctx, fd, R_PATH_UNLINK_FILE);
  atPath(ctx, dir, path, pathLen, false, (resolved) => {
    // A directory ("dir/", "." too) is EISDIR, as unlink(2) says (Deno's unlinkSync would rmdir it).
    if (resolved.trailingSlash || resolved.name === '.' || lstatAt(resolved)?.isDirectory() === true) {
      throw new WasiErrno(EISDIR);
    }
    host(() => unlinkSync(hostPathOf(resolved)));
  });
  return SUCCESS;
}

/** Runs `use` with two resolved paths, releasing both. */
function withTwo<T>(
  ctx: GuestContext, first: [DirFd, number, number, boolean], second: [DirFd, number, number],
  use: (from: Resolved, to: Resolved) => T,
): T {
  return atPath(ctx, first[0], first[1], first[2], first[3], (from) =>
    atPath(ctx, second[0], second[1], second[2], false, (to) => use(from, to)));
}

export function pathRename(
  ctx: GuestContext, fd: number, oldPath: number, oldLen: number, newFd: number, newPath: number, newLen: number,
): number {
  const from = dirFor(ctx, fd, R_PATH_RENAME_SOURCE);
  const to = dirFor(ctx, newFd, R_PATH_RENAME_TARGET);
  withTwo(ctx, [from, oldPath, oldLen, false], [to, newPath, newLen], (source, target) => {
    // Renaming '.' (or onto it) is what rename(2) refuses for a path ending in '.'.
    if (source.name === '.' || target.name === '.') throw new WasiErrno(source.name === '.' ? EINVAL : EEXIST);
    // A target named "new/" must end up a directory: a source that is not one is ENOTDIR, as rename(2) says.
    if (target.trailingSlash && lstatAt(source)?.isDirectory() !== true) throw new WasiErrno(ENOTDIR);
    host(() => renameSync(hostPathOf(source), hostPathOf(target)));
  });
  return SUCCESS;
}

/** path_link: with SYMLINK_FOLLOW the source's symlink is followed (inside the sandbox), else the link itself is linked, as linkat(2). */
export function pathLink(
  ctx: GuestContext, oldFd: number, oldFlags: number, oldPath: number, oldLen: number, newFd: number, newPath: number,
  newLen: number,
): number {
  const from = dirFor(ctx, oldFd, R_PATH_LINK_SOURCE);
  const to = dirFor(ctx, newFd, R_PATH_LINK_TARGET);
  const follow = followOf(oldFlags);
  withTwo(ctx, [from, oldPath, oldLen, follow], [to, newPath, newLen], (source, target) => {
    if (target.name === '.') throw new WasiErrno(EEXIST);
    // "new/" names a directory to be: none is there (ENOENT, as linkat(2) says), or it exists (EEXIST).
    if (target.trailingSlash) throw new WasiErrno(lstatAt(target) === undefined ? ENOENT : EEXIST);
    host(() => linkSync(hostPathOf(source), hostPathOf(target)));
  });
  return SUCCESS;
}

// ignoreBOM: a leading U+FEFF is part of the target.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * path_symlink: the link's text is stored as given (valid UTF-8 without NUL: else EILSEQ, an
 * empty one ENOENT as symlink(2) says). A link that points out of the sandbox may be made:
 * making it is harmless, and our resolver never follows it out (ENOTCAPABLE).
 */
export function pathSymlink(ctx: GuestContext, oldPath: number, oldLen: number, fd: number, newPath: number, newLen: number): number {
  const raw = ctx.memory.bytes(oldPath, oldLen).slice();
  const dir = dirFor(ctx, fd, R_PATH_SYMLINK);
  let target: string;
  try {
    target = utf8.decode(raw);
  } catch {
    throw new WasiErrno(EILSEQ);
  }
  if (target.includes('\0')) throw new WasiErrno(EILSEQ);
  if (target.length === 0) throw new WasiErrno(ENOENT);
  atPath(ctx, dir, newPath, newLen, false, (resolved) => {
    if (resolved.name === '.' || lstatAt(resolved) !== undefined) throw new WasiErrno(EEXIST);
    if (resolved.trailingSlash) throw new WasiErrno(ENOENT); // "new/": no directory of that name to put it in
    host(() => symlinkSync(target, hostPathOf(resolved)));
  });
  return SUCCESS;
}

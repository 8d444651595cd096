/**
 * The thin layer over node:fs that the file and path calls use: host errors become WASI errnos,
 * guest paths are resolved in the sandbox, timestamps are set in the runtime's best precision.
 */
import { constants, existsSync, fstatSync, lstatSync, openSync, type BigIntStats } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { EINVAL, ENOTDIR, WasiErrno, wasiErrno } from './errno.js';
import type { DirFd } from './fd-table.js';
import type { GuestContext } from './guest-context.js';
import { hostPath, resolvePath, type Resolved } from './path-resolve.js';
import {
  FDFLAGS_APPEND, FDFLAGS_DSYNC, FDFLAGS_NONBLOCK, FDFLAGS_RSYNC, FDFLAGS_SYNC, filetypeOf,
} from './syscalls/fdstat.js';

/** Runs a node:fs call: a host error (err.code) is thrown as the WASI errno it means. */
export function host<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw hostError(error);
  }
}

/**
 * What to throw for an error a node:fs call threw: the WASI errno of a host error (err.code),
 * anything else as it is (a bug of ours). For the calls made per chunk, which catch inline
 * rather than pay host()'s closure.
 */
export function hostError(error: unknown): unknown {
  if (error instanceof WasiErrno) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code ?? osErrorCode(error);
  return typeof code === 'string' ? new WasiErrno(wasiErrno(code)) : error;
}

/** errno number -> name, from the host's own table (os.constants.errno). */
const ERRNO_NAMES = new Map(Object.entries(osConstants.errno).map(([name, number]) => [number, name]));

/**
 * Deno leaves some host errors without `code` (EFBIG: "File too large (os error 27)"); their
 * message still carries the errno number, which is the host error it is.
 */
function osErrorCode(error: unknown): string | undefined {
  const match = error instanceof Error ? /\(os error (\d+)\)/.exec(error.message) : null;
  return match === null ? undefined : ERRNO_NAMES.get(Number(match[1]));
}

export const fstat = (hostFd: number): BigIntStats => host(() => fstatSync(hostFd, { bigint: true }));

/** The stat of `name` in `dir`, not following a symlink; undefined if nothing is there. */
export function lstatAt(resolved: Resolved): BigIntStats | undefined {
  return host(() => lstatSync(hostPathOf(resolved), { bigint: true, throwIfNoEntry: false }));
}

/**
 * A guest path (at `ptr`, `len` bytes) resolved below directory `dir`, handed to `use`, and the
 * directories the walk opened closed afterwards. A path that ended in '/' names a directory: if
 * something else is there, ENOTDIR (we never hand the host a trailing slash, which would follow a
 * symlink in the last component out of our sight).
 */
export function atPath<T>(
  ctx: GuestContext, dir: DirFd, ptr: number, len: number, follow: boolean, use: (resolved: Resolved) => T,
): T {
  // A copy: TextDecoder will not read a view of a shared memory.
  const bytes = ctx.memory.bytes(ptr, len).slice();
  const resolved = resolvePath(dir, bytes, follow);
  try {
    if (resolved.trailingSlash) {
      const stats = lstatAt(resolved);
      if (stats !== undefined && !stats.isDirectory()) throw new WasiErrno(ENOTDIR);
    }
    return use(resolved);
  } finally {
    resolved.release();
  }
}

/** Where the host names the resolved entry (path-resolve.ts's hostPath). */
export const hostPathOf = (resolved: Resolved): string => hostPath(resolved.dir, resolved.name);

/** Host open flags for WASI fdflags (RSYNC is O_SYNC on Linux: glibc's O_RSYNC is the same bits). */
export function hostFdflags(fdflags: number): number {
  let flags = 0;
  if ((fdflags & FDFLAGS_APPEND) !== 0) flags |= constants.O_APPEND;
  if ((fdflags & FDFLAGS_DSYNC) !== 0) flags |= constants.O_DSYNC;
  if ((fdflags & (FDFLAGS_SYNC | FDFLAGS_RSYNC)) !== 0) flags |= constants.O_SYNC;
  if ((fdflags & FDFLAGS_NONBLOCK) !== 0) flags |= constants.O_NONBLOCK;
  return flags;
}

/** Opens `path` with `flags` (numbers: no mode bits beyond 0o666 for files the guest creates). */
export const openHost = (path: string, flags: number): number => host(() => openSync(path, flags, 0o666));

/** Whether a host fd can be opened anew through /proc/self/fd (Linux). */
export const canReopen = existsSync('/proc/self/fd');

/** fstflags */
const FSTFLAGS_ATIM = 1;
const FSTFLAGS_ATIM_NOW = 2;
const FSTFLAGS_MTIM = 4;
const FSTFLAGS_MTIM_NOW = 8;

/**
 * Whether the runtime keeps the seconds it is given to the ns (Bun, Node 24+), or truncates them
 * to its unit (Node 22 and older: µs; Deno: ms). Learnt from the first times set that tell.
 */
let keepsNs: boolean | undefined = process.versions['bun'] !== undefined ? true : undefined;

/**
 * Sets the access and modification times (fd_filestat_set_times, path_filestat_set_times) with
 * `apply` (futimes or lutimes: seconds as doubles). A time neither given nor NOW keeps its value
 * (`current`). ATIM with ATIM_NOW (or MTIM with MTIM_NOW) is EINVAL, as the witx and utimensat
 * say. A runtime that truncates gets a double at or just above the time, so it keeps the exact µs
 * or ms asked for; one that keeps ns gets the nearest double (238 ns apart for a time of today).
 */
export function setTimes(
  ctx: GuestContext, atim: bigint, mtim: bigint, fstflags: number, current: () => BigIntStats,
  apply: (atime: number, mtime: number) => void,
): void {
  if ((fstflags & ~15) !== 0) throw new WasiErrno(EINVAL);
  if ((fstflags & FSTFLAGS_ATIM) !== 0 && (fstflags & FSTFLAGS_ATIM_NOW) !== 0) throw new WasiErrno(EINVAL);
  if ((fstflags & FSTFLAGS_MTIM) !== 0 && (fstflags & FSTFLAGS_MTIM_NOW) !== 0) throw new WasiErrno(EINVAL);
  const now = ctx.realtimeNs();
  let stats: BigIntStats | undefined;
  const pick = (given: bigint, set: number, setNow: number, kept: (s: BigIntStats) => bigint): bigint => {
    if ((fstflags & setNow) !== 0) return now;
    if ((fstflags & set) !== 0) return given;
    stats ??= current();
    return kept(stats);
  };
  const atime = pick(atim, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW, (s) => guestTimes(s)[0]);
  const mtime = pick(mtim, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW, (s) => guestTimes(s)[1]);
  const nearest = keepsNs === true;
  host(() => apply(seconds(atime, nearest), seconds(mtime, nearest)));
  let after = current();
  if (keepsNs === undefined && (after.mtimeNs !== mtime || after.atimeNs !== atime)) {
    // Above what was asked: the runtime kept the double's extra ns, so it is given the nearest from now on.
    keepsNs = after.mtimeNs > mtime || after.atimeNs > atime;
    if (keepsNs) {
      host(() => apply(seconds(atime, true), seconds(mtime, true)));
      after = current();
    }
  }
  timesSet.set(fileKey(after), { atime, mtime, atimeHost: after.atimeNs, mtimeHost: after.mtimeNs });
}

/**
 * The times the guest set, by file, with what the host kept of them: no runtime's futimes takes
 * ns (a double of seconds holds a time of today to 238 ns), so a stat reports the ns the guest
 * asked for as long as the host still has the value we left (anything else that sets the times
 * since shows through).
 */
const timesSet = new Map<string, { atime: bigint; mtime: bigint; atimeHost: bigint; mtimeHost: bigint }>();
const fileKey = (stats: BigIntStats): string => `${stats.dev}:${stats.ino}`;

/** A file's access and modification times as the guest sees them (see timesSet). */
function guestTimes(stats: BigIntStats): [bigint, bigint] {
  const set = timesSet.get(fileKey(stats));
  return [
    set?.atimeHost === stats.atimeNs ? set.atime : stats.atimeNs,
    set?.mtimeHost === stats.mtimeNs ? set.mtime : stats.mtimeNs,
  ];
}

/** Writes the 64-byte filestat of a host stat (taken with {bigint: true}: times in ns). */
export function writeFilestat(ctx: GuestContext, buf: number, stats: BigIntStats): void {
  const mem = ctx.memory;
  const [atime, mtime] = guestTimes(stats);
  mem.bytes(buf, 64).fill(0);
  mem.setU64(buf, BigInt.asUintN(64, stats.dev));
  mem.setU64(buf + 8, BigInt.asUintN(64, stats.ino));
  mem.setU8(buf + 16, filetypeOf(stats));
  mem.setU64(buf + 24, BigInt.asUintN(64, stats.nlink));
  mem.setU64(buf + 32, BigInt.asUintN(64, stats.size));
  mem.setU64(buf + 40, BigInt.asUintN(64, atime));
  mem.setU64(buf + 48, BigInt.asUintN(64, mtime));
  mem.setU64(buf + 56, BigInt.asUintN(64, stats.ctimeNs));
}

/** ns as seconds in a double: the nearest, or (for a runtime that truncates) the next one up when the nearest is below. */
function seconds(ns: bigint, nearest: boolean): number {
  const whole = ns / 1_000_000_000n;
  const fractionNs = ns % 1_000_000_000n;
  const value = Number(whole) + Number(fractionNs) / 1e9;
  // From 1 s on the fraction is a multiple of 2^-52, so fraction * 2^53 is an exact integer.
  if (nearest || value < 1 || Math.floor(value) !== Number(whole)) return value;
  const fraction = value - Math.floor(value);
  const below = BigInt(fraction * 2 ** 53) * 1_000_000_000n < fractionNs * 2n ** 53n;
  return below ? nextUp(value) : value;
}

const bits = new DataView(new ArrayBuffer(8));

/** The next double above a positive finite one. */
function nextUp(value: number): number {
  bits.setFloat64(0, value);
  bits.setBigUint64(0, bits.getBigUint64(0) + 1n);
  return bits.getFloat64(0);
}

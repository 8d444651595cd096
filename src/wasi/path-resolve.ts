// The sandbox: resolves a guest path below a directory fd without ever leaving it.
//
// Every directory the walk enters is opened (O_RDONLY|O_DIRECTORY|O_NOFOLLOW) and the next component is named
// through /proc/self/fd/<fd>/<name>, a magic link to that exact open directory: a guest that renames or swaps a
// directory for a symlink between our check and our use meets a component that is not a directory (the open
// fails), never a path that leads out. Symlinks are followed by us, component by component, only while they stay
// inside. '..' pops a directory the walk opened; it never asks the host for '..'.
//
// Two answers for a way out, by who spelled it. The guest's own path, absolute or with a '..' above the base, is
// EPERM: the WASI testsuite's interesting_paths expects ERRNO_PERM for both, and the WASI filesystem's
// path-resolution rules call it "not-permitted". A symlink's target that is absolute or whose '..' climbs above
// the base stays ENOTCAPABLE: issue 10 asks for it and no official preview1 test says otherwise (those rules say
// not-permitted there too; openat2's RESOLVE_BENEATH says EXDEV). It tells the guest that the link is there but
// leads where its capability does not reach (the way wasmtime's cap-std and RESOLVE_BENEATH refuse it).
//
// For callers: resolvePath has done all the following there is to do. Act on hostPath(dir, name) with the
// no-follow form of every call, even when followLast was true: open with O_NOFOLLOW, lstatSync, lutimesSync,
// linkSync (link(2) does not follow), readlinkSync. The check that the last component is not a symlink and the
// caller's use are two steps; a symlink swapped in between must meet O_NOFOLLOW (ELOOP), not be followed out.
//
// Without /proc/self/fd (hosts other than Linux) the same walk names entries by host path strings: it refuses
// the same paths, but a concurrent rename of a directory on the way can race it (not race-free).
import { closeSync, constants, existsSync, openSync, readlinkSync } from 'node:fs';
import { env } from 'node:process';
import { EILSEQ, ELOOP, ENOENT, ENOTCAPABLE, ENOTDIR, EPERM, WasiErrno, wasiErrno } from './errno.js';

/** An open O_DIRECTORY host fd; `path` is its host path (the fallback names entries by it; diagnostics). */
export interface HostDir {
  readonly fd: number;
  readonly path: string;
}

export interface Resolved {
  /** The directory holding the last component: `base` itself or a directory opened during the walk. */
  dir: HostDir;
  /** The last component ('.' when the path names the directory itself). Never contains '/'. */
  name: string;
  /** The path ended with '/' (the target must be a directory). */
  trailingSlash: boolean;
  /** Closes `dir` if the walk opened it. Idempotent. */
  release(): void;
}

/** Linux's MAXSYMLINKS: symlinks followed in one resolution before ELOOP. */
export const MAX_SYMLINKS = 40;

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

// WASMUX_WASI_NO_PROC_FD=1 (read once, at load: a guest's worker loads this module anew and sees the same
// process.env) puts guests on the fallback walk, so the test suite can run the sandbox's guests on both.
let viaProcFd = env['WASMUX_WASI_NO_PROC_FD'] !== '1' && existsSync('/proc/self/fd');

/** Whether entries are named through /proc/self/fd (chosen at load); the unit tests switch to run both walks. */
export function useProcFd(on: boolean): void {
  viaProcFd = on;
}

/** Where the host names `name` inside `dir`: `/proc/self/fd/<fd>/<name>` (Linux) or `<path>/<name>` (fallback). */
export function hostPath(dir: HostDir, name: string): string {
  return viaProcFd ? `/proc/self/fd/${dir.fd}/${name}` : joinHost(dir.path, name);
}

/** Resolves a guest path relative to `base` (a preopen or a directory fd opened below one). */
export function resolvePath(base: HostDir, path: Uint8Array | string, followLast: boolean): Resolved {
  const text = guestPathText(path);
  if (text.startsWith('/')) throw new WasiErrno(EPERM);
  // Components still to walk, the next one last; trailingSlash: the path's last component must be a directory.
  const pending: string[] = [];
  let trailingSlash = pushComponents(pending, text);
  // The bottom `guestLeft` entries of `pending` are the guest's own components: a symlink's are pushed above them.
  let guestLeft = pending.length;
  const opened: HostDir[] = [];
  let links = 0;
  let done = false;
  try {
    for (;;) {
      const top = opened.at(-1) ?? base;
      const fromGuest = pending.length === guestLeft;
      const name = pending.pop();
      if (name === undefined) return finish(top, '.', trailingSlash);
      if (fromGuest) guestLeft--;
      if (name === '..') {
        // Our own stack, not the host's '..': the base is the ceiling, wherever it sits on the host.
        const left = opened.pop();
        if (left === undefined) throw new WasiErrno(fromGuest ? EPERM : ENOTCAPABLE);
        closeSync(left.fd);
        continue;
      }
      const last = pending.length === 0;
      if (last && !followLast) return finish(top, name, trailingSlash);
      const target = last ? readLinkIfAny(top, name) : enter(top, name, opened);
      if (target === undefined) {
        if (last) return finish(top, name, trailingSlash);
        continue;
      }
      if (++links > MAX_SYMLINKS) throw new WasiErrno(ELOOP);
      if (target.startsWith('/')) throw new WasiErrno(ENOTCAPABLE);
      // A link that was the last component hands its own trailing slash on ("dir-link/" and "link -> dir/").
      const targetSlash = pushComponents(pending, target);
      if (last) trailingSlash ||= targetSlash;
    }
  } finally {
    // On success the top stays open (finish handed it over, release closes it); on an error nothing does.
    for (let i = 0; i < opened.length - (done ? 1 : 0); i++) closeSync(opened[i]!.fd);
  }

  function finish(dir: HostDir, name: string, mustBeDir: boolean): Resolved {
    done = true;
    let open = dir !== base;
    return {
      dir,
      name,
      trailingSlash: mustBeDir,
      release() {
        if (open) closeSync(dir.fd);
        open = false;
      },
    };
  }
}

/**
 * Opens `name` in `top` as a directory and pushes it on `opened`; or, for a symlink, returns its target (to walk
 * in its place). Anything else is ENOTDIR. O_NOFOLLOW: a symlink swapped in after any check of ours fails the open.
 */
function enter(top: HostDir, name: string, opened: HostDir[]): string | undefined {
  const where = hostPath(top, name);
  try {
    opened.push({ fd: openSync(where, DIR_FLAGS), path: joinHost(top.path, name) });
    return undefined;
  } catch (error) {
    const code = errorCode(error);
    // Linux says ENOTDIR for a symlink under O_DIRECTORY|O_NOFOLLOW, other hosts ELOOP: readlink tells.
    if (code !== 'ENOTDIR' && code !== 'ELOOP') throw new WasiErrno(wasiErrno(code));
  }
  const target = readLinkIfAny(top, name);
  if (target === undefined) throw new WasiErrno(ENOTDIR);
  return target;
}

/** The target of `name` in `dir` if it is a symlink; undefined if it is anything else or missing. */
function readLinkIfAny(dir: HostDir, name: string): string | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readlinkSync(hostPath(dir, name), { encoding: 'buffer' });
  } catch (error) {
    const code = errorCode(error);
    // EINVAL: not a symlink; ENOENT: nothing there (the caller's own call reports it, or creates it).
    if (code === 'EINVAL' || code === 'ENOENT') return undefined;
    // Deno refuses a target that is not UTF-8 itself, with an InvalidData error that has no code.
    if (code === undefined && (error as Error | null)?.name === 'InvalidData') throw new WasiErrno(EILSEQ);
    throw new WasiErrno(wasiErrno(code));
  }
  // An empty target names nothing (Linux: ENOENT); a target we cannot spell as UTF-8 cannot be walked.
  if (bytes.length === 0) throw new WasiErrno(ENOENT);
  return decodeUtf8(bytes);
}

/**
 * Pushes the components of a relative path in front of `pending` (the next one last), dropping '' and '.'.
 * Returns whether the path ends in '/' or '/.', i.e. its last component must be a directory.
 */
function pushComponents(pending: string[], path: string): boolean {
  const parts = path.split('/');
  let mustBeDir = false;
  let seenName = false;
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    if (part !== '' && part !== '.') {
      pending.push(part);
      seenName = true;
    } else if (!seenName) {
      mustBeDir = true;
    }
  }
  return mustBeDir;
}

/** The guest's path as text: valid UTF-8 with no NUL (else EILSEQ), not empty (else ENOENT). */
function guestPathText(path: Uint8Array | string): string {
  const text = typeof path === 'string' ? path : decodeUtf8(path);
  // A lone surrogate is what invalid UTF-8 looks like in a JS string.
  if (text.includes('\0') || (typeof path === 'string' && /\p{Cs}/u.test(text))) throw new WasiErrno(EILSEQ);
  if (text.length === 0) throw new WasiErrno(ENOENT);
  return text;
}

// ignoreBOM: a leading U+FEFF is part of the name, not a marker to drop.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WasiErrno(EILSEQ);
  }
}

function joinHost(dirPath: string, name: string): string {
  return dirPath.endsWith('/') ? dirPath + name : `${dirPath}/${name}`;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

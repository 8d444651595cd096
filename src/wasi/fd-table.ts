/**
 * The guest's descriptor table: one numbering for stdio, sockets, files and directories, all ours
 * (docs/wasi.md, "Descriptor numbers"). Every entry carries the witx's rights and the WASI fdflags
 * we track for it; the host fd behind a file or directory is ours to close.
 */
import { closeSync } from 'node:fs';
import { EBADF, ENOTCAPABLE, WasiErrno } from './errno.js';
import type { HostDir } from './path-resolve.js';

interface FdCommon {
  rightsBase: bigint;
  rightsInheriting: bigint;
  /** WASI fdflags (APPEND, DSYNC, NONBLOCK, RSYNC, SYNC) as the guest set them, never host bits. */
  fdflags: number;
}

/** Fds 0, 1 and 2 (syscalls/stdio.ts). */
export interface StdioFd extends FdCommon {
  kind: 'stdio';
  stream: 0 | 1 | 2;
  /** WASI filetype, as the main thread found the host side (tty, file, or unknown). */
  filetype: number;
}

/** A listener or a connection: a slot of the shared state (syscalls/sock.ts). */
export interface SocketFd extends FdCommon {
  kind: 'socket';
  slot: number;
  listener: boolean;
}

/** Anything path_open opened that is not a directory: regular files, devices, fifos. */
export interface FileFd extends FdCommon {
  kind: 'file';
  hostFd: number;
  filetype: number;
  /** Our file offset: Node has no lseek, so seekable files are always read and written positioned. */
  position: bigint;
  /** Regular files and block devices; the others (char devices, fifos) are ESPIPE to fd_seek/fd_tell. */
  seekable: boolean;
  /** The host open's access mode and creation-independent flags, kept to reopen it (fd_fdstat_set_flags). */
  hostFlags: number;
}

/** One entry of a directory listing as fd_readdir serves it. */
export interface DirEntry {
  name: Uint8Array;
  ino: bigint;
  filetype: number;
}

/** A preopened directory or one opened below it. */
export interface DirFd extends FdCommon, HostDir {
  kind: 'dir';
  /** The open O_DIRECTORY host fd (HostDir.fd). */
  readonly fd: number;
  /** Its host path (HostDir.path: the resolver's fallback naming, and diagnostics). */
  readonly path: string;
  /** The guest's name of a preopen (fd_prestat_get/fd_prestat_dir_name); undefined below one. */
  preopen?: Uint8Array;
  /** The snapshot fd_readdir serves cookies from: taken at cookie 0. */
  listing?: DirEntry[];
}

export type GuestFd = StdioFd | SocketFd | FileFd | DirFd;

/** The lowest number sock_accept and path_open hand out: 0, 1 and 2 are stdio's. */
const FIRST_FREE = 3;

export class GuestFdTable {
  readonly #entries = new Map<number, GuestFd>();

  /** Puts `entry` at the lowest free number from 3 and returns it. */
  allocate(entry: GuestFd): number {
    let fd = FIRST_FREE;
    while (this.#entries.has(fd)) fd++;
    this.#entries.set(fd, entry);
    return fd;
  }

  /** Puts `entry` at `fd` (the numbers given at start: stdio, listeners, preopens). */
  set(fd: number, entry: GuestFd): void {
    this.#entries.set(fd, entry);
  }

  /** The entry at `fd` (a u32), or undefined. */
  find(fd: number): GuestFd | undefined {
    return this.#entries.get(fd >>> 0);
  }

  /** The entry at `fd`, or EBADF. */
  get(fd: number): GuestFd {
    const entry = this.#entries.get(fd >>> 0);
    if (entry === undefined) throw new WasiErrno(EBADF);
    return entry;
  }

  /** The entry at `fd` if it has every bit of `rights` in its base rights: EBADF, then ENOTCAPABLE. */
  getWith(fd: number, rights: bigint): GuestFd {
    const entry = this.get(fd);
    if ((entry.rightsBase & rights) !== rights) throw new WasiErrno(ENOTCAPABLE);
    return entry;
  }

  /** Takes `fd` out of the table (the caller closes what it held). */
  remove(fd: number): GuestFd {
    const entry = this.get(fd);
    this.#entries.delete(fd >>> 0);
    return entry;
  }

  /** Moves the entry at `from` to `to` (whatever was at `to` must have been closed by the caller). */
  renumber(from: number, to: number): void {
    const entry = this.remove(from);
    this.#entries.set(to >>> 0, entry);
  }

  entries(): IterableIterator<[number, GuestFd]> {
    return this.#entries.entries();
  }

  /** Closes every host fd the guest still holds (its files and directories) and empties the table. */
  closeHostFds(): void {
    for (const entry of this.#entries.values()) {
      if (entry.kind === 'file') closeQuietly(entry.hostFd);
      else if (entry.kind === 'dir') closeQuietly(entry.fd);
    }
    this.#entries.clear();
  }
}

function closeQuietly(hostFd: number): void {
  try {
    closeSync(hostFd);
  } catch {
    // already gone: nothing to give back
  }
}

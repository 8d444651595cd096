/**
 * The guest's descriptor table: one numbering for stdio, sockets, files and directories, all ours
 * (docs/wasi.md, "Descriptor numbers"). Every entry carries the witx's rights and the WASI fdflags
 * we track for it; the host fd behind a file or directory is ours to close.
 */
import { closeSync } from 'node:fs';
import { EBADF, WasiErrno } from './errno.js';
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

/** How many host fds the ledger tracks (beyond that, one left open by a killed worker leaks). */
export const LEDGER_CELLS = 256;

/**
 * The host fds the guest holds, in a shared buffer (cells of fd + 1, 0 free): the worker's fds are
 * the process's, and a worker terminated while the guest computes cannot close them, so the main
 * thread closes what is left once the worker has ended (run-wasi.ts). A cell is filled after the
 * open and emptied before the close: a killed worker may leak an fd, but the main thread never
 * closes a number the process has since reused.
 */
export class HostFdLedger {
  readonly #cells: Int32Array;

  constructor(sab: SharedArrayBuffer) {
    this.#cells = new Int32Array(sab);
  }

  add(hostFd: number): void {
    for (let i = 0; i < this.#cells.length; i++) {
      if (Atomics.compareExchange(this.#cells, i, 0, hostFd + 1) === 0) return;
    }
  }

  remove(hostFd: number): void {
    const index = this.#cells.indexOf(hostFd + 1);
    if (index >= 0) Atomics.store(this.#cells, index, 0);
  }

  /** Main thread, once the worker has ended: closes every fd still listed. */
  static closeLeft(sab: SharedArrayBuffer): void {
    const cells = new Int32Array(sab);
    for (let i = 0; i < cells.length; i++) {
      const hostFd = Atomics.exchange(cells, i, 0) - 1;
      if (hostFd >= 0) closeQuietly(hostFd);
    }
  }
}

/** The host fd of a file or directory. */
export const diskFdOf = (entry: FileFd | DirFd): number => (entry.kind === 'file' ? entry.hostFd : entry.fd);

/** The host fd behind an entry, if it has one (files and directories). */
const hostFdOf = (entry: GuestFd): number | undefined =>
  entry.kind === 'file' || entry.kind === 'dir' ? diskFdOf(entry) : undefined;

export class GuestFdTable {
  readonly #entries = new Map<number, GuestFd>();
  /** Set by the worker (tests leave it out). */
  ledger: HostFdLedger | undefined;

  #held(entry: GuestFd): void {
    const hostFd = hostFdOf(entry);
    if (hostFd !== undefined) this.ledger?.add(hostFd);
  }

  #dropped(entry: GuestFd): void {
    const hostFd = hostFdOf(entry);
    if (hostFd !== undefined) this.ledger?.remove(hostFd);
  }

  /** Puts `entry` at the lowest free number from 3 and returns it. */
  allocate(entry: GuestFd): number {
    let fd = FIRST_FREE;
    while (this.#entries.has(fd)) fd++;
    this.#entries.set(fd, entry);
    this.#held(entry);
    return fd;
  }

  /** Puts `entry` at `fd` (the numbers given at start: stdio, listeners, preopens). */
  set(fd: number, entry: GuestFd): void {
    this.#entries.set(fd, entry);
    this.#held(entry);
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

  /** Takes `fd` out of the table (the caller closes what it held). */
  remove(fd: number): GuestFd {
    const entry = this.get(fd);
    this.#entries.delete(fd >>> 0);
    this.#dropped(entry);
    return entry;
  }

  /** Moves the entry at `from` to `to` (whatever was at `to` must have been removed and closed by the caller). */
  renumber(from: number, to: number): void {
    const entry = this.get(from);
    this.#entries.delete(from >>> 0);
    this.#entries.set(to >>> 0, entry);
  }

  /** A file's host fd opened anew (fd_fdstat_set_flags): the new one is held, the old one closed. */
  swapHostFd(entry: FileFd, reopened: number): void {
    this.ledger?.add(reopened);
    this.ledger?.remove(entry.hostFd);
    closeQuietly(entry.hostFd);
    entry.hostFd = reopened;
  }

  entries(): IterableIterator<[number, GuestFd]> {
    return this.#entries.entries();
  }

  /** Closes every host fd the guest still holds (its files and directories) and empties the table. */
  closeHostFds(): void {
    for (const entry of this.#entries.values()) {
      this.#dropped(entry);
      const hostFd = hostFdOf(entry);
      if (hostFd !== undefined) closeQuietly(hostFd);
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

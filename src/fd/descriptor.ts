import { PosixError } from '../errors.js';
import { defaultTable, type DescriptorTable } from './table.js';

/** How a descriptor gets its number. */
export interface DescriptorOptions {
  /** An epoll instance: opened in the core as one. */
  epoll?: boolean;
  /** A fixed number below 3 (stdio's), claimed instead of allocated lowest-free. */
  fd?: number;
}

/**
 * Anything with a descriptor number: sources (sockets, pipes, eventfds), epoll instances.
 * The number is taken lowest-free from the table at construction (or is the fixed `fd` given,
 * for stdio) and released by `close()`.
 */
export abstract class Descriptor {
  /** -1 once closed, like a closed Python socket's `fileno()`. */
  #fd: number;
  readonly table: DescriptorTable;
  abstract readonly kind: string;

  protected constructor(table: DescriptorTable = defaultTable, options?: DescriptorOptions) {
    this.table = table;
    const fd = options?.fd;
    this.#fd = fd === undefined ? table.allocate(this, options) : table.claim(this, fd);
  }

  fileno(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** The fd, or EBADF once closed: for operations that need an open descriptor. */
  protected openFd(what: string): number {
    if (this.#fd < 0) throw new PosixError('EBADF', `${what} on a closed ${this.kind}`);
    return this.#fd;
  }

  /** Reads up to n bytes; null means would block, an empty array EOF. */
  read(_n: number): Uint8Array | null {
    this.openFd('read');
    throw new PosixError('EINVAL', `read is not supported on ${this.kind}`);
  }

  /** Writes what fits; returns the number of bytes accepted (0: would block). */
  write(_data: Uint8Array | string): number {
    this.openFd('write');
    throw new PosixError('EINVAL', `write is not supported on ${this.kind}`);
  }

  /** Closes the descriptor: it leaves every interest list and its number is free again. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.onClose();
    this.table.release(fd);
  }

  /** Kind-specific teardown, run while the number is still ours (before it leaves the core). */
  protected onClose(): void {}

  /** Publishes this source's readiness: its new level, and a wakeup (edge) if `edge` is not 0. */
  protected setReadiness(level: number, edge: number): void {
    if (this.#fd >= 0) this.table.update(this.#fd, level, edge);
  }

  /** setReadiness() from a Node I/O callback (see DescriptorTable.updateFromIo). */
  protected setReadinessFromIo(level: number, edge: number): void {
    if (this.#fd >= 0) this.table.updateFromIo(this.#fd, level, edge);
  }
}

/**
 * Two descriptors made together (pipe(), socketpair()): if the second cannot be made (no number
 * left), the first is closed again, so that a failed call leaves nothing open, as pipe2 does.
 */
export function openPair<A extends Descriptor, B extends Descriptor>(first: () => A, second: () => B): [A, B] {
  const a = first();
  try {
    return [a, second()];
  } catch (error) {
    a.close();
    throw error;
  }
}

import { PosixError } from '../errors.js';
import { defaultTable, type DescriptorTable } from './table.js';

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

  protected constructor(table: DescriptorTable = defaultTable, epoll = false, fd?: number) {
    this.table = table;
    this.#fd = fd === undefined ? table.allocate(this, epoll) : table.claim(this, fd);
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

  /**
   * Publishes this source's readiness: its new level, and a wakeup (edge) if `edge` is not 0.
   * `fromIo` is true when called from a Node I/O callback (see DescriptorTable.update).
   */
  protected setReadiness(level: number, edge: number, fromIo = false): void {
    if (this.#fd >= 0) this.table.update(this.#fd, level, edge, fromIo);
  }
}

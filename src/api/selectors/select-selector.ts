import { FD_SETSIZE } from '../../core/constants.js';
import { defaultTable, type DescriptorTable } from '../../fd/table.js';
import { select } from '../select.js';
import type { WaitOptions } from '../wait.js';
import { BaseSelector, type SelectResult } from './base-selector.js';
import { ValueError } from './errors.js';
import { EVENT_READ, EVENT_WRITE } from './keys.js';

/**
 * A selector on `select()`, like Python's `SelectSelector`: readers and writers are passed as the
 * read and write sets, so readiness is select(2)'s (readable: data, EOF, HUP or ERR; writable:
 * room or ERR). fds at or above FD_SETSIZE (1024) are refused at register with ValueError
 * ('filedescriptor out of range in select()'). Each select() scans every registration (O(n)) and
 * watches the registrations as they were when it was called. select() rejects with EBADF while a
 * registered fd is closed: unregister before closing.
 */
export class SelectSelector<D = unknown> extends BaseSelector<D> {
  readonly #table: DescriptorTable;
  readonly #readers = new Set<number>();
  readonly #writers = new Set<number>();
  /** The two sets as arrays for select(), rebuilt after a change. */
  #readerList: number[] = [];
  #writerList: number[] = [];
  #dirty = false;
  /** Scratch: the ready events of each fd while one result is built (all zero in between). */
  readonly #ready = new Uint8Array(FD_SETSIZE);
  readonly #collect = ([r, w]: [number[], number[], number[]]): SelectResult<D> => this.#results(r, w);

  constructor(table: DescriptorTable = defaultTable) {
    super();
    this.#table = table;
  }

  protected addFd(fd: number, events: number): void {
    if (fd >= FD_SETSIZE) throw new ValueError('filedescriptor out of range in select()');
    this.#setEvents(fd, events);
  }

  protected modifyFd(fd: number, events: number): void {
    this.#setEvents(fd, events);
  }

  protected removeFd(fd: number): void {
    this.#setEvents(fd, 0);
  }

  protected selectFds(timeout: number, options: WaitOptions): Promise<SelectResult<D>> {
    if (this.#dirty) {
      this.#readerList = [...this.#readers];
      this.#writerList = [...this.#writers];
      this.#dirty = false;
    }
    // select() takes its table in the options, beside the signal and scope the wait needs.
    const selectOptions = { ...options, table: this.#table };
    return select(this.#readerList, this.#writerList, [], timeout < 0 ? null : timeout, selectOptions).then(this.#collect);
  }

  protected override closeBackend(): void {
    this.#readers.clear();
    this.#writers.clear();
    this.#dirty = true;
  }

  #setEvents(fd: number, events: number): void {
    if (events & EVENT_READ) this.#readers.add(fd);
    else this.#readers.delete(fd);
    if (events & EVENT_WRITE) this.#writers.add(fd);
    else this.#writers.delete(fd);
    this.#dirty = true;
  }

  /** One entry per ready fd: the readable ones first, then those only writable. */
  #results(r: number[], w: number[]): SelectResult<D> {
    const out: SelectResult<D> = [];
    const ready = this.#ready;
    for (let i = 0; i < r.length; i++) ready[r[i]!] |= EVENT_READ;
    for (let i = 0; i < w.length; i++) ready[w[i]!] |= EVENT_WRITE;
    for (let pass = 0; pass < 2; pass++) {
      const fds = pass === 0 ? r : w;
      for (let i = 0; i < fds.length; i++) {
        const fd = fds[i]!;
        const events = ready[fd]!;
        if (events === 0) continue;
        ready[fd] = 0;
        const key = this.keyOf(fd);
        if (key === undefined) continue;
        if ((events & key.events) !== 0) out.push([key, events & key.events]);
      }
    }
    return out;
  }
}

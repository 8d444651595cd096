import type { FileLike } from '../fileobj.js';

/**
 * What a selector knows about one registration, like Python's `SelectorKey` namedtuple: the
 * file object as registered, its fd, the selector events (EVENT_READ | EVENT_WRITE) and the
 * caller's data. Frozen: register and modify return a new key instead of changing one.
 */
export class SelectorKey<D = unknown> {
  readonly fileobj: FileLike;
  readonly fd: number;
  readonly events: number;
  readonly data: D;

  constructor(fileobj: FileLike, fd: number, events: number, data: D) {
    this.fileobj = fileobj;
    this.fd = fd;
    this.events = events;
    this.data = data;
    Object.freeze(this);
  }
}

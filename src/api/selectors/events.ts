import { ValueError } from './errors.js';

/** The file object is ready for reading (a selector event, not a poll/epoll bit). */
export const EVENT_READ = 1;
/** The file object is ready for writing. */
export const EVENT_WRITE = 2;

/** Throws ValueError unless `events` is EVENT_READ, EVENT_WRITE or both (0 is invalid too). */
export function checkEvents(events: number): void {
  if (events !== EVENT_READ && events !== EVENT_WRITE && events !== (EVENT_READ | EVENT_WRITE)) {
    throw new ValueError(`Invalid events: ${String(events)}`);
  }
}

/**
 * A poll or epoll result as selector events, the way Python maps them: any bit other than the
 * backend's "readable" bit counts as writable and any bit other than its "writable" bit as
 * readable, so ERR, HUP (and POLLNVAL) mean both. The caller then masks with the key's events.
 */
export function fromPollEvents(revents: number, readBit: number, writeBit: number): number {
  return ((revents & ~writeBit) !== 0 ? EVENT_READ : 0) | ((revents & ~readBit) !== 0 ? EVENT_WRITE : 0);
}

/** The backend mask for selector events: readBit for EVENT_READ, writeBit for EVENT_WRITE. */
export function toPollEvents(events: number, readBit: number, writeBit: number): number {
  return (events & EVENT_READ ? readBit : 0) | (events & EVENT_WRITE ? writeBit : 0);
}

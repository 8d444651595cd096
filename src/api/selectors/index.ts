// Python's selectors module on the wasmux core (timeouts in milliseconds): docs/selectors.md.
export { EVENT_READ, EVENT_WRITE } from './events.js';
export { SelectorKey } from './selector-key.js';
export { SelectorMap } from './selector-map.js';
export { BaseSelector, type DataArg, type SelectResult } from './base-selector.js';
export { EpollSelector, DefaultSelector } from './epoll-selector.js';
export { PollSelector } from './poll-selector.js';
export { SelectSelector } from './select-selector.js';
export { ValueError, KeyError, RuntimeError } from './errors.js';

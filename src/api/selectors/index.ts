// Python's selectors module on the wasmux core (timeouts in milliseconds): docs/selectors.md.
export { EVENT_READ, EVENT_WRITE, SelectorKey, SelectorMap } from './keys.js';
export { BaseSelector, type DataArg, type SelectResult } from './base-selector.js';
export { EpollSelector, DefaultSelector, PollSelector } from './poll-like.js';
export { SelectSelector } from './select-selector.js';
export { ValueError, KeyError, RuntimeError } from './errors.js';

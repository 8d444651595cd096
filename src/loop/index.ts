// The asyncio-shaped callback event loop (docs/event-loop.md).
export { EventLoop, MAXIMUM_SELECT_TIMEOUT, type ExceptionHandler } from './event-loop.js';
export { Handle, TimerHandle, type ExceptionContext, type HandleKind } from './handle.js';
export type { LoopSelector } from './selector.js';
export type { Acceptor, IntoReceiver, Receiver, Sender } from './socket-helpers.js';

// wasmux: Linux epoll/poll/select semantics on a WebAssembly core, for Node.js, Bun and Deno.
// The public API is what the README's "What is in it" table documents; the core's own ABI is
// for embedders through the WebAssembly API (docs/core-abi.md), not through this module.
export * from './core/constants.js';
export { PosixError } from './errors.js';
export { DescriptorTable, defaultTable } from './fd/table.js';
export { Epoll, type EpollItemInfo } from './api/epoll.js';
export { Events } from './api/events.js';
export { Poll, type PollEntryInfo } from './api/poll.js';
export { select, type SelectOptions } from './api/select.js';
export { AbortError, FAIRNESS_MS, FAIRNESS_RESULTS, type WaitOptions } from './api/wait.js';
export type { FileLike } from './api/fileobj.js';
export {
  EVENT_READ, EVENT_WRITE, SelectorKey, SelectorMap, BaseSelector, DefaultSelector, EpollSelector, PollSelector,
  SelectSelector, ValueError, KeyError, RuntimeError, type DataArg, type SelectResult,
} from './api/selectors/index.js';
export {
  EventLoop, Handle, TimerHandle, MAXIMUM_SELECT_TIMEOUT, type ExceptionContext, type ExceptionHandler, type HandleKind,
  type LoopSelector, type Acceptor, type IntoReceiver, type Receiver, type Sender,
} from './loop/index.js';
export { Socket, socketpair, DEFAULT_SOCKET_CAPACITY, type SocketpairOptions } from './sources/socket.js';
export { SHUT_RD, SHUT_WR, SHUT_RDWR } from './sources/wakeup-keys.js';
export { pipe, PipeReader, PipeWriter, PIPE_BUF, DEFAULT_PIPE_CAPACITY } from './sources/pipe.js';
export { eventfd, EventFd, EVENTFD_MAX } from './sources/eventfd.js';
export { read, write, close } from './fd/syscalls.js';
export { listen, Listener } from './sources/tcp/listener.js';
export { connect } from './sources/tcp/connect.js';
export { TcpSocket } from './sources/tcp/tcp-socket.js';
export { tcpPaths, type TcpPaths } from './sources/tcp/paths.js';
export type { SocketAddress } from './sources/tcp/address.js';
export {
  DEFAULT_TCP_RECEIVE_CAPACITY, DEFAULT_TCP_SEND_CAPACITY, DEFAULT_BACKLOG,
  type TcpSocketOptions, type ListenOptions, type ConnectOptions,
} from './sources/tcp/options.js';
export {
  stdin, stdout, stderr, StdinReader, StdioWriter, DEFAULT_STDIO_CAPACITY, type StdinOptions, type StdoutOptions,
} from './sources/stdio.js';
export {
  startSelectorsEchoServer, SELECTORS, type SelectorName, type SelectorsEchoOptions, type SelectorsEchoServer,
} from './cli/echo-server.js';
export { runWasi, WasiTrapError, type InputSource, type OutputTarget, type RunWasiOptions, type RunWasiResult } from './wasi/run-wasi.js';

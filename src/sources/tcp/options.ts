import { PosixError } from '../../errors.js';
import { defaultTable, type DescriptorTable } from '../../fd/table.js';

/** Bytes a TCP socket buffers as received and not yet read, by default (a full buffer pauses reading). */
export const DEFAULT_TCP_RECEIVE_CAPACITY = 262144;
/** Bytes a TCP socket accepts from send() and holds until Node has written them, by default. */
export const DEFAULT_TCP_SEND_CAPACITY = 262144;
/** listen(2)'s backlog by default: Node's, and Linux's SOMAXCONN since 5.4 is 4096 (it clamps). */
export const DEFAULT_BACKLOG = 511;

/** The buffers of a TCP socket, and the table its number comes from. */
export interface TcpSocketOptions {
  /** Receive buffer, in bytes (SO_RCVBUF's role); default 262144. */
  receiveCapacity?: number;
  /** Send buffer, in bytes (SO_SNDBUF's role); default 262144. */
  sendCapacity?: number;
  /** The descriptor table; default the process's table. */
  table?: DescriptorTable;
}

/** listen(): where, and the options of every accepted socket. */
export interface ListenOptions extends TcpSocketOptions {
  /** An IP address or 'localhost'; default '127.0.0.1'. */
  host?: string;
  /** Default 0: the system picks a free port (see `Listener.address()`). */
  port?: number;
  /** Connections the system queues before accept(); default 511. */
  backlog?: number;
}

/** connect(): the peer, and the socket's options. */
export interface ConnectOptions extends TcpSocketOptions {
  /** An IP address or 'localhost'; default '127.0.0.1'. */
  host?: string;
  port: number;
}

/** TcpSocketOptions with every default applied and checked. */
export interface SocketSettings {
  receiveCapacity: number;
  sendCapacity: number;
  table: DescriptorTable;
}

export function socketSettings(options: TcpSocketOptions, what: string): SocketSettings {
  return {
    receiveCapacity: capacity(options.receiveCapacity, DEFAULT_TCP_RECEIVE_CAPACITY, `${what}: receiveCapacity`),
    sendCapacity: capacity(options.sendCapacity, DEFAULT_TCP_SEND_CAPACITY, `${what}: sendCapacity`),
    table: options.table ?? defaultTable,
  };
}

export function checkBacklog(backlog: unknown, what: string): number {
  if (typeof backlog !== 'number' || !Number.isSafeInteger(backlog) || backlog < 0) {
    throw new PosixError('EINVAL', `${what}: backlog must be a non-negative integer, got ${String(backlog)}`);
  }
  return backlog;
}

function capacity(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new PosixError('EINVAL', `${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

import {
  EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRBAND, EPOLLWRNORM,
} from '../core/constants.js';
import { PosixError } from '../errors.js';
import { openPair } from '../fd/descriptor.js';
import { defaultTable, type DescriptorTable } from '../fd/table.js';
import { ByteQueue, toBytes } from './byte-queue.js';
import { queueReads, StreamSocket, type ReadQueue } from './read-rules.js';
import { DATA_READY, WAKE_ALL, WRITE_SPACE } from './wakeup-keys.js';

/**
 * Bytes each direction buffers by default. Linux sizes AF_UNIX buffers by SO_SNDBUF (about
 * 208 KiB of accounted memory, skb overhead included); 64 KiB of payload is in the same range and
 * matches the default pipe size.
 */
export const DEFAULT_SOCKET_CAPACITY = 65536;

// The kernel's sk_shutdown bits: RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2 (shutdown's how + 1).
const RCV_SHUTDOWN = 1;
const SEND_SHUTDOWN = 2;
const SHUTDOWN_MASK = 3;

export interface SocketpairOptions {
  /** Bytes each direction buffers (the receiver's buffer); default 65536. */
  capacity?: number;
  /** The descriptor table the two ends are numbered in; default the process's table. */
  table?: DescriptorTable;
}

/**
 * One end of a connected AF_UNIX stream pair, made by `socketpair()`; non-blocking, so calls that
 * would block return null or 0 instead. Each direction is a bounded buffer of `capacity` bytes
 * (default 65536, `DEFAULT_SOCKET_CAPACITY`) owned by the receiving end.
 *
 * Readiness follows Linux's unix_poll():
 * - IN|RDNORM while bytes are buffered, or once the receive side is shut (own SHUT_RD, peer
 *   SHUT_WR, peer closed), so that the EOF can be read; RDHUP too in that case.
 * - OUT|WRNORM|WRBAND while the peer's buffer has room, and after the peer closed (the buffer is
 *   gone; sends then fail at once with EPIPE instead of blocking).
 * - HUP once both directions are shut for this end.
 * - ERR while a connection reset is pending: the peer closed with data it had not read. recv
 *   returns what is buffered, then throws ECONNRESET once (which clears ERR), then EOF.
 * - ERR, for good, after a send to a closed peer failed with EPIPE. This is wasmux's rule, not
 *   AF_UNIX's (Linux sets no sk_err there); it is what a TCP socket shows once the peer answers
 *   such a send with a reset, and socketpair ends share the TCP socket's methods and readiness.
 *
 * Wakeups (edges): every arrival of data, every read by the peer that frees room (while we are
 * writable), and every shutdown or close (with the whole new level, as the kernel wakes everyone).
 */
export class Socket extends StreamSocket {
  readonly kind = 'socket';
  /** Bytes each direction buffers. */
  readonly capacity: number;
  /** What the peer sent us. */
  readonly #rx: ByteQueue;
  /** The peer's #rx, where our sends go. Kept after the peer closed: it is empty then. */
  #tx: ByteQueue;
  #peer: Socket | null = null;
  /** RCV_SHUTDOWN | SEND_SHUTDOWN, set by our shutdown() and by the peer's (mirrored). */
  #shutdown = 0;
  /** The pending sk_err, reported once by recv. */
  #error: 'ECONNRESET' | null = null;
  /** A send to the closed peer failed with EPIPE: ERR from then on. */
  #brokenPipe = false;
  /** The receive buffer under the shared read rules (read-rules.ts). */
  protected readonly reads: ReadQueue;

  /** Use `socketpair()`: a Socket is always one end of a connected pair. */
  private constructor(capacity: number, table: DescriptorTable) {
    super(table);
    this.capacity = capacity;
    this.#rx = new ByteQueue(capacity);
    this.#tx = this.#rx; // replaced by the peer's buffer in pair()
    this.reads = queueReads(this.#rx, () => this.#drained(), () => this.#afterRead());
  }

  /** Makes a connected pair; exposed as `socketpair()`. */
  static pair(options: SocketpairOptions = {}): [Socket, Socket] {
    const capacity = options.capacity ?? DEFAULT_SOCKET_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new PosixError('EINVAL', `capacity must be a positive integer, got ${String(capacity)}`);
    }
    const table = options.table ?? defaultTable;
    const [a, b] = openPair(() => new Socket(capacity, table), () => new Socket(capacity, table));
    a.#peer = b;
    b.#peer = a;
    a.#tx = b.#rx;
    b.#tx = a.#rx;
    a.#publish(0);
    b.#publish(0);
    return [a, b];
  }

  /**
   * Sends what fits in the peer's buffer: all of data, part of it, or 0 when the buffer is full
   * (would block). Strings are sent as UTF-8. EPIPE once this end cannot send: own SHUT_WR, peer
   * SHUT_RD, or peer closed.
   */
  send(data: Uint8Array | string): number {
    this.openFd('send');
    const bytes = toBytes(data);
    // unix_stream_sendmsg checks SEND_SHUTDOWN first (even for 0 bytes) and fails with EPIPE.
    if (this.#shutdown & SEND_SHUTDOWN) {
      if (this.#peer === null && !this.#brokenPipe) {
        this.#brokenPipe = true;
        this.#publish(EPOLLERR);
      }
      throw new PosixError('EPIPE', 'send on a socket that cannot send');
    }
    if (bytes.length === 0) return 0;
    const n = this.#tx.push(bytes);
    if (n > 0) {
      this.#publish(0); // our OUT may be gone
      const peer = this.#peer;
      if (peer) peer.#publish(DATA_READY); // every chunk is a wakeup: ET readers rely on it
    }
    return n;
  }

  protected override shutdownChecked(how: number): void {
    // unix_shutdown: set our bits, then mirror them on the peer (our RCV is its SEND and vice
    // versa), and wake both ends. Data already buffered stays readable.
    const mode = how + 1;
    this.#shutdown |= mode;
    this.#publish(WAKE_ALL);
    const peer = this.#peer;
    if (peer) {
      peer.#shutdown |= ((mode & RCV_SHUTDOWN) ? SEND_SHUTDOWN : 0) | ((mode & SEND_SHUTDOWN) ? RCV_SHUTDOWN : 0);
      peer.#publish(WAKE_ALL);
    }
  }

  protected override onClose(): void {
    const peer = this.#peer;
    this.#peer = null;
    if (peer) {
      // unix_release_sock: the peer can neither send nor receive any more; if we die with unread
      // data, the peer gets ECONNRESET (sk_err). Our buffer is purged, so the peer is writable
      // again and its sends fail with EPIPE at once.
      peer.#peer = null;
      peer.#shutdown = SHUTDOWN_MASK;
      if (this.#rx.size > 0) peer.#error = 'ECONNRESET';
      this.#rx.clear();
      peer.#publish(WAKE_ALL);
    }
  }

  /** Bytes were read: updates both levels. */
  #afterRead(): void {
    this.#publish(0);
    // unix_write_space: each consumed chunk wakes the writer with OUT if it is writable (it is:
    // we just freed room in its buffer).
    const peer = this.#peer;
    if (peer) peer.#publish(WRITE_SPACE);
  }

  /**
   * The receive buffer is empty: like unix_stream_read_generic, report a pending error once
   * (which clears it), then EOF if the receive side is shut. True at EOF, false if it would block.
   */
  #drained(): boolean {
    const error = this.#error;
    if (error !== null) {
      this.#error = null;
      this.#publish(0);
      throw new PosixError(error, 'the peer closed with unread data');
    }
    return (this.#shutdown & RCV_SHUTDOWN) !== 0;
  }

  /** The level, always recomputed from the state (Linux's unix_poll for a stream socket). */
  #level(): number {
    let level = 0;
    if (this.#error !== null || this.#brokenPipe) level |= EPOLLERR;
    if (this.#shutdown === SHUTDOWN_MASK) level |= EPOLLHUP;
    if (this.#shutdown & RCV_SHUTDOWN) level |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
    if (this.#rx.size > 0) level |= EPOLLIN | EPOLLRDNORM;
    // Room in the peer's buffer. (Linux's unix_writable has hysteresis: writable only while at
    // most a quarter of SO_SNDBUF is in flight; we keep the plain rule.) Shutdowns do not clear
    // it, as in unix_poll ("This prevents stuck sockets"): a send then fails with EPIPE at once.
    if (this.#tx.free > 0) level |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
    return level;
  }

  /** Publishes the level, with a wakeup `key` (WAKE_ALL: the new level itself; 0: none). */
  #publish(key: number): void {
    const level = this.#level();
    this.setReadiness(level, key === WAKE_ALL ? level : key);
  }
}

/**
 * socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK): two connected sockets, numbered lowest-free
 * (the first gets the lower number). Each direction buffers `capacity` bytes (default 65536).
 */
export function socketpair(options?: SocketpairOptions): [Socket, Socket] {
  return Socket.pair(options);
}

import type { Socket as NodeSocket } from 'node:net';
import {
  EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRNORM,
  type ErrnoCode,
} from '../../core/constants.js';
import { PosixError } from '../../errors.js';
import { toBytes } from '../byte-queue.js';
import { queueReads, StreamSocket, type ReadQueue } from '../read-rules.js';
import { toSocketAddress, type SocketAddress } from './address.js';
import { ChunkQueue } from '../chunk-queue.js';
import { SendBuffer } from '../send-buffer.js';
import { errnoCodeOf } from '../system-errors.js';
import { DATA_READY, SHUT_RD, SHUT_WR, WAKE_ALL, WRITE_SPACE } from '../wakeup-keys.js';
import type { SocketSettings } from './options.js';
import { DirectWriter, withUserBufferReads, type ReadCallback } from './net-internals.js';
import { probeAfterEof } from './reset-probe.js';
import { blockFor, type ReceiveBlock } from './receive-blocks.js';
import { copyForSend } from './send-copy-arena.js';
import { corkForThisTurn, currentTurn } from './write-batch.js';

/** Where a socket made with `onreadOption` sends its reads once its TcpSocket exists. */
export interface ReadSink {
  deliver?: ReadCallback;
}

/**
 * A non-blocking TCP socket over node:net, made by `connect()` or `Listener.accept()`. It has the
 * socketpair Socket's stream methods (recv, recvInto, send, shutdown, close; null or 0 mean
 * "would block", an empty recv is EOF), a zero-copy read path (peek, then consume) and the
 * socket options a TCP program uses.
 *
 * Receive side: Node's chunks are queued as they arrive, up to `receiveCapacity` (default
 * 256 KiB). Once that is reached the Node socket is paused, so TCP flow control holds the peer
 * back; a read that brings the queue below it resumes reading. (A read already under way in Node
 * can add one more chunk, at most 64 KiB, past the mark.)
 *
 * Send side: `send` copies what fits in `sendCapacity` (default 256 KiB) and hands it to Node.
 * Those bytes count as buffered until Node reports them written to the kernel, so a sender whose
 * peer never reads sees send return 0 and OUT clear. The first send of a turn is written at once;
 * later sends of the same turn are corked and leave together in one writev when it ends.
 *
 * Readiness follows Linux's tcp_poll:
 * - IN|RDNORM while received bytes are queued, or once the receive side is finished (peer FIN,
 *   own SHUT_RD, reset), so the EOF can be read; RDHUP too in that case.
 * - OUT|WRNORM while the send buffer holds less than `sendCapacity`, and once the send side is
 *   finished (a send then fails at once instead of waiting). Nothing while connecting.
 * - ERR while an error is pending (connect refused, reset...): recv reports it once, after the
 *   queued bytes, send at once; getError() reads and clears it like SO_ERROR.
 * - HUP once both directions are finished, or the connection was reset, refused or destroyed.
 *
 * Wakeups (edges): each arrival of data; connect completing; the send buffer draining to half
 * its capacity after it was full; FIN, error, reset and shutdown (with the whole new level).
 */
export class TcpSocket extends StreamSocket {
  readonly kind = 'tcp';
  /** Receive buffer size: reading pauses when this many bytes are queued. */
  readonly receiveCapacity: number;
  /** Send buffer size: send accepts bytes while fewer than this many are unwritten. */
  readonly sendCapacity: number;
  /**
   * How Node hands over received bytes: 'onread' into one reused buffer (copied once into a
   * receive block), or 'data' events (the fallback for accepted sockets where net-internals.ts cannot
   * move them).
   */
  readonly readPath: 'onread' | 'data' = 'onread';
  readonly #socket: NodeSocket;
  /** What Node holds of our sends, and the wakeup of a writer that found it full. */
  readonly #sendBuffer: SendBuffer;
  /** Sends straight to the kernel's socket when Node has nothing queued (net-internals.ts). */
  readonly #direct: DirectWriter;
  readonly #rx = new ChunkQueue();
  #connecting: boolean;
  /** The peer's FIN arrived (Node's 'end'). */
  #peerFin = false;
  #shutRd = false;
  #shutWr = false;
  /** The connection is over: reset, refused, or its Node socket closed. */
  #gone = false;
  /** SO_ERROR: reported once, by recv, send or getError. */
  #pendingError: ErrnoCode | null = null;
  /** The error that ended the connection, kept for `error`. */
  #error: ErrnoCode | null = null;
  /** We paused the Node socket because the receive buffer is full. */
  #paused = false;
  /** Taking Node's buffered chunks by hand after an error: ignore 'data' meanwhile. */
  #salvaging = false;
  /** SO_LINGER with a time of 0: close() resets the connection. */
  #abortiveClose = false;
  /** The turn of our last send (write-batch.ts): a second send in one turn corks. */
  #sendTurn = -1;
  #local: SocketAddress | null = null;
  #remote: SocketAddress | null = null;
  /** The receive queue under the shared read rules (read-rules.ts); recv() takes a view, without a copy, when the bytes lie in one chunk. */
  protected readonly reads: ReadQueue = queueReads(this.#rx, () => this.#drained(), () => this.#afterRead());

  /**
   * @internal Use `connect()` or `Listener.accept()`. Takes over `socket`, which must have been
   * made with allowHalfOpen and be connecting (`connecting`) or connected and not yet read from.
   * `reads`: the socket was made with `onreadOption` around it; its reads are delivered here.
   * Without it, an accepted socket is moved to user-buffer reads where Node allows
   * (net-internals.ts), and otherwise reads come as 'data' events. `received`: bytes the
   * runtime read before the socket was handed over (a queued connection that failed).
   */
  constructor(socket: NodeSocket, connecting: boolean, settings: SocketSettings, reads?: ReadSink, received: Uint8Array[] = []) {
    super(settings.table);
    this.receiveCapacity = settings.receiveCapacity;
    this.sendCapacity = settings.sendCapacity;
    this.#connecting = connecting;
    if (reads) {
      reads.deliver = this.#onRead;
    } else {
      const moved = connecting ? null : withUserBufferReads(socket, this.#onRead);
      if (moved === null) {
        socket.on('data', this.#onData);
        this.readPath = 'data';
      } else {
        socket = moved;
      }
    }
    this.#socket = socket;
    this.#direct = new DirectWriter(socket);
    this.#sendBuffer = new SendBuffer(socket, settings.sendCapacity, () => {
      if (!this.closed) this.#publishFromIo(WRITE_SPACE);
    });
    for (const chunk of received) this.#rx.push(chunk);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onNodeClose);
    if (socket.destroyed) {
      // Accepted after it died (e.g. its listener's peer reset it before we read anything).
      this.#connecting = false;
      this.#gone = true;
      if (socket.errored) this.#pendingError = this.#error = errnoCodeOf(socket.errored);
    } else if (connecting) {
      socket.once('connect', this.#onConnect);
    } else {
      this.#learnAddresses();
      socket.resume(); // accepted sockets come paused (pauseOnConnect): start reading now
    }
    this.#publish(0);
  }

  /**
   * Zero-copy read, step 1: a view of the received bytes at the front (as many as lie in one
   * chunk of Node's), without consuming them; null if none (would block), empty at EOF. The
   * view is only good until the next recv, consume or close.
   */
  peek(): Uint8Array | null {
    this.openFd('peek');
    if (this.#rx.size === 0) return this.#drained() ? new Uint8Array(0) : null;
    return this.#rx.front();
  }

  /** Zero-copy read, step 2: drops the first n received bytes (1 <= n <= receiveQueued, else EINVAL). */
  consume(n: number): void {
    this.openFd('consume');
    if (!Number.isSafeInteger(n) || n <= 0 || n > this.#rx.size) {
      throw new PosixError('EINVAL', `consume needs 1..${this.#rx.size} bytes, got ${String(n)}`);
    }
    this.#rx.discard(n);
    this.#afterRead();
  }

  /**
   * Sends what fits in the send buffer: all of data, part of it, or 0 when the buffer is full or
   * the connection is still being made (would block). Strings are sent as UTF-8. A pending error
   * is thrown (once); after that, and after SHUT_WR, EPIPE.
   */
  send(data: Uint8Array | string): number {
    this.openFd('send');
    // Node keeps what it is given until it is written: it gets our own copy, unless the bytes
    // are ours already (a string's encoding).
    return this.#send(toBytes(data), typeof data !== 'string');
  }

  /**
   * Zero-copy write: like send, but hands `data` itself to the kernel's side instead of copying
   * it. The caller gives up the bytes it accepted (the return value): they must not be modified
   * afterwards. Made for forwarding what `peek()` returned, which nobody writes again:
   * `const n = out.sendZeroCopy(src.peek()); src.consume(n)` moves bytes with no copy at all.
   */
  sendZeroCopy(data: Uint8Array): number {
    this.openFd('send');
    if (!(data instanceof Uint8Array)) throw new PosixError('EINVAL', 'sendZeroCopy needs a Uint8Array');
    return this.#send(data, false);
  }

  #send(bytes: Uint8Array, copy: boolean): number {
    // tcp_sendmsg's order: not connected yet, then sk_err, then SEND_SHUTDOWN.
    const error = this.#takeError();
    if (error !== null) throw new PosixError(error, 'send on a failed connection');
    if (this.#shutWr || this.#gone) throw new PosixError('EPIPE', 'send on a socket that cannot send');
    const buffer = this.#sendBuffer;
    if (this.#connecting) {
      buffer.markFull();
      return 0;
    }
    if (bytes.length === 0) return 0;
    const socket = this.#socket;
    const room = buffer.room();
    if (room === 0) return 0;
    const n = Math.min(bytes.length, room);
    // The first send of a turn is written at once, straight to the kernel when Node has nothing
    // queued; from the second on, the socket is corked until the turn ends, so that the rest
    // leave together in one writev.
    const turn = currentTurn();
    let done = 0;
    if (this.#sendTurn === turn) {
      corkForThisTurn(socket);
    } else if (room === this.sendCapacity) {
      done = Math.max(0, this.#direct.write(bytes, n));
      if (done === n) {
        this.#sendTurn = turn;
        return n;
      }
    }
    this.#sendTurn = turn;
    const rest = done === 0 && n === bytes.length ? bytes : bytes.subarray(done, n);
    socket.write(copy ? copyForSend(rest, rest.length) : rest, buffer.written);
    if (buffer.filledUp()) this.#publish(0); // OUT is gone
    return n;
  }

  /**
   * shutdown(): SHUT_WR's FIN follows what was sent, and the peer reads EOF once it has arrived.
   * ENOTCONN while connecting and after the connection is over.
   */
  protected override shutdownChecked(how: number): void {
    if (this.#connecting || this.#gone) throw new PosixError('ENOTCONN', 'shutdown of a socket that is not connected');
    // SHUT_RD sends nothing (as in Linux): later arrivals are still queued and readable.
    if (how !== SHUT_WR) this.#shutRd = true;
    if (how !== SHUT_RD && !this.#shutWr) {
      this.#shutWr = true;
      this.#socket.end(); // FIN after what is buffered (end() uncorks)
    }
    this.#publish(WAKE_ALL);
  }

  /** SO_ERROR: the pending error code, cleared by reading it (ERR goes with it), or null. */
  getError(): ErrnoCode | null {
    this.openFd('getError');
    return this.#takeError();
  }

  /** The error that ended the connection (refused, reset...), or null; reading it clears nothing. */
  get error(): ErrnoCode | null {
    return this.#error;
  }

  /** Bytes received and not yet read (SIOCINQ). */
  get receiveQueued(): number {
    return this.#rx.size;
  }

  /** Bytes accepted by send and not yet written to the kernel (SIOCOUTQ's part that is ours). */
  get sendQueued(): number {
    return this.#gone ? 0 : this.#sendBuffer.queued;
  }

  /** getsockname(2): the local endpoint (0.0.0.0:0 while Node does not know it yet). */
  localAddress(): SocketAddress {
    this.openFd('localAddress');
    if (this.#local === null) this.#learnAddresses();
    return { ...(this.#local ?? { address: '0.0.0.0', family: 'IPv4', port: 0 }) };
  }

  /** getpeername(2): the peer's endpoint; ENOTCONN while connecting or if the connection failed. */
  remoteAddress(): SocketAddress {
    this.openFd('remoteAddress');
    if (this.#remote === null) throw new PosixError('ENOTCONN', 'the socket is not connected');
    return { ...this.#remote };
  }

  /** TCP_NODELAY: true sends small writes at once instead of coalescing them (Nagle). */
  setNoDelay(enable = true): void {
    this.openFd('setNoDelay');
    this.#socket.setNoDelay(enable);
  }

  /** SO_KEEPALIVE, with the idle time before the first probe in milliseconds (0: the system's). */
  setKeepAlive(enable = true, initialDelayMs = 0): void {
    this.openFd('setKeepAlive');
    if (!Number.isSafeInteger(initialDelayMs) || initialDelayMs < 0) {
      throw new PosixError('EINVAL', `initialDelayMs must be a non-negative integer, got ${String(initialDelayMs)}`);
    }
    this.#socket.setKeepAlive(enable, initialDelayMs);
  }

  /**
   * SO_LINGER. `setLinger(true, 0)` makes close() abortive, as on Linux: the connection is reset
   * (RST) and whatever is still unsent is dropped. `setLinger(false)` restores the graceful close
   * (flush, then FIN, in the background). A positive linger time would make close() wait, which a
   * non-blocking close cannot do: EINVAL.
   */
  setLinger(enable: boolean, seconds = 0): void {
    this.openFd('setLinger');
    if (enable && seconds !== 0) throw new PosixError('EINVAL', `only a linger time of 0 (an abortive close) is supported, got ${String(seconds)}`);
    this.#abortiveClose = enable;
  }

  /**
   * Like Linux's tcp_close: with received bytes still unread, or after setLinger(true, 0), the
   * connection is reset (RST, and whatever we had not sent is dropped); otherwise what was sent is
   * flushed and a FIN follows, in the background (SO_LINGER off). A connection still being made is
   * abandoned.
   */
  protected override onClose(): void {
    const socket = this.#socket;
    const unread = this.#rx.size > 0 || socket.readableLength > 0;
    this.#rx.clear();
    if (socket.destroyed) return;
    if (this.#connecting) {
      socket.destroy();
    } else if (unread || this.#abortiveClose) {
      socket.resetAndDestroy();
    } else {
      socket.pause(); // what arrives from now on stays in the kernel, which resets it at the end
      if (!socket.writableEnded) socket.end();
      if (socket.writableFinished) socket.destroy();
      else socket.once('finish', () => socket.destroy());
    }
  }

  readonly #onConnect = (): void => {
    if (this.closed || this.#gone) return;
    this.#connecting = false;
    this.#learnAddresses();
    this.#publishFromIo(WAKE_ALL);
  };

  /** A read into the shared user buffer: copy it to the end of the receive blocks' tail. */
  readonly #onRead = (n: number, buffer: Buffer): void => {
    if (this.closed) return;
    const block = blockFor(n);
    this.#received(block.append(buffer, n)!, block);
  };

  /** A chunk of Node's own ('data' events, the fallback): kept by reference. */
  readonly #onData = (chunk: Buffer): void => {
    if (this.#salvaging) return;
    this.#received(chunk, undefined);
  };

  #received(chunk: Uint8Array, owner: ReceiveBlock | undefined): void {
    if (this.closed) return;
    this.#rx.push(chunk, owner);
    if (!this.#paused && this.#rx.size >= this.receiveCapacity) {
      this.#paused = true;
      this.#socket.pause(); // TCP flow control now pushes back on the peer
    }
    this.#publishFromIo(DATA_READY);
  }

  readonly #onEnd = (): void => {
    if (this.closed) return;
    // The runtime's EOF may hide a reset (see reset-probe.ts): ask, as recv(2) would.
    const probe = probeAfterEof(this.#socket, this.#shutWr);
    if (probe !== undefined) {
      for (const chunk of probe.chunks) this.#rx.push(chunk);
      if (probe.code !== null) {
        this.#fail(errnoCodeOf({ code: probe.code }));
        this.#socket.destroy();
        return;
      }
    }
    this.#peerFin = true;
    this.#publishFromIo(WAKE_ALL);
  };

  readonly #onError = (error: Error): void => {
    if (this.closed) return;
    // Node drops what it buffered when it destroys the socket; take it first, so that the bytes
    // received before the error stay readable before it (recv reports the error after them).
    const socket = this.#socket;
    if (socket.readableLength > 0) {
      this.#salvaging = true;
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) this.#rx.push(chunk);
      this.#salvaging = false;
    }
    this.#fail(errnoCodeOf(error));
  };

  readonly #onNodeClose = (): void => {
    if (this.closed || this.#gone) return;
    this.#connecting = false;
    this.#gone = true;
    this.#publishFromIo(WAKE_ALL);
  };

  #fail(code: ErrnoCode): void {
    this.#connecting = false;
    this.#gone = true;
    this.#pendingError = code;
    this.#error = code;
    this.#publishFromIo(WAKE_ALL);
  }

  #takeError(): ErrnoCode | null {
    const error = this.#pendingError;
    if (error !== null) {
      this.#pendingError = null;
      this.#publish(0); // ERR is gone
    }
    return error;
  }

  /**
   * The receive queue is empty: EOF, would block, or the pending error. Like tcp_recvmsg, a
   * FIN already received means EOF, then a pending error is reported once.
   */
  #drained(): boolean {
    if (this.#peerFin) return true;
    const error = this.#takeError();
    if (error !== null) throw new PosixError(error, 'recv on a failed connection');
    return this.#shutRd || this.#gone;
  }

  #afterRead(): void {
    if (this.#paused && this.#rx.size < this.receiveCapacity) {
      this.#paused = false;
      if (!this.#socket.destroyed) this.#socket.resume();
    }
    if (this.#rx.size === 0) this.#publish(0); // IN may be gone
  }

  #learnAddresses(): void {
    const s = this.#socket;
    this.#local ??= toSocketAddress(s.localAddress, s.localFamily, s.localPort);
    this.#remote ??= toSocketAddress(s.remoteAddress, s.remoteFamily, s.remotePort);
  }

  /** The level, always recomputed from the state (Linux's tcp_poll). */
  #level(): number {
    let level = this.#pendingError !== null ? EPOLLERR : 0;
    if (this.#connecting) return level; // SYN_SENT: nothing yet
    const receiveDone = this.#peerFin || this.#shutRd || this.#gone;
    const sendDone = this.#shutWr || this.#gone;
    if (receiveDone && sendDone) level |= EPOLLHUP;
    if (receiveDone) level |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
    else if (this.#rx.size > 0) level |= EPOLLIN | EPOLLRDNORM;
    if (sendDone || this.#sendBuffer.hasRoom) level |= EPOLLOUT | EPOLLWRNORM;
    return level;
  }

  /** Publishes the level, with a wakeup `key` (WAKE_ALL: the new level itself; 0: none). */
  #publish(key: number): void {
    const level = this.#level();
    this.setReadiness(level, key === WAKE_ALL ? level : key);
  }

  /** #publish from a node:net callback: waiters are rechecked once after this turn's I/O. */
  #publishFromIo(key: number): void {
    const level = this.#level();
    this.setReadinessFromIo(level, key === WAKE_ALL ? level : key);
  }
}


import { PosixError } from '../errors.js';
import { Descriptor } from '../fd/descriptor.js';
import { SHUT_RD, SHUT_RDWR, SHUT_WR } from './wakeup-keys.js';

/**
 * The read rules every byte-stream source shares (socketpair ends, pipe readers, stdin, TCP
 * sockets), in one place: a bad size or buffer is EINVAL; with bytes queued the read takes them;
 * with none it asks the source whether it is at EOF (an empty result), still open (null or
 * "would block") or failed (the pending error is thrown, once). The caller checks that its fd is
 * open first (Descriptor.openFd), so EBADF comes before EINVAL, as read(2) does.
 */
export interface ReadQueue {
  /** Bytes queued. */
  size(): number;
  /**
   * The queue is empty: true at EOF, false if a read would block; throws the pending error
   * (clearing it) when there is one, as recv(2) reports sk_err.
   */
  drained(): boolean;
  /** Removes and returns up to n bytes (n >= 1 and at least one byte queued). */
  take(n: number): Uint8Array;
  /** Moves up to buf.length bytes into buf (at least one byte queued); returns how many. */
  readInto(buf: Uint8Array): number;
}

/** read(2)/recv(2) of up to n bytes: the bytes, an empty array at EOF, or null if it would block. */
export function readBytes(queue: ReadQueue, n: number, call: string): Uint8Array | null {
  if (!Number.isSafeInteger(n) || n <= 0) throw new PosixError('EINVAL', `${call} size must be a positive integer, got ${String(n)}`);
  if (queue.size() === 0) return queue.drained() ? new Uint8Array(0) : null;
  return queue.take(n);
}

/** The same into a caller's buffer: the count, 0 at EOF, or null if it would block. */
export function readIntoBuffer(queue: ReadQueue, buf: Uint8Array, call: string): number | null {
  if (!(buf instanceof Uint8Array) || buf.length === 0) throw new PosixError('EINVAL', `${call}Into needs a non-empty Uint8Array`);
  if (queue.size() === 0) return queue.drained() ? 0 : null;
  return queue.readInto(buf);
}

/** A queue of received bytes: ByteQueue (a bounded ring) or ChunkQueue (Node's chunks). */
interface BytesQueue {
  readonly size: number;
  take(n: number): Uint8Array;
  readInto(buf: Uint8Array): number;
}

/**
 * The ReadQueue of a source that keeps its bytes in `queue`: `drained` answers for the empty
 * queue, and `afterRead` runs after every read that took bytes, with their count (to resume a
 * paused stream, publish the new level, wake writers).
 */
export function queueReads(queue: BytesQueue, drained: () => boolean, afterRead: (n: number) => void): ReadQueue {
  return {
    size: () => queue.size,
    drained,
    take: (n) => {
      const out = queue.take(n);
      afterRead(out.length);
      return out;
    },
    readInto: (buf) => {
      const n = queue.readInto(buf);
      afterRead(n);
      return n;
    },
  };
}

/** A source read with read(2) and its readInto (a pipe's read end, stdin). */
export abstract class ByteReader extends Descriptor {
  /** What read and readInto take from. */
  protected abstract readonly reads: ReadQueue;

  /** Reads up to n bytes: null if none are queued (would block), an empty array at EOF. */
  override read(n: number): Uint8Array | null {
    this.openFd('read');
    return readBytes(this.reads, n, 'read');
  }

  /** Reads into buf: the number of bytes read, 0 at EOF, null if it would block. */
  readInto(buf: Uint8Array): number | null {
    this.openFd('read');
    return readIntoBuffer(this.reads, buf, 'read');
  }
}

/**
 * A connected stream socket (a socketpair end, TCP): recv and recvInto by the read rules,
 * shutdown's check of `how`, and read(2)/write(2) as aliases of recv and send.
 */
export abstract class StreamSocket extends Descriptor {
  /** What recv and recvInto take from. */
  protected abstract readonly reads: ReadQueue;

  /** Sends what fits; 0 if it would block. */
  abstract send(data: Uint8Array | string): number;

  /** Stops the directions `how` (already checked to be SHUT_RD, SHUT_WR or SHUT_RDWR) names. */
  protected abstract shutdownChecked(how: number): void;

  /** Reads up to n bytes: null if none are queued (would block), an empty array at EOF. */
  recv(n: number): Uint8Array | null {
    this.openFd('recv');
    return readBytes(this.reads, n, 'recv');
  }

  /** Reads into buf: the number of bytes read, 0 at EOF, null if it would block. */
  recvInto(buf: Uint8Array): number | null {
    this.openFd('recv');
    return readIntoBuffer(this.reads, buf, 'recv');
  }

  /**
   * Shuts down reception (SHUT_RD), sending (SHUT_WR) or both (SHUT_RDWR); EINVAL for another
   * how. TCP: ENOTCONN while connecting and after the connection is over.
   */
  shutdown(how: number): void {
    this.openFd('shutdown');
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) {
      throw new PosixError('EINVAL', `shutdown how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got ${String(how)}`);
    }
    this.shutdownChecked(how);
  }

  /** Alias of recv (read(2) on a socket). */
  override read(n: number): Uint8Array | null {
    return this.recv(n);
  }

  /** Alias of send (write(2) on a socket). */
  override write(data: Uint8Array | string): number {
    return this.send(data);
  }
}

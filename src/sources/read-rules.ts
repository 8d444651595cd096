import { PosixError } from '../errors.js';

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

/** A queue of received bytes, as ChunkQueue is. */
interface ByteQueue {
  readonly size: number;
  take(n: number): Uint8Array;
  readInto(buf: Uint8Array): number;
}

/**
 * The ReadQueue of a source that keeps its bytes in `queue`: `drained` answers for the empty
 * queue, and `afterRead` runs after every read that took bytes (to resume a paused stream,
 * publish the new level, wake writers).
 */
export function queueReads(queue: ByteQueue, drained: () => boolean, afterRead: () => void): ReadQueue {
  return {
    size: () => queue.size,
    drained,
    take: (n) => {
      const out = queue.take(n);
      afterRead();
      return out;
    },
    readInto: (buf) => {
      const n = queue.readInto(buf);
      afterRead();
      return n;
    },
  };
}

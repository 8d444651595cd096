import { PosixError } from '../errors.js';

/** Smallest chunk allocated by push: tiny writes share a chunk instead of one each. */
const MIN_CHUNK = 1024;
/** Consumed chunk slots are dropped from the array once they are this many and half of it. */
const COMPACT_AT = 64;
/**
 * A queue emptied by a read keeps its last chunk for the next push when it is at most this big:
 * a socket that sends and receives one message at a time would otherwise allocate (and zero) a
 * chunk per message. Reads copy out, so the kept memory is never anyone else's.
 */
const KEEP_CHUNK = 16 * 1024;
const EMPTY = new Uint8Array(0);

/**
 * A bounded FIFO of bytes: the receive buffer of a socket, the buffer of a pipe.
 *
 * Bytes live in chunks (Uint8Array). push copies what fits into the free room of the last chunk
 * and, for the rest, into one new chunk; reads copy whole chunk ranges with `set`. Every operation
 * costs O(1) amortised plus one bulk copy of the bytes moved: nothing is done per byte.
 */
export class ByteQueue {
  readonly capacity: number;
  /** Chunks from #head on hold the bytes; the slots before #head are spent. */
  #chunks: Uint8Array[] = [];
  #head = 0;
  /** Bytes already consumed from the head chunk. */
  #offset = 0;
  /** Bytes filled in the last chunk (the ones before it are full). */
  #tailEnd = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new PosixError('EINVAL', `capacity must be a positive integer, got ${String(capacity)}`);
    }
    this.capacity = capacity;
  }

  /** Bytes buffered. */
  get size(): number {
    return this.#size;
  }

  /** Room left, in bytes. */
  get free(): number {
    return this.capacity - this.#size;
  }

  /** Copies as much of `data` as fits; returns the number of bytes accepted (0 when full). */
  push(data: Uint8Array): number {
    const n = Math.min(data.length, this.capacity - this.#size);
    if (n <= 0) return 0;
    let copied = 0;
    const last = this.#chunks.length - 1;
    if (last >= this.#head) {
      const tail = this.#chunks[last]!;
      copied = Math.min(n, tail.length - this.#tailEnd);
      if (copied > 0) {
        // Whole arrays are copied as they are: subarray of a small array makes V8 move its bytes
        // off the heap first.
        tail.set(copied === data.length ? data : data.subarray(0, copied), this.#tailEnd);
        this.#tailEnd += copied;
      }
    }
    if (copied < n) {
      const rest = n - copied;
      const chunk = new Uint8Array(Math.max(rest, MIN_CHUNK));
      chunk.set(rest === data.length ? data : data.subarray(copied, n));
      this.#chunks.push(chunk);
      this.#tailEnd = rest;
    }
    this.#size += n;
    return n;
  }

  /** Moves up to `buf.length` bytes into `buf`; returns how many (0 when empty). */
  readInto(buf: Uint8Array): number {
    return this.#copy(buf, true);
  }

  /** Removes and returns up to `n` bytes (an empty array when empty). */
  take(n: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, Math.min(n, this.#size)));
    this.#copy(out, true);
    return out;
  }

  /** Returns a copy of up to `n` bytes from the front without consuming them. */
  peek(n: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, Math.min(n, this.#size)));
    this.#copy(out, false);
    return out;
  }

  /** Discards every buffered byte. */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#tailEnd = 0;
    this.#size = 0;
  }

  /** Every byte has been read: start again at the front of the last chunk if it is kept. */
  #emptied(): void {
    const chunks = this.#chunks;
    const last = chunks[chunks.length - 1];
    if (last === undefined || last.length > KEEP_CHUNK) {
      this.clear();
      return;
    }
    if (chunks.length > 1) this.#chunks = [last];
    this.#head = 0;
    this.#offset = 0;
    this.#tailEnd = 0;
  }

  #copy(buf: Uint8Array, consume: boolean): number {
    const want = Math.min(buf.length, this.#size);
    const chunks = this.#chunks;
    const last = chunks.length - 1;
    let index = this.#head;
    let offset = this.#offset;
    let copied = 0;
    while (copied < want) {
      const chunk = chunks[index]!;
      const end = index === last ? this.#tailEnd : chunk.length;
      const k = Math.min(end - offset, want - copied);
      buf.set(chunk.subarray(offset, offset + k), copied);
      copied += k;
      offset += k;
      if (offset === end && index < last) {
        if (consume) chunks[index] = EMPTY; // let the spent chunk be collected now
        index++;
        offset = 0;
      }
    }
    if (!consume) return copied;
    this.#size -= copied;
    if (this.#size === 0) {
      this.#emptied();
    } else {
      this.#head = index;
      this.#offset = offset;
      if (index >= COMPACT_AT && index * 2 >= chunks.length) {
        chunks.splice(0, index);
        this.#head = 0;
      }
    }
    return copied;
  }
}

const encoder = new TextEncoder();

/** The bytes of a send or write: a Uint8Array as is, a string as UTF-8. */
export function toBytes(data: Uint8Array | string): Uint8Array {
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new PosixError('EINVAL', 'data must be a Uint8Array or a string');
}

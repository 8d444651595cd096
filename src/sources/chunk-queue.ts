const EMPTY = new Uint8Array(0);
/** The queued chunks are moved to the front of the arrays once this many slots before them are spent and those are half of the slots in use. */
const COMPACT_AT = 64;

/**
 * Who lends a chunk's memory (tcp/receive-blocks.ts): told when the chunk has been consumed, and
 * marked when part of it was handed out as a view (then its memory must never be reused).
 */
export interface ChunkOwner {
  escaped: boolean;
  consumed(): void;
}

/**
 * A FIFO of received bytes that keeps the chunks it is given by reference: bytes are copied once,
 * when the program reads them, or not at all (take() of bytes inside one chunk and front() return
 * views). A chunk may have an owner that lends its memory and wants it back once consumed.
 *
 * Unlike ByteQueue it has no capacity of its own: the owner decides when to stop feeding it
 * (a TCP socket pauses its Node socket).
 */
export class ChunkQueue {
  /**
   * Slots #head to #tail hold the chunks, oldest first. The arrays only grow (to the most chunks
   * ever queued at once): emptying the queue moves #head and #tail back to 0 instead of setting
   * `length`, which V8 does through a runtime call (measured in bench/RESULTS.md, echo-changes).
   */
  #chunks: Uint8Array[] = [];
  /** The owner of each chunk, if any, at the same index. */
  #owners: (ChunkOwner | undefined)[] = [];
  #head = 0;
  #tail = 0;
  /** Bytes already consumed from the head chunk. */
  #offset = 0;
  #size = 0;

  /** Bytes queued. */
  get size(): number {
    return this.#size;
  }

  /** Appends `chunk` without copying it: the caller must not change it afterwards. */
  push(chunk: Uint8Array, owner?: ChunkOwner): void {
    if (chunk.length === 0) {
      owner?.consumed();
      return;
    }
    const tail = this.#tail;
    if (tail === this.#chunks.length) {
      this.#chunks.push(chunk);
      this.#owners.push(owner);
    } else {
      this.#chunks[tail] = chunk;
      this.#owners[tail] = owner;
    }
    this.#tail = tail + 1;
    this.#size += chunk.length;
  }

  /** The bytes at the front that lie in one chunk, as a view (empty when the queue is). */
  front(): Uint8Array {
    if (this.#size === 0) return EMPTY;
    const chunk = this.#chunks[this.#head]!;
    this.#escape(this.#head);
    return view(chunk, this.#offset, chunk.length - this.#offset);
  }

  /**
   * Removes up to n bytes and returns them: a view of the head chunk when they all lie in it
   * (no copy), else a new array.
   */
  take(n: number): Uint8Array {
    const want = Math.min(n, this.#size);
    if (want === 0) return EMPTY;
    const chunk = this.#chunks[this.#head]!;
    if (chunk.length - this.#offset >= want) {
      this.#escape(this.#head);
      const out = view(chunk, this.#offset, want);
      this.discard(want);
      return out;
    }
    const out = new Uint8Array(want);
    this.readInto(out);
    return out;
  }

  /** Moves up to `buf.length` bytes into `buf`; returns how many. */
  readInto(buf: Uint8Array): number {
    const want = Math.min(buf.length, this.#size);
    let copied = 0;
    while (copied < want) {
      const chunk = this.#chunks[this.#head]!;
      const offset = this.#offset;
      const k = Math.min(chunk.length - offset, want - copied);
      // A whole chunk is copied from itself: no view to make.
      buf.set(offset === 0 && k === chunk.length ? chunk : view(chunk, offset, k), copied);
      copied += k;
      this.#advance(k);
    }
    return copied;
  }

  /** Drops up to n bytes from the front; returns how many. */
  discard(n: number): number {
    const want = Math.min(n, this.#size);
    let left = want;
    while (left > 0) {
      const chunk = this.#chunks[this.#head]!;
      const k = Math.min(chunk.length - this.#offset, left);
      left -= k;
      this.#advance(k);
    }
    return want;
  }

  /** Drops everything. */
  clear(): void {
    for (let i = this.#head; i < this.#tail; i++) this.#owners[i]?.consumed();
    this.#owners = [];
    this.#chunks = [];
    this.#head = 0;
    this.#tail = 0;
    this.#offset = 0;
    this.#size = 0;
  }

  /** Consumes k bytes of the head chunk (k never passes its end). */
  #advance(k: number): void {
    this.#size -= k;
    this.#offset += k;
    const chunks = this.#chunks;
    const head = this.#head;
    if (this.#offset < chunks[head]!.length) return;
    chunks[head] = EMPTY; // let the spent chunk be collected now
    const owners = this.#owners;
    const owner = owners[head];
    if (owner !== undefined) {
      owners[head] = undefined;
      owner.consumed();
    }
    this.#offset = 0;
    if (this.#size === 0) {
      this.#head = this.#tail = 0;
    } else if (head + 1 >= COMPACT_AT && (head + 1) * 2 >= this.#tail) {
      this.#compact(head + 1);
    } else {
      this.#head = head + 1;
    }
  }

  /** Moves the chunks from slot `from` on to the front (the slots before it are spent). */
  #compact(from: number): void {
    const chunks = this.#chunks;
    const owners = this.#owners;
    const live = this.#tail - from;
    for (let i = 0; i < live; i++) {
      chunks[i] = chunks[from + i]!;
      owners[i] = owners[from + i];
    }
    for (let i = live; i < this.#tail; i++) {
      chunks[i] = EMPTY;
      owners[i] = undefined;
    }
    this.#head = 0;
    this.#tail = live;
  }

  /** The chunk at index i is being handed out as a view: its memory must never be reused. */
  #escape(i: number): void {
    const owner = this.#owners[i];
    if (owner !== undefined) owner.escaped = true;
  }
}

/** A plain Uint8Array over part of `chunk` (Node's chunks are Buffers; we hand out Uint8Arrays). */
function view(chunk: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset + start, length);
}

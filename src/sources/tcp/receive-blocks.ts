/**
 * Where received bytes wait for the program: 256 KiB blocks that are used again once every byte
 * in them has been read, so that busy connections reuse the same warm memory instead of touching
 * fresh pages (which cost as much as the copy itself: see bench/RESULTS.md).
 *
 * Every socket copies each read (at most 64 KiB, the size of the shared read buffer) to the end
 * of one shared tail block, or into a new one when it does not fit, so the memory in use stays
 * small and hot in the cache whatever the number of connections. A block goes back to the pool
 * once it is sealed (the tail moved on) and every chunk cut from it has been consumed, unless
 * some of its memory was handed out as a view (peek, or a recv that returned a view): a view must
 * never see its bytes change, so such a block is left to the garbage collector.
 */
export const BLOCK_SIZE = 256 * 1024;
/** Free blocks kept for reuse, at most (16 MiB); beyond that, consumed blocks are dropped. */
const POOL_LIMIT = 64;
const pool: Buffer[] = [];
/** Blocks allocated afresh rather than taken from the pool (for tests). */
let fresh = 0;

export class ReceiveBlock {
  readonly bytes: Buffer;
  /** bytes.buffer and bytes.byteOffset, read once: `.buffer` of a typed array is a call into V8's runtime. */
  readonly #memory: ArrayBuffer;
  readonly #base: number;
  /** Bytes written so far, from the start. */
  used = 0;
  /** Chunks cut from the block and not yet consumed. */
  live = 0;
  /** Part of it was handed out as a view: never reuse it. */
  escaped = false;
  /** No more chunks will be cut from it (the socket moved on to another block, or closed). */
  sealed = false;

  constructor() {
    const reused = pool.pop();
    if (reused === undefined) fresh++;
    this.bytes = reused ?? Buffer.allocUnsafeSlow(BLOCK_SIZE);
    this.#memory = this.bytes.buffer as ArrayBuffer;
    this.#base = this.bytes.byteOffset;
  }

  /** Copies the first n bytes of `source` into the block: the chunk, or null if they do not fit. */
  append(source: Uint8Array, n: number): Uint8Array | null {
    const start = this.used;
    if (BLOCK_SIZE - start < n) return null;
    this.bytes.set(n === source.length ? source : firstBytes(source, n), start);
    this.used = start + n;
    this.live++;
    return new Uint8Array(this.#memory, this.#base + start, n);
  }

  /** A chunk of it has been consumed. */
  consumed(): void {
    this.live--;
    this.#recycle();
  }

  seal(): void {
    this.sealed = true;
    this.#recycle();
  }

  #recycle(): void {
    if (this.sealed && this.live === 0 && !this.escaped && pool.length < POOL_LIMIT) {
      this.escaped = true; // this object is done with its memory: never give it back twice
      pool.push(this.bytes);
    }
  }
}

/** The last source append() copied from (the shared read buffer, every time), and where its bytes lie. */
let lastSource: Uint8Array | null = null;
let sourceMemory: ArrayBufferLike = new ArrayBuffer(0);
let sourceBase = 0;

/** A view of the first n bytes of `source`, made without subarray's species lookup or `.buffer`. */
function firstBytes(source: Uint8Array, n: number): Uint8Array {
  if (source !== lastSource) {
    lastSource = source;
    sourceMemory = source.buffer;
    sourceBase = source.byteOffset;
  }
  return new Uint8Array(sourceMemory, sourceBase, n);
}

let tail: ReceiveBlock | null = null;

/** The block the next read of n bytes goes to: the shared tail, or a new tail when it is full. */
export function blockFor(n: number): ReceiveBlock {
  if (tail === null || BLOCK_SIZE - tail.used < n) {
    tail?.seal();
    tail = new ReceiveBlock();
  }
  return tail;
}

/** Free blocks in the pool (for tests). */
export function pooledBlocks(): number {
  return pool.length;
}

/** Blocks allocated afresh so far, not taken from the pool (for tests). */
export function freshBlocks(): number {
  return fresh;
}

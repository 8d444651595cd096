/**
 * Where the copies `send` makes for Node are kept: consecutive slices of a shared 256 KiB arena
 * instead of one allocation each (a Buffer of 4 KiB or more is an ArrayBuffer of its own, which
 * costs about a microsecond). An arena is replaced when full and freed by the GC once no write
 * holds a slice of it. Copies larger than a quarter arena get memory of their own. (Received bytes
 * live in receive-blocks.ts, which can reuse its memory because it knows when bytes are consumed.)
 */
const ARENA_BYTES = 256 * 1024;
const LARGE = ARENA_BYTES >>> 2;

let arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
let offset = 0;

/** A copy of the first n bytes of `bytes`, in memory that nobody writes again. */
export function copyForSend(bytes: Uint8Array, n: number): Buffer {
  const source = n === bytes.length ? bytes : bytes.subarray(0, n);
  if (n > LARGE) {
    const own = Buffer.allocUnsafeSlow(n);
    own.set(source);
    return own;
  }
  if (offset + n > ARENA_BYTES) {
    arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
    offset = 0;
  }
  const copy = arena.subarray(offset, offset + n);
  copy.set(source);
  offset = (offset + n + 7) & ~7; // keep slices 8-byte aligned
  return copy;
}

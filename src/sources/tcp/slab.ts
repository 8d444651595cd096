/**
 * Where the copies `send` makes for Node are kept: consecutive slices of a shared 256 KiB slab
 * instead of one allocation each (a Buffer of 4 KiB or more is an ArrayBuffer of its own, which
 * costs about a microsecond). A slab is replaced when full and freed by the GC once no write holds
 * a slice of it. Copies larger than a quarter slab get memory of their own. (Received bytes live
 * in receive-blocks.ts, which can reuse its memory because it knows when bytes are consumed.)
 */
const SLAB_SIZE = 256 * 1024;
const LARGE = SLAB_SIZE >>> 2;

let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let offset = 0;

/** A copy of the first n bytes of `bytes`, in memory that nobody writes again. */
export function copyToSlab(bytes: Uint8Array, n: number): Buffer {
  const source = n === bytes.length ? bytes : bytes.subarray(0, n);
  if (n > LARGE) {
    const own = Buffer.allocUnsafeSlow(n);
    own.set(source);
    return own;
  }
  if (offset + n > SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    offset = 0;
  }
  const copy = slab.subarray(offset, offset + n);
  copy.set(source);
  offset = (offset + n + 7) & ~7; // keep slices 8-byte aligned
  return copy;
}

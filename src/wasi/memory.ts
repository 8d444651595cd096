import { EFAULT, WasiErrno } from './errno.js';

/**
 * Bounds-checked access to the guest's linear memory. Every pointer and length a guest passes
 * goes through `check` (or a typed accessor that calls it): out of range is EFAULT (thrown as
 * WasiErrno and returned to the guest), never a host exception. Views are refreshed when the
 * memory has grown (a grown memory detaches the old buffer).
 */
export class GuestMemory {
  #memory: WebAssembly.Memory | undefined;
  #buffer: ArrayBuffer | undefined;
  #u8 = new Uint8Array(0);
  #view = new DataView(new ArrayBuffer(0));

  /** Set once the instance exists (imports are made before its memory is known). */
  attach(memory: WebAssembly.Memory): void {
    this.#memory = memory;
  }

  #refresh(): void {
    const buffer = this.#memory?.buffer as ArrayBuffer | undefined;
    if (buffer !== this.#buffer && buffer !== undefined) {
      this.#buffer = buffer;
      this.#u8 = new Uint8Array(buffer);
      this.#view = new DataView(buffer);
    }
  }

  /**
   * EFAULT unless [ptr, ptr + len) lies in memory (ptr and len are the guest's u32 values). The
   * views are refreshed only when a range falls outside them: a grown memory detaches the old
   * buffer (its views then have length 0), and a grown shared one leaves them short.
   */
  check(ptr: number, len: number): void {
    ptr >>>= 0;
    if (len >= 0 && ptr + len <= this.#u8.length) return;
    this.#refresh();
    if (len < 0 || ptr + len > this.#u8.length) throw new WasiErrno(EFAULT);
  }

  /**
   * The whole memory as bytes, current as of the last check(): node:fs's readSync/writeSync take it
   * with an offset, so a file read or write needs no view of its own.
   */
  get all(): Uint8Array {
    return this.#u8;
  }

  /**
   * The single iovec at `iovs` (what wasi-libc's read and write pass), checked with its buffer as
   * iovecs() checks them, without a view or an array: its buffer's length; its pointer is u32(iovs).
   */
  oneIovec(iovs: number): number {
    const len = this.u32(iovs + 4);
    this.check(this.u32(iovs), len);
    return len;
  }

  /** A view of [ptr, ptr + len): checked. */
  bytes(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return this.#u8.subarray(ptr >>> 0, (ptr >>> 0) + len);
  }

  u8(ptr: number): number {
    this.check(ptr, 1);
    return this.#view.getUint8(ptr >>> 0);
  }

  u16(ptr: number): number {
    this.check(ptr, 2);
    return this.#view.getUint16(ptr >>> 0, true);
  }

  u32(ptr: number): number {
    this.check(ptr, 4);
    return this.#view.getUint32(ptr >>> 0, true);
  }

  u64(ptr: number): bigint {
    this.check(ptr, 8);
    return this.#view.getBigUint64(ptr >>> 0, true);
  }

  setU8(ptr: number, value: number): void {
    this.check(ptr, 1);
    this.#view.setUint8(ptr >>> 0, value);
  }

  setU16(ptr: number, value: number): void {
    this.check(ptr, 2);
    this.#view.setUint16(ptr >>> 0, value, true);
  }

  setU32(ptr: number, value: number): void {
    this.check(ptr, 4);
    this.#view.setUint32(ptr >>> 0, value >>> 0, true);
  }

  setU64(ptr: number, value: bigint): void {
    this.check(ptr, 8);
    this.#view.setBigUint64(ptr >>> 0, value, true);
  }

  /**
   * An iovec/ciovec array (pairs of u32 buf, u32 buf_len) as checked views. The array and every
   * buffer are checked before anything is read or written, so a bad iovec fails the whole call.
   */
  iovecs(iovs: number, count: number): Uint8Array[] {
    this.check(iovs, count * 8);
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const ptr = this.u32(iovs + 8 * i);
      const len = this.u32(iovs + 8 * i + 4);
      out.push(this.bytes(ptr, len));
    }
    return out;
  }
}

// args_*, environ_*, random_get, sched_yield, proc_raise and proc_exit.
import { randomFillSync } from 'node:crypto';
import { ENOSYS, SUCCESS, WasiErrno } from '../errno.js';
import { GuestExit, type GuestContext } from '../guest-context.js';

/** A list of strings as args_get/environ_get lay them out: each UTF-8 encoded and NUL-terminated. */
export class StringList {
  readonly #items: Uint8Array[];
  readonly #bytes: number;

  constructor(items: readonly string[]) {
    const encoder = new TextEncoder();
    this.#items = items.map((item) => encoder.encode(`${item}\0`));
    this.#bytes = this.#items.reduce((sum, item) => sum + item.length, 0);
  }

  /** args_sizes_get/environ_sizes_get: the count and the bytes of all the strings. */
  sizes(ctx: GuestContext, countOut: number, bytesOut: number): number {
    ctx.memory.setU32(countOut, this.#items.length);
    ctx.memory.setU32(bytesOut, this.#bytes);
    return SUCCESS;
  }

  /** args_get/environ_get: the pointers at `pointers`, the strings one after the other at `buf`. */
  get(ctx: GuestContext, pointers: number, buf: number): number {
    ctx.memory.check(pointers, 4 * this.#items.length);
    const bytes = ctx.memory.bytes(buf, this.#bytes);
    let at = 0;
    this.#items.forEach((item, i) => {
      ctx.memory.setU32(pointers + 4 * i, buf + at);
      bytes.set(item, at);
      at += item.length;
    });
    return SUCCESS;
  }
}

/** The most getRandomValues-style sources give at once; randomFillSync takes any size, but chunks keep it bounded. */
const RANDOM_CHUNK = 65536;

export function randomGet(ctx: GuestContext, buf: number, len: number): number {
  const bytes = ctx.memory.bytes(buf, len);
  for (let at = 0; at < len; at += RANDOM_CHUNK) randomFillSync(bytes.subarray(at, at + RANDOM_CHUNK));
  return SUCCESS;
}

/** The guest has its own thread: there is nobody in it to yield to. */
export function schedYield(): number {
  return SUCCESS;
}

/** Signals are not delivered to guests: the witx allows ENOSYS ("not supported"), as wasmtime answers. */
export function procRaise(): number {
  throw new WasiErrno(ENOSYS);
}

/** Records the code and throws out of the guest's WebAssembly (caught around _start). */
export function procExit(ctx: GuestContext, code: number): never {
  ctx.exitCode = code >>> 0;
  throw new GuestExit(ctx.exitCode);
}

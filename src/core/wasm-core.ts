import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { InterestEntry, ReadinessCore } from './readiness-core.js';

/** The raw exports of build/core.wasm (docs/core-abi.md). */
export interface CoreExports {
  memory: WebAssembly.Memory;
  fd_open(fd: number): number;
  ep_create(fd: number): number;
  fd_close(fd: number): number;
  fd_set(fd: number, level: number, edge: number): number;
  fd_level(fd: number): number;
  fd_gen(fd: number): number;
  ep_ctl(epfd: number, op: number, fd: number, events: number): number;
  ep_wait(epfd: number, maxEvents: number): number;
  ep_waiters(epfd: number, n: number): number;
  take_notified(): number;
  ep_interest(epfd: number): number;
  ep_ready(epfd: number): number;
  scan_poll(n: number): number;
  scan_select(nr: number, nw: number, nx: number): number;
  scratch_reserve(bytes: number): number;
  scratch_ptr(): number;
  records_in_use(): number;
}

/** build/core.wasm, found from src/core (tests) or dist/src/core (the built package). */
function locateCore(): string {
  for (const relative of ['../../build/core.wasm', '../../../build/core.wasm']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('wasmux: build/core.wasm is missing; run `npm run build:core`');
}

let compiled: WebAssembly.Module | undefined;

/** Compiles the core once per process (synchronously: it is a few kilobytes). */
export function coreModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(locateCore()));
  return compiled;
}

/**
 * The WebAssembly core behind the ReadinessCore contract. Each instance has its own memory.
 * Hot paths call `exports` directly; this class adds only the reading of results out of
 * linear memory, through views refreshed when the memory grows.
 */
export class WasmCore implements ReadinessCore {
  readonly name = 'wasm';
  readonly exports: CoreExports;
  #i32: Int32Array;
  #u16: Uint16Array;
  /** The scratch area's address in i32 units: fixed for the life of the instance. */
  readonly #scratch: number;

  constructor() {
    this.exports = new WebAssembly.Instance(coreModule(), {}).exports as unknown as CoreExports;
    this.#i32 = new Int32Array(this.exports.memory.buffer);
    this.#u16 = new Uint16Array(this.exports.memory.buffer);
    this.#scratch = this.exports.scratch_ptr() >> 2;
  }

  /** The memory as i32, current after any growth (a grown memory detaches old views). */
  get i32(): Int32Array {
    if (this.#i32.length === 0) this.#refresh();
    return this.#i32;
  }

  get u16(): Uint16Array {
    if (this.#u16.length === 0) this.#refresh();
    return this.#u16;
  }

  /** The first n i32s of the scratch area, as a plain array (no subarray or Array.from: these run per wakeup). */
  #scratchInts(n: number): number[] {
    const base = this.#scratch;
    const i32 = this.i32;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = i32[base + i]!;
    return out;
  }

  #refresh(): void {
    this.#i32 = new Int32Array(this.exports.memory.buffer);
    this.#u16 = new Uint16Array(this.exports.memory.buffer);
  }

  open(fd: number): number {
    return this.exports.fd_open(fd);
  }
  epollCreate(fd: number): number {
    return this.exports.ep_create(fd);
  }
  close(fd: number): number {
    return this.exports.fd_close(fd);
  }
  set(fd: number, level: number, edge: number): number {
    return this.exports.fd_set(fd, level, edge);
  }
  level(fd: number): number {
    return this.exports.fd_level(fd);
  }
  generation(fd: number): number {
    return this.exports.fd_gen(fd);
  }
  ctl(epfd: number, op: number, fd: number, events: number): number {
    return this.exports.ep_ctl(epfd, op, fd, events);
  }
  wait(epfd: number, maxEvents: number): number {
    return this.exports.ep_wait(epfd, maxEvents);
  }
  eventFd(i: number): number {
    return this.i32[this.#scratch + 2 * i]!;
  }
  eventMask(i: number): number {
    return this.i32[this.#scratch + 2 * i + 1]! >>> 0;
  }
  setWaiters(epfd: number, n: number): number {
    return this.exports.ep_waiters(epfd, n);
  }
  takeNotified(): number[] {
    const n = this.exports.take_notified();
    if (n <= 0) return [];
    return this.#scratchInts(n);
  }
  scanPoll(fds: Int32Array, events: Int32Array, revents: Int32Array, n: number): number {
    const ptr = this.exports.scratch_reserve(n * 8);
    if (ptr < 0) return ptr;
    const i32 = this.i32;
    const u16 = this.u16;
    for (let k = 0; k < n; k++) {
      i32[(ptr >> 2) + 2 * k] = fds[k]!;
      u16[(ptr >> 1) + 4 * k + 2] = events[k]!;
    }
    const ready = this.exports.scan_poll(n);
    for (let k = 0; k < n; k++) revents[k] = u16[(ptr >> 1) + 4 * k + 3]!;
    return ready;
  }
  scanSelect(fds: Int32Array, nr: number, nw: number, nx: number, ready: Uint8Array): number {
    const total = nr + nw + nx;
    const ptr = this.exports.scratch_reserve(total * 4);
    if (ptr < 0) return ptr;
    this.i32.set(fds.subarray(0, total), ptr >> 2);
    const count = this.exports.scan_select(nr, nw, nx);
    if (count < 0) return count;
    const i32 = this.i32;
    for (let k = 0; k < total; k++) ready[k] = i32[(ptr >> 2) + k]!;
    return count;
  }
  interest(epfd: number): InterestEntry[] | number {
    const n = this.exports.ep_interest(epfd);
    if (n < 0) return n;
    const base = this.#scratch;
    const i32 = this.i32;
    const entries: InterestEntry[] = [];
    for (let k = 0; k < n; k++) {
      const state = i32[base + 3 * k + 2]!;
      entries.push({
        fd: i32[base + 3 * k]!,
        events: i32[base + 3 * k + 1]! >>> 0,
        armed: (state & 1) !== 0,
        queued: (state & 2) !== 0,
      });
    }
    return entries;
  }
  readyList(epfd: number): number[] | number {
    const n = this.exports.ep_ready(epfd);
    if (n < 0) return n;
    return this.#scratchInts(n);
  }
}

export function createWasmCore(): WasmCore {
  return new WasmCore();
}

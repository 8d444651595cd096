/**
 * The SharedArrayBuffer shared by the main thread (sockets) and the guest's worker (docs/wasi.md).
 *
 * Layout, in Int32 words then bytes:
 * - header (HEADER_WORDS words): WAKE, the wake counter (the main thread adds 1 and notifies after
 *   anything a guest may wait for changed); RESPONSE, the response counter of the request channel
 *   (the main thread adds 1 and notifies when a request is answered); RESULT, the answer; the
 *   guest's output accounting (OUT_INFLIGHT_1/2, OUT_WANT, OUT_ERROR_1/2, see syscalls/stdio.ts) and
 *   STOP, set when the run is cancelled.
 * - slot control blocks (SLOT_WORDS words per slot): one per listener or connection.
 * - per slot, two byte rings of `ringBytes` (a power of two): RX (main writes received bytes,
 *   guest reads) and TX (guest writes bytes to send, main reads). Each ring is single-producer,
 *   single-consumer: positions are free-running u32 counters, written only by their owner with
 *   Atomics.store after the bytes, read by the other side with Atomics.load before the bytes.
 */
export const WAKE = 0;
export const RESPONSE = 1;
export const RESULT = 2;
/**
 * [G adds, M subtracts] bytes of stdout (OUT_INFLIGHT_1) / stderr (OUT_INFLIGHT_2) posted by the
 * guest and not yet written by the main thread; each stream has its own, as two pipes would.
 */
export const OUT_INFLIGHT_1 = 3;
export const OUT_INFLIGHT_2 = 8;
/** [G sets 1, M takes] the guest waits for an OUT_INFLIGHT to drop (wake it when one does). */
export const OUT_WANT = 4;
/** [M] 1 once the run is cancelled: every wait of the guest ends and the guest unwinds. */
export const STOP = 5;
/** [M] the WASI errno that writing the guest's stdout (fd 1) / stderr (fd 2) failed with (EPIPE...), 0 if none. */
export const OUT_ERROR_1 = 6;
export const OUT_ERROR_2 = 7;

/** The OUT_INFLIGHT word of stdout (1) or stderr (2). */
export const outInflight = (stream: 1 | 2): number => (stream === 1 ? OUT_INFLIGHT_1 : OUT_INFLIGHT_2);
export const HEADER_WORDS = 16;

/** Slot words. Owner in brackets: [M] main thread, [G] guest. */
export const S_KIND = 0; // [M] KIND_*
export const S_FLAGS = 1; // [M] F_* bits
export const S_ERROR = 2; // [M sets, G clears] pending WASI errno (SO_ERROR), 0 if none
export const S_PENDING = 3; // [M] listener: connections waiting for accept
export const S_RX_HEAD = 4; // [G] bytes consumed from RX
export const S_RX_TAIL = 5; // [M] bytes produced into RX
export const S_TX_HEAD = 6; // [M] bytes consumed from TX
export const S_TX_TAIL = 7; // [G] bytes produced into TX
export const S_RX_WANT = 8; // [M sets 1, G takes] main stopped reading because RX was full
export const S_TX_WANT = 9; // [M sets 1, G takes] main found TX empty and waits for a message
export const SLOT_WORDS = 16;

export const KIND_FREE = 0;
export const KIND_LISTENER = 1;
export const KIND_STREAM = 2;

/** No more bytes will come into RX (peer FIN, own SHUT_RD, reset): reads see EOF once it is empty. */
export const F_RX_DONE = 1;
/** Sending is over (own SHUT_WR, reset, broken pipe): sends fail with EPIPE. */
export const F_TX_DONE = 2;

/** Messages from the guest to the main thread. */
export type GuestMessage =
  | { op: 'tx' | 'rx'; slot: number }
  | { op: 'accept'; slot: number }
  | { op: 'shutdown'; slot: number; how: number }
  | { op: 'close'; slot: number }
  /** Mirror the host's stdin into a slot's RX ring from now on: answered with the slot or -errno. */
  | { op: 'stdin' }
  /** Bytes the guest wrote to its stdout (1) or stderr (2), in order; counted in OUT_INFLIGHT_1/2. */
  | { op: 'write'; stream: 1 | 2; bytes: Uint8Array }
  /** The guest has ended: it returned from _start (0) or called proc_exit. */
  | { op: 'exit'; code: number }
  /** The guest trapped: `trap` is the trap's kind in one spelling for every engine (see traps.ts). */
  | { op: 'trap'; trap: string; message: string };

export interface SharedLayout {
  slots: number;
  ringBytes: number;
}

export function sharedBytes(layout: SharedLayout): number {
  return 4 * (HEADER_WORDS + layout.slots * SLOT_WORDS) + 2 * layout.slots * layout.ringBytes;
}

/** Typed views over the shared buffer, the same on both threads. */
export class SharedState {
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  readonly slots: number;
  readonly ringBytes: number;
  readonly #dataBase: number;

  constructor(readonly sab: SharedArrayBuffer, layout: SharedLayout) {
    if (layout.ringBytes <= 0 || (layout.ringBytes & (layout.ringBytes - 1)) !== 0) {
      throw new RangeError(`ringBytes must be a power of two, got ${layout.ringBytes}`);
    }
    this.i32 = new Int32Array(sab);
    this.u8 = new Uint8Array(sab);
    this.slots = layout.slots;
    this.ringBytes = layout.ringBytes;
    this.#dataBase = 4 * (HEADER_WORDS + layout.slots * SLOT_WORDS);
  }

  static create(layout: SharedLayout): SharedState {
    return new SharedState(new SharedArrayBuffer(sharedBytes(layout)), layout);
  }

  /** Index of `word` of `slot` in i32. */
  word(slot: number, word: number): number {
    return HEADER_WORDS + slot * SLOT_WORDS + word;
  }

  load(slot: number, word: number): number {
    return Atomics.load(this.i32, this.word(slot, word));
  }

  store(slot: number, word: number, value: number): void {
    Atomics.store(this.i32, this.word(slot, word), value);
  }

  /** Byte offset of the RX (tx = false) or TX ring of `slot`. */
  ringBase(slot: number, tx: boolean): number {
    return this.#dataBase + (2 * slot + (tx ? 1 : 0)) * this.ringBytes;
  }

  /** Bytes readable in a ring. */
  used(slot: number, tx: boolean): number {
    const head = this.load(slot, tx ? S_TX_HEAD : S_RX_HEAD);
    const tail = this.load(slot, tx ? S_TX_TAIL : S_RX_TAIL);
    return (tail - head) >>> 0;
  }

  /**
   * Producer side: copies as much of `src` as fits into the ring and publishes it; returns the
   * count. Only the ring's producer may call it.
   */
  produce(slot: number, tx: boolean, src: Uint8Array): number {
    const tailWord = tx ? S_TX_TAIL : S_RX_TAIL;
    const tail = this.load(slot, tailWord);
    const free = this.ringBytes - ((tail - this.load(slot, tx ? S_TX_HEAD : S_RX_HEAD)) >>> 0);
    const n = Math.min(free, src.length);
    if (n === 0) return 0;
    const base = this.ringBase(slot, tx);
    const at = tail & (this.ringBytes - 1);
    const first = Math.min(n, this.ringBytes - at);
    this.u8.set(src.subarray(0, first), base + at);
    if (first < n) this.u8.set(src.subarray(first, n), base);
    this.store(slot, tailWord, (tail + n) | 0);
    return n;
  }

  /**
   * The free space at the producer's position as at most two views (the second after the wrap),
   * for producers that read straight into the ring; publish with `commit`.
   */
  freeViews(slot: number, tx: boolean): Uint8Array[] {
    const tail = this.load(slot, tx ? S_TX_TAIL : S_RX_TAIL);
    const free = this.ringBytes - ((tail - this.load(slot, tx ? S_TX_HEAD : S_RX_HEAD)) >>> 0);
    return this.#views(slot, tx, tail, free);
  }

  commit(slot: number, tx: boolean, n: number): void {
    const tailWord = tx ? S_TX_TAIL : S_RX_TAIL;
    this.store(slot, tailWord, (this.load(slot, tailWord) + n) | 0);
  }

  /** Consumer side: the readable bytes as at most two views, without consuming them. */
  usedViews(slot: number, tx: boolean): Uint8Array[] {
    const head = this.load(slot, tx ? S_TX_HEAD : S_RX_HEAD);
    const used = (this.load(slot, tx ? S_TX_TAIL : S_RX_TAIL) - head) >>> 0;
    return this.#views(slot, tx, head, used);
  }

  /** Consumer side: copies up to dst.length bytes out, consuming them unless `peek`. */
  consumeInto(slot: number, tx: boolean, dst: Uint8Array, peek = false): number {
    let n = 0;
    for (const view of this.usedViews(slot, tx)) {
      const k = Math.min(view.length, dst.length - n);
      dst.set(view.subarray(0, k), n);
      n += k;
      if (n === dst.length) break;
    }
    if (!peek && n > 0) this.discard(slot, tx, n);
    return n;
  }

  /** Consumer side: drops n readable bytes. */
  discard(slot: number, tx: boolean, n: number): void {
    const headWord = tx ? S_TX_HEAD : S_RX_HEAD;
    this.store(slot, headWord, (this.load(slot, headWord) + n) | 0);
  }

  #views(slot: number, tx: boolean, pos: number, n: number): Uint8Array[] {
    if (n === 0) return [];
    const base = this.ringBase(slot, tx);
    const at = pos & (this.ringBytes - 1);
    const first = Math.min(n, this.ringBytes - at);
    const out = [this.u8.subarray(base + at, base + at + first)];
    if (first < n) out.push(this.u8.subarray(base, base + n - first));
    return out;
  }

  /** Resets a slot's words (main thread, before handing the slot out). */
  resetSlot(slot: number, kind: number): void {
    for (let w = 0; w < SLOT_WORDS; w++) this.store(slot, w, 0);
    this.store(slot, S_KIND, kind);
  }

  /** Main thread: something changed; wakes a guest sleeping in a wait. Returns threads woken. */
  wake(): number {
    Atomics.add(this.i32, WAKE, 1);
    return Atomics.notify(this.i32, WAKE);
  }
}

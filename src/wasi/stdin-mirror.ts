import { EIO } from './errno.js';
import type { StdinSource } from './host-stdio.js';
import { F_RX_DONE, S_ERROR, S_FLAGS, S_RX_WANT, type SharedState } from './shared-state.js';

/** How the mirror tells its SocketHost that a waiting guest has news, and when to wake it. */
export interface GuestWaker {
  /** Something the guest may wait for changed (bytes, EOF, an error). */
  changed(): void;
  /** Wakes the guest if anything changed since its last wake. */
  wake(): void;
}

/**
 * The host's stdin mirrored into a slot's RX ring, from the first time the guest reads or polls
 * fd 0: poll_oneoff then sees fd 0 readable only when there is data or EOF, and reads never
 * block a thread of the host. A stream is read with flow control (paused while the ring is
 * full); bytes given at once are queued whole, followed by EOF.
 */
export class StdinMirror {
  readonly #state: SharedState;
  readonly #slot: number;
  readonly #waker: GuestWaker;
  /** We made the stream (from an fd): destroyed at detach instead of left paused. */
  readonly #own: boolean;
  /** undefined: all the bytes were given at once, or the mirror is detached. */
  #stream: NodeJS.ReadableStream | undefined;
  /** Chunks not yet in the ring (it was full). */
  readonly #queue: Buffer[] = [];
  #ended = false;

  /** The slot must be reset to a stream slot already. */
  constructor(state: SharedState, slot: number, source: StdinSource, waker: GuestWaker) {
    this.#state = state;
    this.#slot = slot;
    this.#waker = waker;
    this.#own = source.own === true;
    if (source.bytes !== undefined) {
      if (source.bytes.length > 0) this.#queue.push(source.bytes);
      this.#ended = true;
      this.fill();
      return;
    }
    const stream = source.open!();
    this.#stream = stream;
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    stream.on('error', this.#onError);
    stream.resume();
  }

  readonly #onData = (chunk: Buffer | string): void => {
    this.#queue.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    this.fill();
    this.#waker.wake();
  };

  readonly #onEnd = (): void => {
    this.#ended = true;
    this.fill();
    this.#waker.wake();
  };

  /** A read error is the guest's EIO on fd 0, after the bytes already mirrored. */
  readonly #onError = (): void => {
    const state = this.#state;
    Atomics.compareExchange(state.i32, state.word(this.#slot, S_ERROR), 0, EIO);
    Atomics.or(state.i32, state.word(this.#slot, S_FLAGS), F_RX_DONE);
    this.#waker.changed();
    this.#waker.wake();
  };

  /** Moves queued chunks into the RX ring; pauses the stream while the ring is full. */
  fill(): void {
    const state = this.#state;
    const slot = this.#slot;
    while (this.#queue.length > 0) {
      const views = state.freeViews(slot, false);
      if (views.length === 0) {
        state.store(slot, S_RX_WANT, 1); // the guest sends 'rx' once it has made room
        if (state.used(slot, false) === state.ringBytes) {
          this.#stream?.pause();
          return;
        }
        Atomics.store(state.i32, state.word(slot, S_RX_WANT), 0);
        continue;
      }
      for (const view of views) {
        const head = this.#queue[0];
        if (head === undefined) break;
        const n = Math.min(view.length, head.length);
        view.set(head.subarray(0, n));
        state.commit(slot, false, n);
        this.#waker.changed();
        if (n === head.length) this.#queue.shift();
        else this.#queue[0] = head.subarray(n);
      }
    }
    if (this.#ended) {
      Atomics.or(state.i32, state.word(slot, S_FLAGS), F_RX_DONE);
      this.#waker.changed();
    } else {
      this.#stream?.resume();
    }
  }

  /** Stops mirroring: the stream is left to the rest of the program, paused (or destroyed if we made it). */
  detach(): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    this.#stream = undefined;
    stream.removeListener('data', this.#onData).removeListener('end', this.#onEnd).removeListener('error', this.#onError);
    stream.pause();
    if (this.#own) (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }
}
